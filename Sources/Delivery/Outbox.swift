import Agent
import Checks
import FoundationEssentials
import NIS2
import Model
import OpenSSLKit

#if canImport(Glibc)
import Glibc
#endif

/// The agent's outbox: signed report pairs waiting for the collector, on disk, surviving crashes and reboots.
///
/// Layout (every folder 0750, every file 0640):
/// ```
/// OUTBOX/
///   .lock                          flock(2): one `cyberctl push` at a time sends
///   .incoming/                     staging: pairs being queued, pairs being removed (never listed)
///   <report name without .json>/   one queued pair, visible only once complete:
///     <report>.json                  the exact report bytes
///     <report>.json.p7s              its detached CMS signature (DER)
///     state.json                     attempts, next attempt, last error, refusal (see `OutboxState`)
/// ```
/// A pair is built in `.incoming/`, each file fsync'ed, then its folder is renamed into place with one
/// `rename(2)` and the outbox folder fsync'ed: a crash at any point leaves either no entry or a complete
/// one. Removal is the reverse: the entry folder is renamed back into `.incoming/` (one atomic step), then
/// deleted. Leftovers in `.incoming/` (from a crash) are swept by the next `push`.
public final class Outbox: Sendable {
    /// The outbox folder.
    public let directory: String

    /// Staged pairs older than this (seconds) are leftovers of a crashed scan, swept by `push`.
    public static let stagingLifetime: TimeInterval = 3600

    var stagingDirectory: String { directory + "/.incoming" }
    var lockPath: String { directory + "/.lock" }

    /// Opens the outbox at `directory`, creating it (and `.incoming/`) when `create` is true.
    /// - Throws: `OutboxError` when the folder is missing (and not created) or cannot be created.
    public init(directory: String, create: Bool) throws(OutboxError) {
        // A relative folder (`push --outbox ob`) is taken from the current directory: the state files are read
        // through `FileSystemRoot`, which only takes absolute paths.
        var path = directory.hasPrefix("/") ? directory : FileManager.default.currentDirectoryPath + "/" + directory
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        self.directory = path
        var status = stat()
        if stat(path, &status) != 0 {
            guard create, errno == ENOENT else { throw OutboxError(path: path, fr: "ouvrir la boîte d'envoi", en: "open the outbox", code: errno, missing: errno == ENOENT) }
            let code = Self.makeDirectories(path)
            guard code == 0 else { throw OutboxError(path: path, fr: "créer la boîte d'envoi", en: "create the outbox", code: code) }
        } else if status.st_mode & S_IFMT != S_IFDIR {
            throw OutboxError(path: path, fr: "en faire la boîte d'envoi : ce n'est pas un dossier", en: "use it as the outbox: not a folder", code: 0)
        }
        if create && mkdir(stagingDirectory, 0o750) != 0 && errno != EEXIST {
            throw OutboxError(path: stagingDirectory, fr: "créer le dossier de préparation", en: "create the staging folder", code: errno)
        }
    }

    // MARK: Queueing

    /// Queues a signed pair. Idempotent: a pair whose report has the same SHA-256 as one already queued is
    /// not queued twice (the existing entry is returned).
    /// - Parameters:
    ///   - report: the exact report bytes (the collector checks them against `signature` and the SHA-256 header).
    ///   - signature: the detached CMS signature, DER.
    ///   - fileName: the report's file name (`cyberctl-report-<host>-<time>.json`), sent as the part's filename.
    /// - Throws: `OutboxError` (I/O); nothing half-visible is left behind.
    @discardableResult
    public func enqueue(report: [UInt8], signature: [UInt8], fileName: String, now: Date = Date()) throws(OutboxError) -> OutboxEntry {
        guard Self.isPlainName(fileName) else {
            throw OutboxError(path: fileName, fr: "le mettre en file : un nom de rapport doit être un nom simple (sans /, ne commençant pas par un point)",
                en: "queue it: a report file name must be a plain name (no /, not starting with a dot)", code: 0)
        }
        let sha256 = Digest.sha256Hex(report)
        for entry in try entries() where entry.state?.sha256 == sha256 { return entry }

        if mkdir(stagingDirectory, 0o750) != 0 && errno != EEXIST {
            throw OutboxError(path: stagingDirectory, fr: "créer le dossier de préparation", en: "create the staging folder", code: errno)
        }
        let stem = fileName.hasSuffix(".json") ? String(fileName.dropLast(5)) : fileName
        var template = Array("\(stagingDirectory)/\(stem).staging-XXXXXX".utf8CString)
        guard template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) != nil else {
            throw OutboxError(path: stagingDirectory, fr: "créer un dossier de préparation", en: "create a staging folder", code: errno)
        }
        let staging = String(decoding: template.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        var placed = false
        defer { if !placed { try? FileManager.default.removeItem(atPath: staging) } }
        guard chmod(staging, 0o750) == 0 else { throw OutboxError(path: staging, fr: "fixer les permissions", en: "set permissions", code: errno) }
        // Whole seconds: what state.json keeps (ISO 8601, no fractions).
        let state = OutboxState(fileName: fileName, sha256: sha256, queuedAt: Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down)))
        do {
            try AtomicFile.write(report, to: "\(staging)/\(fileName)", mode: 0o640)
            try AtomicFile.write(signature, to: "\(staging)/\(fileName).p7s", mode: 0o640)
            try AtomicFile.write(try state.encoded(), to: "\(staging)/\(OutboxEntry.stateFileName)", mode: 0o640)
        } catch let error as AtomicFileError {
            throw OutboxError(error)
        } catch {
            throw OutboxError(path: staging, fr: "encoder l'état : \(error)", en: "encode the state: \(error)", code: 0)
        }
        Self.syncDirectory(staging)
        // Place the complete folder with one rename; another entry with the same name gets a -2, -3 … suffix.
        var name = stem
        var index = 2
        while true {
            if rename(staging, "\(directory)/\(name)") == 0 { break }
            let code = errno
            guard code == EEXIST || code == ENOTEMPTY || code == EISDIR else {
                throw OutboxError(path: "\(directory)/\(name)", fr: "mettre en place la paire en file", en: "place the queued pair", code: code)
            }
            name = "\(stem)-\(index)"
            index += 1
        }
        placed = true
        Self.syncDirectory(directory)
        return OutboxEntry(outbox: self, name: name, state: state, problem: nil)
    }

    // MARK: Listing

    /// Every visible entry, oldest first (by queue time, then name). Entries whose state cannot be read are
    /// listed with a `problem` and never removed automatically.
    public func entries() throws(OutboxError) -> [OutboxEntry] {
        guard let handle = opendir(directory) else { throw OutboxError(path: directory, fr: "lister la boîte d'envoi", en: "list the outbox", code: errno, missing: errno == ENOENT) }
        defer { closedir(handle) }
        var names: [String] = []
        while let item = readdir(handle) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            guard !name.hasPrefix(".") else { continue }
            var status = stat()
            guard lstat("\(directory)/\(name)", &status) == 0, status.st_mode & S_IFMT == S_IFDIR else { continue }
            names.append(name)
        }
        var entries: [OutboxEntry] = []
        for name in names {
            let statePath = "\(directory)/\(name)/\(OutboxEntry.stateFileName)"
            do {
                let bytes = try FileSystemRoot.system.read(statePath, limit: 1 << 20)
                entries.append(OutboxEntry(outbox: self, name: name, state: try OutboxState.decode(bytes), problem: nil))
            } catch let error as FileAccessError {
                entries.append(OutboxEntry(
                    outbox: self, name: name, state: nil,
                    problem: LocalizedText(fr: "état illisible (", en: "unreadable state (") + error.localizedText + .verbatim(")")))
            } catch {
                // The decoder's own text, quoted as is.
                entries.append(OutboxEntry(
                    outbox: self, name: name, state: nil,
                    problem: LocalizedText(fr: "\(statePath): état illisible (\(error))", en: "\(statePath): unreadable state (\(error))")))
            }
        }
        return entries.sorted {
            let left = $0.state?.queuedAt ?? .distantPast
            let right = $1.state?.queuedAt ?? .distantPast
            return left != right ? left < right : $0.name < $1.name
        }
    }

    // MARK: Updating and removing

    /// Replaces an entry's state file (atomically).
    public func save(_ state: OutboxState, for entry: OutboxEntry) throws(OutboxError) {
        do {
            try AtomicFile.write(try state.encoded(), to: entry.statePath, mode: 0o640)
        } catch let error as AtomicFileError {
            throw OutboxError(error)
        } catch {
            throw OutboxError(path: entry.statePath, fr: "encoder l'état : \(error)", en: "encode the state: \(error)", code: 0)
        }
    }

    /// Why a pair leaves the outbox.
    public enum Removal: String, Sendable {
        /// The collector has it (201 or 200).
        case delivered
        /// A person dropped it (`push --drop`): refused for good, never to be sent.
        case dropped
    }

    /// Removes an entry, report, signature and state together: one rename out of sight (durable, atomic: the
    /// pair is either all in the outbox or all gone), then deletion of the files.
    public func remove(_ entry: OutboxEntry, as removal: Removal = .delivered) throws(OutboxError) {
        if mkdir(stagingDirectory, 0o750) != 0 && errno != EEXIST {
            throw OutboxError(path: stagingDirectory, fr: "créer le dossier de préparation", en: "create the staging folder", code: errno)
        }
        let target = "\(stagingDirectory)/\(removal.rawValue)-\(entry.name)-\(UInt32.random(in: .min ... .max))"
        guard rename(entry.path, target) == 0 else { throw OutboxError(path: entry.path, fr: removal == .delivered ? "retirer la paire remise" : "retirer la paire abandonnée", en: "remove the \(removal.rawValue) pair", code: errno) }
        Self.syncDirectory(directory)
        try? FileManager.default.removeItem(atPath: target)
    }

    /// Deletes leftovers in `.incoming/`: pairs whose removal was interrupted, and staged pairs older than
    /// `stagingLifetime` (a scan that crashed while queueing). Call with the push lock held.
    public func sweep(now: Date = Date()) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: stagingDirectory) else { return }
        for name in names {
            let path = "\(stagingDirectory)/\(name)"
            if name.hasPrefix(Removal.delivered.rawValue + "-") || name.hasPrefix(Removal.dropped.rawValue + "-") {
                try? FileManager.default.removeItem(atPath: path)
                continue
            }
            var status = stat()
            guard lstat(path, &status) == 0 else { continue }
            let modified = Date(timeIntervalSince1970: TimeInterval(status.st_mtim.tv_sec))
            if now.timeIntervalSince(modified) > Self.stagingLifetime { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    // MARK: Locking

    /// Takes the outbox's exclusive lock (`flock(2)` on `.lock`), waiting for another holder when `wait` is
    /// true. Released when the returned value is released (or the process ends, even by SIGKILL).
    /// - Returns: nil when `wait` is false and another process holds it.
    public func lock(wait: Bool, whileWaiting: () -> Void = {}) throws(OutboxError) -> OutboxLock? {
        let descriptor = open(lockPath, O_RDWR | O_CREAT | O_CLOEXEC, 0o640)
        guard descriptor >= 0 else { throw OutboxError(path: lockPath, fr: "ouvrir le fichier de verrou", en: "open the lock file", code: errno) }
        if flock(descriptor, LOCK_EX | LOCK_NB) == 0 { return OutboxLock(descriptor: descriptor) }
        guard errno == EWOULDBLOCK else {
            let code = errno
            close(descriptor)
            throw OutboxError(path: lockPath, fr: "verrouiller la boîte d'envoi", en: "lock the outbox", code: code)
        }
        guard wait else {
            close(descriptor)
            return nil
        }
        whileWaiting()
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                let code = errno
                close(descriptor)
                throw OutboxError(path: lockPath, fr: "verrouiller la boîte d'envoi", en: "lock the outbox", code: code)
            }
        }
        return OutboxLock(descriptor: descriptor)
    }

    // MARK: Helpers

    /// `mkdir -p` with mode 0750; 0 or the errno of the failing step.
    static func makeDirectories(_ path: String) -> Int32 {
        var current = path.hasPrefix("/") ? "" : "."
        for component in path.split(separator: "/") {
            current += "/" + component
            if mkdir(current, 0o750) != 0 && errno != EEXIST { return errno }
        }
        return 0
    }

    static func isPlainName(_ name: String) -> Bool {
        !name.isEmpty && !name.hasPrefix(".") && !name.contains("/") && !name.contains("\0") && name.utf8.count <= 200
    }

    /// fsync(2) on a folder, so the renames in it survive a power cut.
    static func syncDirectory(_ path: String) {
        let descriptor = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        fsync(descriptor)
        close(descriptor)
    }
}

/// The outbox lock; released when this value is released.
public final class OutboxLock: @unchecked Sendable {
    private let descriptor: Int32
    init(descriptor: Int32) { self.descriptor = descriptor }
    deinit { close(descriptor) }
}

/// One queued pair.
public struct OutboxEntry: Sendable {
    public static let stateFileName = "state.json"

    let outbox: Outbox
    /// The entry's folder name (the report name without `.json`, plus `-2` … on a clash).
    public let name: String
    /// nil when the state file cannot be read (`problem` says why).
    public var state: OutboxState?
    /// Why the state cannot be read, French and English (the decoder's own text quoted as is).
    public var problem: LocalizedText?

    public var path: String { "\(outbox.directory)/\(name)" }
    public var statePath: String { "\(path)/\(Self.stateFileName)" }
    /// The report file name as queued (sent as the part's filename).
    public var fileName: String { state?.fileName ?? name + ".json" }
    public var reportPath: String { "\(path)/\(fileName)" }
    public var signaturePath: String { reportPath + ".p7s" }
}

/// What the outbox remembers about one pair (`state.json`, JSON, times in ISO 8601 UTC).
public struct OutboxState: Codable, Sendable, Equatable {
    /// The report's file name.
    public var fileName: String
    /// SHA-256 of the report bytes (hex), checked again before each upload.
    public var sha256: String
    public var queuedAt: Date
    /// Uploads tried so far (including refused ones).
    public var attempts: Int = 0
    public var lastAttemptAt: Date?
    /// Not retried before this time (backoff, Retry-After); nil: as soon as `push` runs.
    public var nextAttemptAt: Date?
    /// The last transient failure (connection, TLS, timeout, HTTP 408/429/5xx), as the agent saw it.
    public var lastError: String?
    /// The same in French, for `push --status --lang fr` (absent from entries written before it existed).
    public var lastErrorFR: String?
    /// Set when the collector refused the pair for good (HTTP 400/403/413/422): kept, not retried until
    /// `push --retry-refused`.
    public var refusal: Refusal?

    public struct Refusal: Codable, Sendable, Equatable {
        /// HTTP status; nil when the agent itself refused to send (the pair changed on disk).
        public var httpStatus: Int?
        /// The response's `status` word (`refused`, `malformed`, `too-large`, `forbidden`).
        public var status: String?
        /// The reason code (`identity-mismatch`, a verification failure code …).
        public var code: String?
        /// The collector's French and English messages.
        public var message: String?
        public var messageEN: String?
        public var at: Date
    }

    public init(fileName: String, sha256: String, queuedAt: Date) {
        self.fileName = fileName
        self.sha256 = sha256
        self.queuedAt = queuedAt
    }

    func encoded() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.string(from: date))
        }
        return Array(try encoder.encode(self)) + [0x0A]
    }

    static func decode(_ bytes: [UInt8]) throws -> OutboxState {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .custom { decoder in
            let container = try decoder.singleValueContainer()
            let text = try container.decode(String.self)
            guard let date = ISO8601.date(from: text) else {
                throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected YYYY-MM-DDTHH:MM:SSZ, found \(text)")
            }
            return date
        }
        return try decoder.decode(OutboxState.self, from: Data(bytes))
    }
}

/// The outbox could not be read or written.
public struct OutboxError: Error, CustomStringConvertible, Sendable {
    public let path: String
    /// What failed, without the path, French and English (`impossible de créer la boîte d'envoi : Permission
    /// denied`); the OS text from `strerror` stays as the OS gives it.
    public let reason: LocalizedText
    /// The `errno` of the failure, 0 when none.
    public let code: Int32
    /// The outbox folder does not exist.
    public var missing = false

    /// A failure to do `fr` / `en` (an infinitive: "créer la boîte d'envoi", "create the outbox") on `path`.
    public init(path: String, fr: String, en: String, code: Int32, missing: Bool = false) {
        self.path = path
        let system = code == 0 ? "" : String(cString: strerror(code))
        // "de" elides before a vowel or a mute h: "impossible d'ouvrir", "d'en faire".
        let de = fr.first.map { "aâàeéèêiîoôuûyh".contains($0) } == true ? "d'" : "de "
        self.reason = LocalizedText(
            fr: code == 0 ? "impossible \(de)\(fr)" : "impossible \(de)\(fr) : \(system)",
            en: code == 0 ? "cannot \(en)" : "cannot \(en): \(system)")
        self.code = code
        self.missing = missing
    }

    /// The same failure as an atomic write's.
    public init(_ error: AtomicFileError) {
        path = error.path
        reason = LocalizedText(fr: error.frenchReason, en: error.reason)
        code = error.code
    }

    /// `path: reason` in French (the `file: message` form of `InputError`).
    public var description: String { description(in: .fr) }

    /// `path: reason` in `language`.
    public func description(in language: Language) -> String { "\(path): \(reason.text(in: language))" }
}
