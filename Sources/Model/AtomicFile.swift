import FoundationEssentials

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
        try commit([try stage(bytes, to: path, mode: mode)])
    }

    /// Writes what `contents` produces to `path`, as it produces it, with the same guarantees as
    /// `write(_:to:mode:)`: `contents` receives a function that appends bytes to the temporary file.
    /// Nothing is left behind when `contents` or a write throws.
    /// - Throws: `AtomicFileError`, or what `contents` throws.
    public static func write(
        to path: String, mode: mode_t, contents: (_ output: ([UInt8]) throws -> Void) throws -> Void
    ) throws {
        try commit([try stage(to: path, mode: mode, contents: contents)])
    }

    /// Writes `bytes` to a temporary file beside `path`, flushed to disk, without renaming it into place:
    /// `commit` does, together with the other files of a set (a report and its signature).
    public static func stage(_ bytes: [UInt8], to path: String, mode: mode_t) throws(AtomicFileError) -> Staged {
        do {
            return try stage(to: path, mode: mode) { output in try output(bytes) }
        } catch let error as AtomicFileError {
            throw error
        } catch {
            preconditionFailure("only AtomicFileError can come out of writing bytes: \(error)")
        }
    }

    /// Writes what `contents` produces to a temporary file beside `path` (mode set before any byte),
    /// flushed to disk, not yet renamed into place. Nothing is left behind when it throws, nor when the
    /// `Staged` value is released without `commit`.
    /// - Throws: `AtomicFileError`, or what `contents` throws.
    public static func stage(
        to path: String, mode: mode_t, contents: (_ output: ([UInt8]) throws -> Void) throws -> Void
    ) throws -> Staged {
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
        let staged = Staged(path: path, temporary: String(cString: template), folder: folder)
        defer { close(descriptor) }
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
        return staged
    }

    /// Renames every staged file into place, in order, then makes the renames durable: all of them are
    /// in place, or none (when a rename fails, the files already renamed are removed again, and every
    /// temporary file is deleted). A report is thus never left without its signature.
    /// - Throws: `AtomicFileError` naming the file whose rename failed.
    public static func commit(_ files: [Staged]) throws(AtomicFileError) {
        var renamed: [Staged] = []
        for file in files {
            guard !file.isDone, rename(file.temporary, file.path) == 0 else {
                let code = file.isDone ? 0 : errno
                for done in renamed { unlink(done.path) }
                files.forEach { $0.discard() }
                throw AtomicFileError(path: file.path, operation: file.isDone ? "commit it twice" : "rename into place", code: code)
            }
            file.isDone = true
            renamed.append(file)
        }
        // Make the renames themselves durable.
        for folder in Set(files.map(\.folder)) {
            let folderDescriptor = open(folder, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            if folderDescriptor >= 0 {
                fsync(folderDescriptor)
                close(folderDescriptor)
            }
        }
    }

    /// A file written and flushed under a temporary name beside its destination, waiting for `commit`;
    /// the temporary file is deleted when the value is released uncommitted.
    public final class Staged: @unchecked Sendable {
        /// Where the file goes.
        public let path: String
        let temporary: String
        let folder: String
        fileprivate(set) var isDone = false

        init(path: String, temporary: String, folder: String) {
            self.path = path
            self.temporary = temporary
            self.folder = folder
        }

        /// Deletes the temporary file (nothing was put in place).
        public func discard() {
            guard !isDone else { return }
            unlink(temporary)
            isDone = true
        }

        deinit { discard() }
    }
}

/// A file could not be written; nothing was left behind.
public struct AtomicFileError: Error, CustomStringConvertible, Sendable {
    public let path: String
    public let operation: String
    public let code: Int32

    public var description: String { "\(path): \(reason)" }

    /// What failed, without the path: `cannot write: No space left on device`.
    public var reason: String {
        code == 0 ? "cannot \(operation)" : "cannot \(operation): \(SystemErrorText.english(code))"
    }

    /// `reason` in French, the system's cause too (`SystemErrorText.french`: « permission refusée », « système de
    /// fichiers en lecture seule » …; an uncommon errno keeps the system's English text).
    public var frenchReason: String {
        let action =
            switch operation {
            case "replace it: not a regular file": "impossible de le remplacer : ce n'est pas un fichier ordinaire"
            case "create a temporary file": "impossible de créer un fichier temporaire"
            case "set permissions": "impossible de fixer les permissions"
            case "write": "impossible d'écrire"
            case "flush to disk": "impossible de vider sur le disque"
            case "commit it twice": "impossible de le valider deux fois"
            case "rename into place": "impossible de le renommer à sa place"
            default: "impossible : \(operation)"
            }
        return code == 0 ? action : "\(action) : \(SystemErrorText.french(code))"
    }

    /// `reason` in `language`, after the path.
    public func description(in language: Language) -> String { "\(path): \(language == .en ? reason : frenchReason)" }

    /// The same failure as an `InputError(.io)` (74) naming the file, in both languages.
    public var inputError: InputError { InputError(.io, file: path, fr: frenchReason, en: reason) }
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
