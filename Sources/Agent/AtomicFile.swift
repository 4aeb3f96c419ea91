import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes files the way cyberctl promises: a temporary file in the same folder, its mode set before
/// any byte is written, flushed to disk, then renamed over the destination. A reader sees the old
/// file or the new one, never a half-written one.
public enum AtomicFile {
    /// Writes `bytes` to `path` with permission bits `mode` (e.g. `0o640`, `0o600` for keys).
    /// - Throws: `AtomicFileError` naming the path and the system's reason.
    public static func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws(AtomicFileError) {
        do {
            try write(to: path, mode: mode) { output in try output(bytes) }
        } catch let error as AtomicFileError {
            throw error
        } catch {
            preconditionFailure("only AtomicFileError can come out of writing bytes: \(error)")
        }
    }

    /// Writes what `contents` produces to `path`, as it produces it, with the same guarantees as
    /// `write(_:to:mode:)`: `contents` receives a function that appends bytes to the temporary file.
    /// Nothing is left behind when `contents` or a write throws.
    /// - Throws: `AtomicFileError`, or what `contents` throws.
    public static func write(
        to path: String, mode: mode_t, contents: (_ output: ([UInt8]) throws -> Void) throws -> Void
    ) throws {
        let url = URL(fileURLWithPath: path)
        // Only a regular file (or a link, which is replaced, never followed) may be replaced: renaming over
        // /dev/null or a FIFO would swap a device for a plain file.
        var existing = stat()
        if lstat(path, &existing) == 0 {
            let type = existing.st_mode & S_IFMT
            guard type == S_IFREG || type == S_IFLNK else { throw AtomicFileError(path: path, operation: "replace it: not a regular file", code: 0) }
        }
        let folder = url.deletingLastPathComponent().path
        var template = Array("\(folder)/.\(url.lastPathComponent).tmp-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        guard descriptor >= 0 else { throw AtomicFileError(path: path, operation: "create a temporary file", code: errno) }
        let temporary = String(cString: template)
        var committed = false
        var descriptorOpen = true
        defer {
            if descriptorOpen { close(descriptor) }
            if !committed { unlink(temporary) }
        }
        guard fchmod(descriptor, mode) == 0 else {
            throw AtomicFileError(path: path, operation: "set permissions", code: errno)
        }
        try contents { bytes in
            let code = writeAll(bytes, to: descriptor)
            if code != 0 { throw AtomicFileError(path: path, operation: "write", code: code) }
        }
        guard fsync(descriptor) == 0 else {
            throw AtomicFileError(path: path, operation: "flush to disk", code: errno)
        }
        descriptorOpen = false
        close(descriptor)
        guard rename(temporary, path) == 0 else { throw AtomicFileError(path: path, operation: "rename into place", code: errno) }
        committed = true
        // Make the rename itself durable.
        let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY)
        if folderDescriptor >= 0 {
            fsync(folderDescriptor)
            close(folderDescriptor)
        }
    }
}

/// A file could not be written; nothing was left behind.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let operation: String
    public let code: Int32

    public var description: String {
        code == 0 ? "\(path): cannot \(operation)" : "\(path): cannot \(operation): \(String(cString: strerror(code)))"
    }
}

/// Writes all of `bytes` to `descriptor` with write(2), going on after short writes and EINTR.
/// - Returns: 0, or the `errno` of the write that failed (nothing is retried after it).
public func writeAll(_ bytes: [UInt8], to descriptor: Int32) -> Int32 {
    var offset = 0
    while offset < bytes.count {
        let written = bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress! + offset, $0.count - offset) }
        if written < 0 {
            if errno == EINTR { continue }
            return errno
        }
        offset += written
    }
    return 0
}
