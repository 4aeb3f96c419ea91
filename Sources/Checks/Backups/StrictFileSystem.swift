import FoundationEssentials

#if canImport(Glibc)
import Glibc
#endif

/// Reads of folders and file status that tell "not there" from "could not look": the backup rules
/// must not turn an unreadable folder into an empty one, nor a folder behind an unreadable parent
/// into a missing one.
extension FileSystemRoot {
    /// Names in a folder (inner path, links resolved inside the root), sorted; nil when it does not
    /// exist.
    /// - Throws: `FileAccessError` when it exists but cannot be listed (permission denied, not a
    ///   folder, a link loop).
    func contents(_ innerPath: String) throws(FileAccessError) -> [String]? {
        let resolved = try resolve(innerPath)
        guard let stream = opendir(hostPath(resolved)) else {
            let code = errno
            if code == ENOENT { return nil }
            throw FileAccessError(errno: code, path: innerPath)
        }
        defer { closedir(stream) }
        var names: [String] = []
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }

    /// `info(innerPath)`, but nil only when the path (or a link along it) does not exist.
    /// - Throws: `FileAccessError` when it cannot be looked at (a parent folder without search
    ///   permission, a link loop).
    func status(_ innerPath: String) throws(FileAccessError) -> FileInfo? {
        let resolved = try resolve(innerPath)
        var status = stat()
        guard stat(hostPath(resolved), &status) == 0 else {
            let code = errno
            if code == ENOENT { return nil }
            throw FileAccessError(errno: code, path: innerPath)
        }
        return FileInfo(
            isDirectory: status.st_mode & S_IFMT == S_IFDIR, isRegularFile: status.st_mode & S_IFMT == S_IFREG,
            size: Int(status.st_size), modified: Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec)),
            device: UInt64(status.st_dev), mode: UInt32(status.st_mode & 0o7777))
    }
}
