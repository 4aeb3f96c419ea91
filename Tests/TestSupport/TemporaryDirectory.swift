import Foundation

/// A fresh folder under the system temporary folder, removed when the value is released.
public final class TemporaryDirectory: @unchecked Sendable {
    public let path: String

    public init(prefix: String = "cyberctl-test") throws {
        let base = FileManager.default.temporaryDirectory.path
        var template = Array("\(base)/\(prefix)-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw TestSupportError("mkdtemp failed: \(String(cString: strerror(errno)))")
        }
        path = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }

    /// `path/relative`.
    public func url(_ relative: String) -> String { relative.isEmpty ? path : path + "/" + relative }

    /// Writes `text` at `relative`, creating folders.
    @discardableResult
    public func write(_ relative: String, _ text: String, mode: Int? = nil) throws -> String {
        try write(relative, Data(text.utf8), mode: mode)
    }

    @discardableResult
    public func write(_ relative: String, _ data: Data, mode: Int? = nil) throws -> String {
        let full = url(relative)
        try FileManager.default.createDirectory(
            atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try data.write(to: URL(fileURLWithPath: full))
        if let mode { try FileManager.default.setAttributes([.posixPermissions: mode], ofItemAtPath: full) }
        return full
    }

    /// Creates a folder at `relative`.
    @discardableResult
    public func makeDirectory(_ relative: String) throws -> String {
        let full = url(relative)
        try FileManager.default.createDirectory(atPath: full, withIntermediateDirectories: true)
        return full
    }
}

public struct TestSupportError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}
