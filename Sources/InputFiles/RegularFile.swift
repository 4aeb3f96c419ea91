import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Reads a file that someone named (on the command line, in a configuration, in a folder the tools
/// scan) without trusting what the path points to.
///
/// Only regular files are read: a FIFO, a device or a socket is refused before anything could block on
/// it (a FIFO opened for reading waits for a writer forever; `/dev/zero` never ends). The path is
/// `stat`ed first, so a non-regular file is never opened; the file is then opened with `O_NONBLOCK` and
/// checked again with `fstat` on the descriptor, so a file swapped for a FIFO in between is still
/// refused and the open itself never waits. Reading stops after `limit` bytes, whatever `st_size`
/// said (files of `/proc` say 0, a file may grow while it is read).
///
/// Every cyberctl reader of a user-named path goes through here (profiles, configuration, answers,
/// reports and signatures, keys, certificates, CSRs, CRLs, the CA's own files, the collector's inbox);
/// each caller maps `Failure` to its own error type and exit code.
public enum RegularFile {
    /// Why a file was not read. The path is the caller's to add.
    public enum Failure: Error, Equatable, Sendable, CustomStringConvertible {
        /// ENOENT (or a dangling link).
        case notFound
        /// EACCES, EPERM.
        case permissionDenied
        /// A folder where a file was expected.
        case isADirectory
        /// A FIFO, device or socket: `kind` names it (`FIFO`, `character device`, …).
        case notARegularFile(kind: String)
        /// Larger than `limit` bytes; `bytes` is what was seen (the size, or `limit + 1` when read).
        case tooLarge(bytes: Int, limit: Int)
        /// ELOOP: a symbolic link loop (or a link where `followLinks` is false).
        case tooManyLinks
        /// Any other `errno`, with its text.
        case other(code: Int32, reason: String)

        init(errno code: Int32) {
            switch code {
            case ENOENT, ENOTDIR: self = .notFound
            case EACCES, EPERM: self = .permissionDenied
            case EISDIR: self = .isADirectory
            case ELOOP: self = .tooManyLinks
            default: self = .other(code: code, reason: String(cString: strerror(code)))
            }
        }

        public var description: String {
            switch self {
            case .notFound: return "no such file"
            case .permissionDenied: return "permission denied"
            case .isADirectory: return "is a folder, not a file"
            case .notARegularFile(let kind): return "is a \(kind), not a regular file: refused unread"
            case .tooLarge(let bytes, let limit): return "\(bytes) bytes or more, over the limit of \(limit) bytes: refused unread"
            case .tooManyLinks: return "too many levels of symbolic links"
            case .other(_, let reason): return reason
            }
        }

        /// `description` in French (an OS reason from `strerror` stays as the OS gives it).
        public var frenchDescription: String {
            switch self {
            case .notFound: return "fichier introuvable"
            case .permissionDenied: return "permission refusée"
            case .isADirectory: return "c'est un dossier, pas un fichier"
            case .notARegularFile(let kind): return "\(RegularFile.frenchKind(kind)), pas un fichier ordinaire : refusé sans être lu"
            case .tooLarge(let bytes, let limit): return "\(bytes) octets ou plus, au-delà de la limite de \(limit) octets : refusé sans être lu"
            case .tooManyLinks: return "trop de niveaux de liens symboliques"
            case .other(_, let reason): return reason
            }
        }
    }

    /// A file kind of `kind(of:)` in French, with its article ("un FIFO", "un périphérique caractère").
    public static func frenchKind(_ kind: String) -> String {
        switch kind {
        case "regular file": return "un fichier ordinaire"
        case "folder": return "un dossier"
        case "FIFO": return "un FIFO (tube nommé)"
        case "character device": return "un périphérique caractère"
        case "block device": return "un périphérique bloc"
        case "socket": return "une socket"
        case "symbolic link": return "un lien symbolique"
        default: return "un fichier spécial"
        }
    }

    /// Reads the whole of `path`, at most `limit` bytes.
    /// - Parameters:
    ///   - limit: largest size accepted, in bytes.
    ///   - followLinks: false to refuse a symbolic link as the last component (`O_NOFOLLOW`).
    /// - Throws: `Failure`; never blocks on a FIFO or a device.
    public static func read(_ path: String, limit: Int, followLinks: Bool = true) throws(Failure) -> [UInt8] {
        var status = stat()
        let found = followLinks ? stat(path, &status) : lstat(path, &status)
        guard found == 0 else { throw Failure(errno: errno) }
        try requireRegular(status.st_mode)
        if Int(status.st_size) > limit { throw .tooLarge(bytes: Int(status.st_size), limit: limit) }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY | (followLinks ? 0 : O_NOFOLLOW))
        guard descriptor >= 0 else { throw Failure(errno: errno) }
        defer { close(descriptor) }
        return try read(descriptor: descriptor, limit: limit)
    }

    /// Reads an open descriptor to its end, at most `limit` bytes, after checking with `fstat` that it
    /// is a regular file (the check that counts: it holds for what was opened).
    /// - Throws: `Failure`.
    public static func read(descriptor: Int32, limit: Int) throws(Failure) -> [UInt8] {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw Failure(errno: errno) }
        try requireRegular(status.st_mode)
        if Int(status.st_size) > limit { throw .tooLarge(bytes: Int(status.st_size), limit: limit) }
        // Up to limit + 1 bytes, so that a file larger than its st_size said is caught too; one byte more than
        // st_size says, so that the end of a file of the size announced is seen without growing the buffer.
        var bytes = [UInt8](repeating: 0, count: min(limit + 1, max(Int(status.st_size) + 1, 4096)))
        var count = 0
        while true {
            if count == bytes.count {
                guard bytes.count <= limit else { break }
                bytes.append(contentsOf: [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - bytes.count)))
            }
            let got = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + count, $0.count - count) }
            if got < 0 {
                if errno == EINTR { continue }
                throw Failure(errno: errno)
            }
            if got == 0 { break }
            count += got
        }
        if count > limit { throw .tooLarge(bytes: count, limit: limit) }
        bytes.removeSubrange(count...)
        return bytes
    }

    /// Whether `path` is (after following links) a regular file; false when it does not exist.
    public static func isRegular(_ path: String) -> Bool {
        var status = stat()
        return stat(path, &status) == 0 && status.st_mode & S_IFMT == S_IFREG
    }

    /// What kind of file `mode` (`st_mode`) describes, in words.
    public static func kind(of mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFREG: return "regular file"
        case S_IFDIR: return "folder"
        case S_IFIFO: return "FIFO"
        case S_IFCHR: return "character device"
        case S_IFBLK: return "block device"
        case S_IFSOCK: return "socket"
        case S_IFLNK: return "symbolic link"
        default: return "special file"
        }
    }

    static func requireRegular(_ mode: mode_t) throws(Failure) {
        switch mode & S_IFMT {
        case S_IFREG: return
        case S_IFDIR: throw .isADirectory
        default: throw .notARegularFile(kind: kind(of: mode))
        }
    }
}
