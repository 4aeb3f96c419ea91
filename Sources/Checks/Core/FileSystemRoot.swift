import FoundationEssentials
import NIS2

#if canImport(Glibc)
import Glibc
import Model
#endif

/// The filesystem a scan audits: `/` on a live host, or a mounted image or fixture tree.
///
/// Paths given to it are paths *inside* the audited system (`/etc/nginx/nginx.conf`). Symbolic links
/// are resolved as the audited system would see them: an absolute link target stays inside the root.
/// Everything is read-only.
public struct FileSystemRoot: Sendable, Equatable {
    /// Absolute path of the root on this machine (no trailing slash, `/` for the live system).
    public let path: String

    /// - Throws: `FileAccessError.notFound` / `.notADirectory` when `path` is not an existing directory.
    public init(_ path: String) throws(FileAccessError) {
        var isDirectory = false
        let absolute = URL(fileURLWithPath: path).standardizedFileURL.path
        guard FileManager.default.fileExists(atPath: absolute, isDirectory: &isDirectory) else {
            throw .notFound(path)
        }
        guard isDirectory else { throw .notADirectory(path) }
        self.path = absolute == "/" ? "/" : (absolute.hasSuffix("/") ? String(absolute.dropLast()) : absolute)
    }

    /// The live system.
    public static let system = try! FileSystemRoot("/")

    public var isSystemRoot: Bool { path == "/" }

    /// Where `innerPath` (absolute inside the audited system) lives on this machine, without resolving links.
    public func hostPath(_ innerPath: String) -> String {
        let normalized = Self.normalize(innerPath)
        return isSystemRoot ? normalized : path + (normalized == "/" ? "" : normalized)
    }

    /// Resolves every symbolic link along `innerPath` inside the root (at most 40 hops).
    /// - Returns: the resolved inner path; a dangling final component is kept as it is.
    /// - Throws: `FileAccessError.tooManyLinks` on a loop.
    public func resolve(_ innerPath: String) throws(FileAccessError) -> String {
        var pending = Self.components(Self.normalize(innerPath))
        pending.reverse()  // popped from the end
        var resolved: [String] = []
        // "/" + resolved.joined(separator: "/"), kept up to date rather than rebuilt for every component.
        var current = "/"
        var hops = 0
        while let component = pending.popLast() {
            if component == ".." {
                if !resolved.isEmpty {
                    resolved.removeLast()
                    current = "/" + resolved.joined(separator: "/")
                }
                continue
            }
            // Components never hold "", "." or "..", so the candidate is already normal: no `hostPath` pass.
            let candidate = current == "/" ? "/" + component : current + "/" + component
            let onHost = isSystemRoot ? candidate : path + candidate
            var info = stat()
            guard lstat(onHost, &info) == 0, info.st_mode & S_IFMT == S_IFLNK else {
                resolved.append(component)
                current = candidate
                continue
            }
            hops += 1
            guard hops <= 40 else { throw .tooManyLinks(innerPath) }
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let length = readlink(onHost, &buffer, buffer.count - 1)
            guard length >= 0 else {
                resolved.append(component)
                current = candidate
                continue
            }
            let target = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if target.hasPrefix("/") {
                resolved = []
                current = "/"
            }
            pending += Self.components(target).reversed()
        }
        return current
    }

    /// Reads a whole regular file, following links inside the root.
    /// - Parameter limit: largest size accepted, in bytes.
    /// - Throws: `FileAccessError` naming the path and the reason (missing, permission, directory, too large).
    public func read(_ innerPath: String, limit: Int = 16 << 20) throws(FileAccessError) -> [UInt8] {
        let resolved = try resolve(innerPath)
        let descriptor = open(hostPath(resolved), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard descriptor >= 0 else { throw FileAccessError(errno: errno, path: innerPath) }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { throw FileAccessError(errno: errno, path: innerPath) }
        guard info.st_mode & S_IFMT == S_IFREG else {
            throw info.st_mode & S_IFMT == S_IFDIR ? .isADirectory(innerPath) : .notARegularFile(innerPath)
        }
        guard Int(info.st_size) <= limit else { throw .tooLarge(innerPath, bytes: Int(info.st_size), limit: limit) }
        // Files of /proc and /sys say size 0 and are produced as they are read: read them to the end
        // of file, in chunks, still bounded by `limit`.
        let sizeKnown = info.st_size > 0
        var bytes = [UInt8](repeating: 0, count: sizeKnown ? Int(info.st_size) : min(limit + 1, 64 << 10))
        var offset = 0
        while true {
            if offset == bytes.count {
                guard !sizeKnown, bytes.count <= limit else { break }
                bytes += [UInt8](repeating: 0, count: min(bytes.count, limit + 1 - bytes.count))
            }
            let count = bytes.withUnsafeMutableBytes { Glibc.read(descriptor, $0.baseAddress! + offset, $0.count - offset) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileAccessError(errno: errno, path: innerPath)
            }
            if count == 0 { break }
            offset += count
        }
        guard offset <= limit else { throw .tooLarge(innerPath, bytes: offset, limit: limit) }
        return Array(bytes.prefix(offset))
    }

    /// Reads a text file as UTF-8 (invalid bytes replaced); same errors as `read`.
    public func readText(_ innerPath: String, limit: Int = 16 << 20) throws(FileAccessError) -> String {
        String(decoding: try read(innerPath, limit: limit), as: UTF8.self)
    }

    /// File metadata after following links inside the root; nil when it does not exist.
    public func info(_ innerPath: String) -> FileInfo? {
        guard let resolved = try? resolve(innerPath) else { return nil }
        var status = stat()
        guard stat(hostPath(resolved), &status) == 0 else { return nil }
        return FileInfo(
            isDirectory: status.st_mode & S_IFMT == S_IFDIR,
            isRegularFile: status.st_mode & S_IFMT == S_IFREG,
            size: Int(status.st_size),
            modified: Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec)),
            device: UInt64(status.st_dev),
            mode: UInt32(status.st_mode & 0o7777)
        )
    }

    public func exists(_ innerPath: String) -> Bool { info(innerPath) != nil }

    /// True when something is at `innerPath`: an existing file, or a symbolic link even if its target is
    /// missing (reading it then fails, which is an error to report rather than an absence).
    public func isPresent(_ innerPath: String) -> Bool {
        var status = stat()
        return exists(innerPath) || lstat(hostPath(innerPath), &status) == 0
    }

    /// Names in a directory, sorted; empty when it does not exist or cannot be read.
    public func list(_ innerPath: String) -> [String] {
        guard let resolved = try? resolve(innerPath),
              let names = try? FileManager.default.contentsOfDirectory(atPath: hostPath(resolved)) else { return [] }
        return names.sorted()
    }

    /// Names in a directory, sorted, without `.` and `..`; nil when it does not exist. Unlike `list`,
    /// a directory that exists but cannot be listed is an error, not an empty list.
    /// - Throws: `FileAccessError` naming `innerPath` (permission denied, not a directory, link loop, I/O error).
    public func entries(_ innerPath: String) throws(FileAccessError) -> [String]? {
        let resolved = try resolve(innerPath)
        guard let directory = opendir(hostPath(resolved)) else {
            if errno == ENOENT { return nil }
            throw FileAccessError(errno: errno, path: innerPath)
        }
        defer { closedir(directory) }
        var names: [String] = []
        while true {
            errno = 0
            guard let entry = readdir(directory) else {
                if errno != 0 { throw FileAccessError(errno: errno, path: innerPath) }
                break
            }
            let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// Expands a shell-style pattern (`/etc/nginx/sites-enabled/*`) inside the root, sorted.
    /// Links in the directory part are resolved inside the root first.
    /// - Parameter limit: at most this many matches are returned.
    public func glob(_ pattern: String, limit: Int = 10_000) -> [String] {
        let normalized = Self.normalize(pattern)
        guard normalized.contains(where: { "*?[".contains($0) }) else {
            return exists(normalized) ? [normalized] : []
        }
        // Resolve the literal directory prefix, then let libc's glob match below it.
        let components = Self.components(normalized)
        let firstWild = components.firstIndex { $0.contains(where: { "*?[".contains($0) }) } ?? components.count
        let literal = "/" + components[..<firstWild].joined(separator: "/")
        let base = (try? resolve(literal)) ?? literal
        let rest = components[firstWild...].joined(separator: "/")
        let hostPattern = hostPath(base) + (hostPath(base).hasSuffix("/") ? "" : "/") + rest
        var result = glob_t()
        defer { globfree(&result) }
        guard Glibc.glob(hostPattern, 0, nil, &result) == 0 else { return [] }
        let prefix = isSystemRoot ? "" : path
        var matches: [String] = []
        for index in 0..<Int(result.gl_pathc) {
            guard matches.count < limit, let pointer = result.gl_pathv[index] else { break }
            let hostMatch = String(cString: pointer)
            let inner = String(hostMatch.dropFirst(prefix.count))
            matches.append(Self.normalize(inner.hasPrefix("/") ? inner : "/" + inner))
        }
        return matches.sorted()
    }

    static func components(_ path: String) -> [String] {
        path.split(separator: "/").map(String.init).filter { $0 != "." && !$0.isEmpty }
    }

    /// Collapses `//`, `.` and `..` lexically; the result is absolute.
    static func normalize(_ path: String) -> String {
        var stack: [String] = []
        for component in components(path) {
            if component == ".." { if !stack.isEmpty { stack.removeLast() } } else { stack.append(component) }
        }
        return "/" + stack.joined(separator: "/")
    }
}

/// What `stat` says of a file, in plain units.
public struct FileInfo: Sendable, Equatable {
    public let isDirectory: Bool
    public let isRegularFile: Bool
    /// Size in bytes.
    public let size: Int
    public let modified: Date
    /// Device id (`st_dev`): two paths on the same filesystem share it.
    public let device: UInt64
    /// Permission bits (`0o640`).
    public let mode: UInt32
}

/// Why a file could not be read. The message names the path.
public enum FileAccessError: Error, Equatable, Sendable, CustomStringConvertible {
    case notFound(String)
    case permissionDenied(String)
    case isADirectory(String)
    case notADirectory(String)
    case notARegularFile(String)
    case tooLarge(String, bytes: Int, limit: Int)
    case tooManyLinks(String)
    case other(String, String)

    init(errno code: Int32, path: String) {
        switch code {
        case ENOENT: self = .notFound(path)
        case EACCES, EPERM: self = .permissionDenied(path)
        case EISDIR: self = .isADirectory(path)
        case ENOTDIR: self = .notADirectory(path)
        case ELOOP: self = .tooManyLinks(path)
        default: self = .other(path, String(cString: strerror(code)))
        }
    }

    public var path: String {
        switch self {
        case .notFound(let path), .permissionDenied(let path), .isADirectory(let path), .notADirectory(let path),
            .notARegularFile(let path), .tooLarge(let path, _, _), .tooManyLinks(let path), .other(let path, _):
            return path
        }
    }

    public var description: String {
        switch self {
        case .notFound(let path): return "\(path): no such file or directory"
        case .permissionDenied(let path): return "\(path): permission denied"
        case .isADirectory(let path): return "\(path): is a directory"
        case .notADirectory(let path): return "\(path): not a directory"
        case .notARegularFile(let path): return "\(path): not a regular file"
        case .tooLarge(let path, let bytes, let limit): return "\(path): \(bytes) bytes, more than the \(limit)-byte limit"
        case .tooManyLinks(let path): return "\(path): too many levels of symbolic links"
        case .other(let path, let reason): return "\(path): \(reason)"
        }
    }

    /// The message in both languages; the path, and the system's own error text of `.other` (`strerror`), as they are.
    public var localizedText: LocalizedText {
        switch self {
        case .notFound(let path): return LocalizedText(fr: "\(path) : fichier ou dossier absent", en: description)
        case .permissionDenied(let path): return LocalizedText(fr: "\(path) : permission refusée", en: description)
        case .isADirectory(let path): return LocalizedText(fr: "\(path) : est un dossier", en: description)
        case .notADirectory(let path): return LocalizedText(fr: "\(path) : n'est pas un dossier", en: description)
        case .notARegularFile(let path): return LocalizedText(fr: "\(path) : n'est pas un fichier ordinaire", en: description)
        case .tooLarge(let path, let bytes, let limit):
            return LocalizedText(fr: "\(path) : \(bytes) octets, au-delà de la limite de \(limit) octets", en: description)
        case .tooManyLinks(let path): return LocalizedText(fr: "\(path) : trop de niveaux de liens symboliques", en: description)
        case .other(let path, let reason): return LocalizedText(fr: "\(path) : \(reason)", en: description)
        }
    }

    /// The message in `language`.
    public func description(in language: Language) -> String { localizedText.text(in: language) }
}
