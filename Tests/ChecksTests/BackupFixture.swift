import Checks
import Foundation
import Model
import TestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Builds backup fixture trees whose file times are set relative to the scan's clock.
struct BackupFixture {
    let directory: TemporaryDirectory
    let now: Date

    init(now: Date = Date(timeIntervalSince1970: 1_795_000_000)) throws {
        directory = try TemporaryDirectory(prefix: "cyberctl-backups")
        self.now = now
    }

    var root: String { directory.path }

    /// Writes `bytes` bytes at `relative` (inner path without the leading slash), modified `age` seconds before `now`.
    @discardableResult
    func file(_ relative: String, bytes: Int, age: TimeInterval) throws -> String {
        let path = try directory.write(relative, Data(repeating: 0x41, count: bytes))
        try setTime(relative, age: age)
        return path
    }

    func folder(_ relative: String, age: TimeInterval? = nil) throws {
        try directory.makeDirectory(relative)
        if let age { try setTime(relative, age: age) }
    }

    func setTime(_ relative: String, age: TimeInterval) throws {
        try FileManager.default.setAttributes([.modificationDate: now.addingTimeInterval(-age)], ofItemAtPath: directory.url(relative))
    }

    func link(_ relative: String, to target: String) throws {
        let full = directory.url(relative)
        try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: full, withDestinationPath: target)
    }

    /// Decodes a check from JSON parameters, as a profile's YAML would give them.
    static func check(_ json: String) throws -> BackupSetsCheck {
        try JSONDecoder().decode(BackupSetsCheck.self, from: Data(json.utf8))
    }

    func context(commands: CommandRunner = CommandRunner()) throws -> CheckContext {
        CheckContext(root: try FileSystemRoot(root), clock: .fixed(now), commands: commands)
    }

    /// "target code" → "status/severity".
    static func table(_ results: [CheckResult]) -> [String: String] {
        var table: [String: String] = [:]
        for result in results { table["\(result.target) \(result.code)"] = "\(result.status.rawValue)/\(result.severity.rawValue)" }
        return table
    }

    static let hour: TimeInterval = 3600
    static let day: TimeInterval = 86_400
}
