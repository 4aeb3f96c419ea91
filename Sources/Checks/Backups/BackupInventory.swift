import FoundationEssentials

#if canImport(Glibc)
import Glibc
import Model
import NIS2
#endif

/// One backup copy: an archive or dump file, a snapshot, an rsnapshot folder.
public struct BackupItem: Sendable, Equatable {
    /// Inner path (or snapshot id for a repository listing).
    public var path: String
    public var modified: Date
    /// Size in bytes (`sizeUnit == .bytes`) or entries (`.entries`); nil when not measured.
    public var size: Int?
}

/// What cyberctl measured of one backup set.
public struct BackupMeasurement: Sendable {
    public enum SizeUnit: String, Sendable { case bytes, entries }

    /// Number of copies; nil when it cannot be told (Borg repository without its passphrase).
    public var count: Int?
    /// The newest copy dated no later than the inventory's `notAfter` (a credible date).
    public var newest: BackupItem?
    /// The newest of the copies dated after `notAfter` (a wrong clock, a `touch`), set aside: they
    /// never stand for the newest copy, and are reported on their own.
    public var futureNewest: BackupItem?
    /// How many copies are dated after `notAfter`.
    public var futureCount = 0
    /// The copy before the newest one in the same series, for the size change.
    public var previous: BackupItem?
    /// Bytes of every copy together (a repository's `data/`), when measured.
    public var totalBytes: Int?
    public var sizeUnit: SizeUnit = .bytes
    /// Why the size change against the previous copy was not checked, when it was not.
    public var sizeChangeNotChecked: LocalizedText?
    /// Series (one database, one VM) whose newest copy is older than the newest of the set, with that time.
    public var series: [String: Date] = [:]
    /// Parts that could not be read (unreadable folders, dangling links), with the reason; at most 20 kept.
    public var problems: [LocalizedText] = []
    public var problemCount = 0
    /// True when the walk stopped at the file limit: counts and the newest are partial.
    public var truncated = false
    /// The set could not be measured at all; the reason.
    public var failure: LocalizedText?
    /// Why a set that was read holds no copy, when that needs saying (a shared repository holding
    /// only other hosts' snapshots).
    public var noCopyReason: LocalizedText?
    /// The size of the newest or previous copy could not be read (a `restic stats` or `borg info`
    /// that failed); the reason. The size rule is then an error, never a pass it did not verify.
    public var sizeFailure: LocalizedText?
    /// How the copies were listed (`files`, `restic snapshots --json`, `repository files`).
    public var method: String = "files"
    /// Why a repository's snapshot list was not read, when it was not.
    public var snapshotListNotChecked: LocalizedText?
    /// Device (`st_dev`) of the set's base folder.
    public var device: UInt64?
    /// Extra facts for the evidence (snapshot hosts, repository id …).
    public var details: [String: JSONValue] = [:]

    /// Sets `item` aside as dated in the future when it is dated after `notAfter`; returns whether it did.
    mutating func setAsideIfFuture(_ item: BackupItem, notAfter: Date?) -> Bool {
        guard let notAfter, item.modified > notAfter else { return false }
        futureCount += 1
        if futureNewest.map({ item.modified > $0.modified }) ?? true { futureNewest = item }
        return true
    }

    mutating func problem(_ text: LocalizedText) {
        problemCount += 1
        if problems.count < 20 { problems.append(text) }
    }

    /// Takes what a walk over the set left: whether it stopped at the file limit, and what it could not read.
    mutating func take(_ walker: BoundedWalker) {
        truncated = walker.truncated
        for problem in walker.problems { self.problem(problem) }
        problemCount = walker.problemCount
    }
}

/// Walks folders below a `FileSystemRoot` with a bound on the entries visited, never following a
/// linked folder (no loops), following linked files inside the root, and noting what it cannot read.
struct BoundedWalker {
    let root: FileSystemRoot
    /// Largest number of entries visited.
    let limit: Int
    var visited = 0
    var truncated = false
    var problems: [LocalizedText] = []
    var problemCount = 0

    struct Entry {
        let parent: String
        let name: String
        let isDirectory: Bool
        let size: Int
        let modified: Date
        let device: UInt64
        var path: String { parent == "/" ? "/" + name : parent + "/" + name }
    }

    mutating func note(_ text: LocalizedText) {
        problemCount += 1
        if problems.count < 20 { problems.append(text) }
    }

    /// Visits entries below `directory` (inner path, already resolved), down to `maxDepth` levels,
    /// skipping `excluded` inner paths. `pattern` holds fnmatch patterns per level (nil: everything);
    /// below the last pattern level everything is visited. `visit` returns false to stop descending.
    mutating func walk(
        _ directory: String, pattern: [String]? = nil, depth: Int = 0, maxDepth: Int = 16, excluded: Set<String> = [],
        visit: (Entry) -> Void
    ) {
        guard !truncated, !Task.isCancelled else { return }
        let host = root.hostPath(directory)
        guard let stream = opendir(host) else {
            note(Self.reason(errno, at: directory))
            return
        }
        defer { closedir(stream) }
        let descriptor = dirfd(stream)
        var subdirectories: [String] = []
        let levelPattern = pattern.flatMap { depth < $0.count ? $0[depth] : nil }
        while let entry = readdir(stream) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            if let levelPattern, fnmatch(levelPattern, name, FNM_PERIOD) != 0 { continue }
            visited += 1
            if visited & 4095 == 0, Task.isCancelled {
                truncated = true
                return
            }
            if visited > limit {
                truncated = true
                return
            }
            let parentPath = directory
            var status = stat()
            guard fstatat(descriptor, name, &status, AT_SYMLINK_NOFOLLOW) == 0 else {
                note(Self.reason(errno, at: "\(parentPath)/\(name)"))
                continue
            }
            var kind = status.st_mode & S_IFMT
            if kind == S_IFLNK {
                // A link to a file counts as that file (resolved inside the root); a link to a folder
                // is not followed (loops); a dangling link is a problem.
                let inner = parentPath == "/" ? "/" + name : parentPath + "/" + name
                guard let resolved = try? root.resolve(inner), stat(root.hostPath(resolved), &status) == 0 else {
                    note(Self.danglingLink(inner))
                    continue
                }
                kind = status.st_mode & S_IFMT
                if kind == S_IFDIR { continue }
            }
            let isDirectory = kind == S_IFDIR
            guard isDirectory || kind == S_IFREG else { continue }
            let item = Entry(
                parent: parentPath, name: name, isDirectory: isDirectory, size: Int(status.st_size),
                modified: Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec) + TimeInterval(status.st_mtim.tv_nsec) / 1e9),
                device: UInt64(status.st_dev))
            if isDirectory {
                if !excluded.contains(item.path) { subdirectories.append(name) }
            } else if pattern == nil || depth + 1 >= pattern!.count {
                visit(item)
            }
        }
        guard depth + 1 < maxDepth else { return }
        for name in subdirectories.sorted() {
            let path = directory == "/" ? "/" + name : directory + "/" + name
            if let pattern, depth + 1 == pattern.count {
                walk(path, pattern: nil, depth: 0, maxDepth: maxDepth - depth - 1, excluded: excluded, visit: visit)
            } else {
                walk(path, pattern: pattern, depth: depth + 1, maxDepth: maxDepth, excluded: excluded, visit: visit)
            }
            if truncated { return }
        }
    }

    /// Names in a folder (inner path), read with `readdir` and without sorting: cheap on a folder
    /// of 100,000 archives, unlike a full listing. `directoriesOnly` keeps folders (not links to
    /// folders); `limit` bounds the entries read.
    static func names(in directory: String, root: FileSystemRoot, directoriesOnly: Bool = false, limit: Int = 1_000_000) -> [String] {
        guard let resolved = try? root.resolve(directory), let stream = opendir(root.hostPath(resolved)) else { return [] }
        defer { closedir(stream) }
        var names: [String] = []
        var seen = 0
        while let entry = readdir(stream), seen < limit {
            seen += 1
            let type = entry.pointee.d_type
            if directoriesOnly && type != UInt8(DT_DIR) && type != UInt8(DT_UNKNOWN) { continue }
            let name = withUnsafePointer(to: &entry.pointee.d_name) {
                String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
            }
            if name == "." || name == ".." { continue }
            if directoriesOnly && type == UInt8(DT_UNKNOWN) {
                var status = stat()
                guard fstatat(dirfd(stream), name, &status, AT_SYMLINK_NOFOLLOW) == 0, status.st_mode & S_IFMT == S_IFDIR else { continue }
            }
            names.append(name)
        }
        return names
    }

    /// `path: why` for an `errno`, in both languages (the system's own text for the rare others).
    static func reason(_ code: Int32, at path: String) -> LocalizedText {
        switch code {
        case EACCES, EPERM: return LocalizedText(fr: "\(path) : permission refusée", en: "\(path): permission denied")
        case ENOENT: return LocalizedText(fr: "\(path) : fichier ou dossier absent", en: "\(path): no such file or directory")
        case ENOTDIR: return LocalizedText(fr: "\(path) : n'est pas un dossier", en: "\(path): not a directory")
        default: return .verbatim("\(path): \(String(cString: strerror(code)))")
        }
    }

    /// `path: dangling symbolic link`, in both languages.
    static func danglingLink(_ path: String) -> LocalizedText {
        LocalizedText(fr: "\(path) : lien symbolique vers rien", en: "\(path): dangling symbolic link")
    }
}

/// Measures sets stored as files on this host's filesystem (or the audited image).
struct BackupInventory {
    let root: FileSystemRoot
    /// Largest number of entries visited per set.
    let maximumFiles: Int
    /// Copies dated after this (the scan's time plus a tolerance) are set aside as dated in the
    /// future (`futureNewest`, `futureCount`) instead of standing for the newest copy; nil keeps all.
    var notAfter: Date? = nil

    /// Extensions of files that sit next to copies without being one: logs, checksums, signatures,
    /// transfers in progress.
    static let ignoredExtensions: Set<String> = ["log", "md5", "sha1", "sha256", "sha512", "sum", "sig", "asc", "tmp", "part", "partial", "lock", "notes", "pid"]
    /// Debian's own copies of dpkg, apt and account files in /var/backups (made by the `dpkg` daily
    /// job): not a backup of the commune's data.
    static let debianSystemPrefixes = ["dpkg.", "apt.extended_states", "alternatives.tar", "aptitude.pkgstates", "infodir.bak", "passwd.", "group.", "shadow.", "gshadow.", "dpkg-"]

    /// Splits a set path into the literal folder to start from and the wildcard levels below it.
    static func split(_ path: String) -> (base: String, pattern: [String]?) {
        let components = FileSystemRoot.components(FileSystemRoot.normalize(path))
        guard let first = components.firstIndex(where: { $0.contains(where: { "*?[".contains($0) }) }) else {
            return (FileSystemRoot.normalize(path), nil)
        }
        return ("/" + components[..<first].joined(separator: "/"), Array(components[first...]))
    }

    /// The series a copy belongs to: for vzdump the guest (`qemu-101`), otherwise its path below
    /// the base with every run of digits folded (`etat-civil-2026-11-28.dump` → `etat-civil-#-#-#.dump`).
    static func series(of relativePath: String, kind: BackupKind) -> String {
        if kind == .vzdump {
            let name = relativePath.split(separator: "/").last.map(String.init) ?? relativePath
            let parts = name.split(separator: "-")
            if parts.count >= 3 { return "\(parts[1])-\(parts[2])" }
        }
        // Byte-wise: this runs once per file, 100,000 times for a large folder.
        var folded: [UInt8] = []
        folded.reserveCapacity(relativePath.utf8.count)
        var lastWasDigit = false
        for byte in relativePath.utf8 {
            if byte >= 0x30 && byte <= 0x39 {
                if !lastWasDigit { folded.append(0x23) }
                lastWasDigit = true
            } else {
                folded.append(byte)
                lastWasDigit = false
            }
        }
        return String(decoding: folded, as: UTF8.self)
    }

    /// `hasSuffix` on bytes (String's is Unicode-aware and slow in a loop over many names).
    static func asciiHasSuffix(_ name: String, _ suffix: String) -> Bool {
        let count = suffix.utf8.count
        return name.utf8.count >= count && name.utf8.suffix(count).elementsEqual(suffix.utf8)
    }

    static func asciiHasPrefix(_ name: String, _ prefix: String) -> Bool {
        let count = prefix.utf8.count
        return name.utf8.count >= count && name.utf8.prefix(count).elementsEqual(prefix.utf8)
    }

    /// Whether a file is a copy of this kind.
    static func isCopy(_ name: String, kind: BackupKind, inDebianBackups: Bool) -> Bool {
        if let dot = name.utf8.lastIndex(of: 0x2E), ignoredExtensions.contains(String(name[name.utf8.index(after: dot)...])) {
            return false
        }
        if inDebianBackups && debianSystemPrefixes.contains(where: { asciiHasPrefix(name, $0) }) { return false }
        if kind == .vzdump {
            return asciiHasPrefix(name, "vzdump-") && (name.contains(".vma") || name.contains(".tar") || asciiHasSuffix(name, ".tgz"))
        }
        return true
    }

    /// Measures a `files`, `pgdump` or `vzdump` set.
    func measureFiles(_ set: BackupSet) -> BackupMeasurement {
        var measurement = BackupMeasurement()
        let (base, pattern) = Self.split(set.path)
        guard let resolved = try? root.resolve(base) else {
            measurement.failure = FileAccessError.tooManyLinks(base).localizedText
            return measurement
        }
        var status = stat()
        guard stat(root.hostPath(resolved), &status) == 0 else {
            let code = errno
            if code == ENOENT, resolved != base || Self.isDanglingLink(resolved, root: root) {
                measurement.failure = BoundedWalker.danglingLink(base)
                    + (resolved != base ? LocalizedText(fr: " (vers \(resolved))", en: " (to \(resolved))") : .verbatim(""))
            } else if code == ENOENT {
                measurement.count = 0
                measurement.details["pathMissing"] = .bool(true)
            } else {
                measurement.failure = BoundedWalker.reason(code, at: base)
            }
            return measurement
        }
        measurement.device = UInt64(status.st_dev)
        let debianBackups = resolved == "/var/backups" || base == "/var/backups"
        // A single file named by the profile.
        if status.st_mode & S_IFMT == S_IFREG {
            guard pattern == nil else { return measurement }
            measurement.count = 1
            measurement.totalBytes = Int(status.st_size)
            let item = BackupItem(
                path: base, modified: Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec)), size: Int(status.st_size))
            if !measurement.setAsideIfFuture(item, notAfter: notAfter) { measurement.newest = item }
            return measurement
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            measurement.failure = LocalizedText(fr: "\(base) : ni un fichier ordinaire ni un dossier", en: "\(base): not a regular file or folder")
            return measurement
        }
        var walker = BoundedWalker(root: root, limit: maximumFiles)
        // Per series: newest and previous copy. Bounded: past 10,000 series, only the global top two are kept.
        var top: [String: (newest: BackupItem, previous: BackupItem?)] = [:]
        var globalNewest: BackupItem?
        var globalSeries: String?
        var count = 0
        var total = 0
        let prefixLength = resolved == "/" ? 1 : resolved.utf8.count + 1
        walker.walk(resolved, pattern: pattern, excluded: Set(set.excluded)) { entry in
            guard Self.isCopy(entry.name, kind: set.kind, inDebianBackups: debianBackups && entry.parent == resolved) else { return }
            count += 1
            total += entry.size
            if let notAfter, entry.modified > notAfter {
                _ = measurement.setAsideIfFuture(BackupItem(path: entry.path, modified: entry.modified, size: entry.size), notAfter: notAfter)
                return
            }
            let relative = entry.parent == resolved
                ? entry.name : String(decoding: entry.parent.utf8.dropFirst(prefixLength), as: UTF8.self) + "/" + entry.name
            let key = Self.series(of: relative, kind: set.kind)
            // The full path is built only for a copy that may be kept.
            let current = top[key]
            let keep = current.map { entry.modified > $0.newest.modified || $0.previous.map { entry.modified > $0.modified } ?? true } ?? true
            let newer = globalNewest.map { entry.modified > $0.modified } ?? true
            guard keep || newer else { return }
            let item = BackupItem(path: entry.path, modified: entry.modified, size: entry.size)
            if let current {
                if item.modified > current.newest.modified {
                    top[key] = (item, current.newest)
                } else if current.previous.map({ item.modified > $0.modified }) ?? true {
                    top[key] = (current.newest, item)
                }
            } else if top.count < 10_000 {
                top[key] = (item, nil)
            }
            if globalNewest.map({ item.modified > $0.modified }) ?? true {
                globalNewest = item
                globalSeries = key
            }
        }
        measurement.count = count
        measurement.totalBytes = total
        measurement.take(walker)
        if let globalNewest {
            measurement.newest = globalNewest
            measurement.previous = globalSeries.flatMap { top[$0]?.previous }
        }
        measurement.series = top.mapValues(\.newest.modified)
        if measurement.previous == nil, count > 0 { measurement.sizeChangeNotChecked = LocalizedText(fr: "une seule copie dans cette série", en: "only one copy in this series") }
        return measurement
    }

    /// Measures an rsnapshot `snapshot_root`: one copy per `<interval>.<n>` folder.
    func measureRsnapshot(_ set: BackupSet) -> BackupMeasurement {
        var measurement = BackupMeasurement()
        measurement.method = "rsnapshot folders"
        measurement.sizeUnit = .entries
        measurement.sizeChangeNotChecked = LocalizedText(
            fr: "les instantanés rsnapshot sont des arborescences en liens physiques : leur taille n'est pas comparée",
            en: "rsnapshot snapshots are hard-linked trees: their size is not compared")
        let names: [String]
        do {
            guard let info = try root.status(set.path) else {
                measurement.count = 0
                measurement.details["pathMissing"] = .bool(true)
                return measurement
            }
            guard info.isDirectory else {
                measurement.failure = FileAccessError.notADirectory(set.path).localizedText
                return measurement
            }
            measurement.device = info.device
            names = try root.contents(set.path) ?? []
        } catch {
            measurement.failure = error.localizedText
            return measurement
        }
        var count = 0
        var newest: BackupItem?
        for name in names where BackupDiscovery.isRsnapshotName(name) {
            let path = "\(set.path)/\(name)"
            guard let snapshot = root.info(path), snapshot.isDirectory else { continue }
            count += 1
            if measurement.setAsideIfFuture(BackupItem(path: path, modified: snapshot.modified, size: nil), notAfter: notAfter) { continue }
            if newest.map({ snapshot.modified > $0.modified }) ?? true {
                newest = BackupItem(path: path, modified: snapshot.modified, size: nil)
            }
        }
        if var item = newest {
            // Entries directly in the newest snapshot: zero means an empty copy.
            let resolved = (try? root.resolve(item.path)) ?? item.path
            if let stream = opendir(root.hostPath(resolved)) {
                var entries = 0
                while let entry = readdir(stream) {
                    let name = withUnsafePointer(to: &entry.pointee.d_name) {
                        String(cString: UnsafeRawPointer($0).assumingMemoryBound(to: CChar.self))
                    }
                    if name != "." && name != ".." { entries += 1 }
                }
                closedir(stream)
                item.size = entries
            } else {
                measurement.problem(BoundedWalker.reason(errno, at: item.path))
            }
            measurement.newest = item
        }
        measurement.count = count
        return measurement
    }

    /// Measures a local restic repository from its files: one file per snapshot in `snapshots/`
    /// (written when the snapshot is made), pack files in `data/`.
    func measureResticFiles(_ set: BackupSet, path: String) -> BackupMeasurement {
        measureRepositoryFiles(
            path: path, kind: "restic", sizeChangeNotChecked: LocalizedText(
                fr: "la taille des instantanés demande le mot de passe du dépôt", en: "snapshot sizes need the repository password")
        ) { walker, future in
            var count = 0
            var newest: BackupItem?
            walker.walk(path + "/snapshots", maxDepth: 1) { entry in
                count += 1
                if let notAfter, entry.modified > notAfter {
                    future.append(BackupItem(path: entry.path, modified: entry.modified, size: nil))
                    return
                }
                if newest.map({ entry.modified > $0.modified }) ?? true {
                    newest = BackupItem(path: entry.path, modified: entry.modified, size: nil)
                }
            }
            var data = 0
            walker.walk(path + "/data", maxDepth: 2) { entry in data += entry.size }
            return (count, newest, data)
        }
    }

    /// Measures a local Borg repository from its files: the newest write to any segment or index,
    /// and the bytes in `data/`. The archive count needs the passphrase.
    func measureBorgFiles(_ set: BackupSet, path: String) -> BackupMeasurement {
        measureRepositoryFiles(
            path: path, kind: "Borg", sizeChangeNotChecked: LocalizedText(
                fr: "la taille des archives demande la phrase de passe du dépôt", en: "archive sizes need the repository passphrase")
        ) { walker, future in
            var newest: BackupItem?
            var data = 0
            var segments = 0
            walker.walk(path, maxDepth: 3) { entry in
                if entry.name.hasPrefix("lock") { return }
                if entry.parent.hasPrefix(path + "/data") {
                    data += entry.size
                    segments += 1
                }
                if let notAfter, entry.modified > notAfter {
                    future.append(BackupItem(path: entry.path, modified: entry.modified, size: nil))
                    return
                }
                if newest.map({ entry.modified > $0.modified }) ?? true {
                    newest = BackupItem(path: entry.path, modified: entry.modified, size: nil)
                }
            }
            return (segments == 0 ? 0 : nil, segments == 0 ? nil : newest, data)
        }
    }

    /// Measures a local repository (restic, Borg) from its files, without its password. A missing
    /// `path` is an empty set (`pathMissing`); a folder without a `config` file is a failure naming
    /// `kind`. Otherwise `list` walks the repository with a bounded walker and returns the number of
    /// copies (nil when it cannot be told), the newest copy and the bytes in `data/`, which become the
    /// newest copy's size and the total; it appends to its second argument the files dated after
    /// `notAfter`, set aside.
    func measureRepositoryFiles(
        path: String, kind: String, sizeChangeNotChecked: LocalizedText,
        list: (inout BoundedWalker, inout [BackupItem]) -> (count: Int?, newest: BackupItem?, dataBytes: Int)
    ) -> BackupMeasurement {
        var measurement = BackupMeasurement()
        measurement.method = "repository files"
        let found: FileInfo?
        do {
            found = try root.status(path)
        } catch {
            measurement.failure = error.localizedText
            return measurement
        }
        guard let info = found else {
            measurement.count = 0
            measurement.details["pathMissing"] = .bool(true)
            return measurement
        }
        measurement.device = info.device
        guard info.isDirectory, root.info(path + "/config")?.isRegularFile == true else {
            measurement.failure = LocalizedText(
                fr: "\(path) : pas un dépôt \(kind) (pas de fichier config)", en: "\(path): not a \(kind) repository (no config file)")
            return measurement
        }
        var walker = BoundedWalker(root: root, limit: maximumFiles)
        var future: [BackupItem] = []
        let (count, newest, data) = list(&walker, &future)
        for item in future { _ = measurement.setAsideIfFuture(item, notAfter: notAfter) }
        measurement.count = count
        measurement.newest = newest
        measurement.newest?.size = data
        measurement.totalBytes = data
        measurement.details["sizeSource"] = "repository data/ folder"
        measurement.take(walker)
        measurement.sizeChangeNotChecked = sizeChangeNotChecked
        return measurement
    }

    static func isDanglingLink(_ path: String, root: FileSystemRoot) -> Bool {
        var status = stat()
        return lstat(root.hostPath(path), &status) == 0 && status.st_mode & S_IFMT == S_IFLNK
    }
}
