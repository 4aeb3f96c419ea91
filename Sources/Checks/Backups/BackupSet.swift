import FoundationEssentials

/// How a backup set stores its copies, which decides how cyberctl measures it.
public enum BackupKind: String, Sendable, Codable, CaseIterable {
    /// Archives or dumps as plain files: a folder (walked recursively) or a glob.
    case files
    /// A restic repository (local path, or `sftp:`/`rest:`/`s3:`… for a remote one).
    case restic
    /// A Borg repository (local path, or `ssh://…`/`user@host:path` for a remote one).
    case borg
    /// Proxmox VE dumps (`vzdump-qemu-<id>-<date>.vma.zst`, `vzdump-lxc-…tar.zst`) in a dump folder.
    case vzdump
    /// An rsnapshot `snapshot_root` holding `<interval>.<n>` snapshot folders.
    case rsnapshot
    /// PostgreSQL dumps (`pg_dump`, `pg_dumpall`) as files.
    case pgdump
}

/// What the profile declares about an offline or immutable copy of a set (a USB disk kept
/// elsewhere, tapes, an object-lock bucket), which the host cannot show.
public struct OfflineCopyDeclaration: Sendable, Equatable {
    /// False when the profile says there is none.
    public var present: Bool
    /// Date of the last offline copy, when given.
    public var last: Date?
    /// `offline` or `immutable`, when given.
    public var kind: String?
    /// Where it is kept (free text), when given.
    public var location: String?

    public init(present: Bool, last: Date? = nil, kind: String? = nil, location: String? = nil) {
        self.present = present
        self.last = last
        self.kind = kind
        self.location = location
    }
}

/// A job that writes a backup set: a systemd service or a cron entry.
public struct BackupJob: Sendable, Equatable, Hashable {
    public enum Scheduler: String, Sendable { case systemd, cron, proxmox }
    public var scheduler: Scheduler
    /// Unit name (`restic-backup.service`) or `<file>:<line>` for cron.
    public var name: String
    /// The schedule as written (`OnCalendar=daily`, `0 2 * * *`), when known.
    public var schedule: String?
    /// The program that writes the copies (`restic`, `pg_dump` …).
    public var tool: String
    /// For a systemd service started by a timer: whether the timer is enabled (linked from a
    /// `*.wants/` folder of /etc/systemd/system). Nil when there is no timer or it is not known.
    public var timerEnabled: Bool?

    public init(scheduler: Scheduler, name: String, schedule: String? = nil, tool: String, timerEnabled: Bool? = nil) {
        self.scheduler = scheduler
        self.name = name
        self.schedule = schedule
        self.tool = tool
        self.timerEnabled = timerEnabled
    }
}

/// One set of backup copies, declared in the profile or discovered on the host.
public struct BackupSet: Sendable, Equatable {
    public var name: String
    public var kind: BackupKind
    /// Inner path of the folder, file, glob or repository; for a remote set, its location as written.
    public var path: String
    /// Set when the copies live on another host: the location (`sftp:nas:/restic`, `backup@nas:/vol1`).
    public var remote: String?
    /// Where the set comes from: `profile`, `systemd:<unit>`, `cron:<file>:<line>`, `folder`, `config:<file>`.
    public var origin: String
    /// Largest accepted age of the newest copy, seconds.
    public var maximumAge: TimeInterval
    /// Where `maximumAge` comes from: `profile`, the job's schedule, or the default.
    public var maximumAgeSource: String
    /// Smallest acceptable size of the newest copy, bytes (0: only empty fails).
    public var minimumBytes: Int
    /// Copies that should be kept (retention), when declared.
    public var expectedCount: Int?
    /// Inner paths of the data the set protects; empty when unknown.
    public var protects: [String]
    /// Jobs that write the set.
    public var jobs: [BackupJob]
    /// systemd units named in the profile whose last result to read.
    public var declaredUnits: [String]
    /// restic/borg password file from the profile (inner path), to list snapshots.
    public var passwordFile: String?
    /// A password file a job names (never used without the profile's consent; reported as a hint).
    public var passwordFileHint: String?
    public var offlineCopy: OfflineCopyDeclaration?
    /// Encryption as declared (`gpg`, `restic`, `aucun` …) or known from the kind.
    public var encryption: String?
    public var lastRestoreTest: Date?
    /// True for a usual folder found by discovery: dropped silently when it holds no copy.
    public var optional: Bool
    /// Inner paths below `path` that other sets measure, skipped here.
    public var excluded: [String]
    /// True for a job whose destination could not be read (repository from an unreadable file).
    public var locationUnknown = false
    /// Host names whose snapshots or archives count as this host's in a restic or Borg repository
    /// (the profile's `host:`); empty for the audited system's own name.
    public var hosts: [String] = []

    public init(
        name: String, kind: BackupKind, path: String, remote: String? = nil, origin: String,
        maximumAge: TimeInterval, maximumAgeSource: String, minimumBytes: Int = 0, expectedCount: Int? = nil,
        protects: [String] = [], jobs: [BackupJob] = [], declaredUnits: [String] = [], passwordFile: String? = nil,
        passwordFileHint: String? = nil, offlineCopy: OfflineCopyDeclaration? = nil, encryption: String? = nil,
        lastRestoreTest: Date? = nil, optional: Bool = false, excluded: [String] = []
    ) {
        self.name = name
        self.kind = kind
        self.path = path
        self.remote = remote
        self.origin = origin
        self.maximumAge = maximumAge
        self.maximumAgeSource = maximumAgeSource
        self.minimumBytes = minimumBytes
        self.expectedCount = expectedCount
        self.protects = protects
        self.jobs = jobs
        self.declaredUnits = declaredUnits
        self.passwordFile = passwordFile
        self.passwordFileHint = passwordFileHint
        self.offlineCopy = offlineCopy
        self.encryption = encryption
        self.lastRestoreTest = lastRestoreTest
        self.optional = optional
        self.excluded = excluded
    }

    /// The identity used to merge a set found twice: remote location, or normalized path.
    var key: String { remote ?? FileSystemRoot.normalize(path) }
}

/// A backup set as a profile declares it:
///
/// ```yaml
/// - name: Dumps PostgreSQL de l'état civil
///   kind: pgdump
///   path: /srv/backup/pg/etat-civil-*.dump
///   max_age: 26h
///   min_size: 1M
///   expected_count: 7
///   protects: [/var/lib/postgresql]
///   unit: pg-backup.service
///   password_file: /etc/cyberctl/restic.pass   # restic/borg only
///   offline_copy: {last: 2026-11-15, kind: offline, location: coffre de la mairie}
///   encryption: gpg
///   last_restore_test: 2026-06-01
///   host: srv-mairie                          # restic/borg only: whose snapshots count (default: this host)
/// ```
/// Unknown keys and malformed values are errors (the profile loader adds file and line).
public struct BackupSetDeclaration: Sendable, Decodable, Equatable {
    public var name: String
    public var kind: BackupKind
    public var path: String
    public var maximumAge: TimeInterval?
    public var minimumBytes: Int?
    public var expectedCount: Int?
    public var protects: [String]
    public var units: [String]
    public var passwordFile: String?
    public var offlineCopy: OfflineCopyDeclaration?
    public var encryption: String?
    public var lastRestoreTest: Date?
    /// Host names whose snapshots or archives count as this host's (restic/borg only); empty for
    /// the audited system's own name.
    public var hosts: [String]

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, kind, path, protects, unit, encryption, host
        case maximumAge = "max_age"
        case minimumSize = "min_size"
        case expectedCount = "expected_count"
        case passwordFile = "password_file"
        case offlineCopy = "offline_copy"
        case lastRestoreTest = "last_restore_test"
    }

    public init(from decoder: any Decoder) throws {
        try RejectUnknownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), context: "backup set")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        name = try container.decode(String.self, forKey: .name)
        let kindText = try container.decode(String.self, forKey: .kind)
        guard let kind = BackupKind(rawValue: kindText) else {
            throw DecodingError.dataCorruptedError(
                forKey: .kind, in: container,
                debugDescription: "expected one of \(BackupKind.allCases.map(\.rawValue).joined(separator: ", ")), got \"\(kindText)\"")
        }
        self.kind = kind
        path = try container.decode(String.self, forKey: .path)
        let remote = BackupLocation.remote(path, kind: kind) != nil
        guard path.hasPrefix("/") || remote else {
            throw DecodingError.dataCorruptedError(
                forKey: .path, in: container, debugDescription: "expected an absolute path or a remote repository, got \"\(path)\"")
        }
        maximumAge = try container.decodeIfPresent(String.self, forKey: .maximumAge).map { text in
            guard let seconds = BackupUnits.duration(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .maximumAge, in: container, debugDescription: "expected a duration like 26h, 7d (7j) or 1d12h, units s, min, h, d (j), w (sem), got \"\(text)\"")
            }
            return seconds
        }
        minimumBytes = try container.decodeIfPresent(String.self, forKey: .minimumSize).map { text in
            guard let bytes = BackupUnits.size(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .minimumSize, in: container, debugDescription: "expected a size like 1M, 500MB or 2GiB, got \"\(text)\"")
            }
            return bytes
        }
        expectedCount = try container.decodeIfPresent(Int.self, forKey: .expectedCount)
        if let count = expectedCount, count < 1 {
            throw DecodingError.dataCorruptedError(forKey: .expectedCount, in: container, debugDescription: "expected a count of 1 or more, got \(count)")
        }
        protects = try container.decodeIfPresent([String].self, forKey: .protects) ?? []
        for path in protects where !path.hasPrefix("/") {
            throw DecodingError.dataCorruptedError(forKey: .protects, in: container, debugDescription: "expected absolute paths, got \"\(path)\"")
        }
        if let single = try? container.decodeIfPresent(String.self, forKey: .unit) {
            units = [single]
        } else {
            units = try container.decodeIfPresent([String].self, forKey: .unit) ?? []
        }
        passwordFile = try container.decodeIfPresent(String.self, forKey: .passwordFile)
        if let file = passwordFile {
            guard kind == .restic || kind == .borg else {
                throw DecodingError.dataCorruptedError(forKey: .passwordFile, in: container, debugDescription: "password_file applies to restic and borg sets only")
            }
            guard file.hasPrefix("/") else {
                throw DecodingError.dataCorruptedError(forKey: .passwordFile, in: container, debugDescription: "expected an absolute path, got \"\(file)\"")
            }
        }
        if let single = try? container.decodeIfPresent(String.self, forKey: .host) {
            hosts = [single]
        } else {
            hosts = try container.decodeIfPresent([String].self, forKey: .host) ?? []
        }
        if !hosts.isEmpty {
            guard kind == .restic || kind == .borg else {
                throw DecodingError.dataCorruptedError(forKey: .host, in: container, debugDescription: "host applies to restic and borg sets only")
            }
            for host in hosts where host.isEmpty || host.contains(where: { $0.isWhitespace || $0 == "/" }) {
                throw DecodingError.dataCorruptedError(
                    forKey: .host, in: container, debugDescription: "expected a host name as restic or Borg records it, got \"\(host)\"")
            }
        }
        offlineCopy = try container.decodeIfPresent(OfflineCopyField.self, forKey: .offlineCopy)?.value
        if let flag = try? container.decodeIfPresent(Bool.self, forKey: .encryption) {
            encryption = flag ? "oui" : "aucun"
        } else {
            encryption = try container.decodeIfPresent(String.self, forKey: .encryption)
        }
        lastRestoreTest = try container.decodeIfPresent(String.self, forKey: .lastRestoreTest).map { text in
            guard let date = BackupUnits.date(text) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .lastRestoreTest, in: container, debugDescription: "expected a date like 2026-06-01, got \"\(text)\"")
            }
            return date
        }
    }
}

/// `offline_copy:` is `false`/`true`, or a mapping `{last: 2026-11-15, kind: offline|immutable, location: …}`.
struct OfflineCopyField: Decodable {
    let value: OfflineCopyDeclaration

    enum CodingKeys: String, CodingKey, CaseIterable { case last, kind, location }

    init(from decoder: any Decoder) throws {
        if let flag = try? decoder.singleValueContainer().decode(Bool.self) {
            value = OfflineCopyDeclaration(present: flag)
            return
        }
        try RejectUnknownKeys.check(decoder, allowed: CodingKeys.allCases.map(\.rawValue), context: "offline_copy")
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let last = try container.decodeIfPresent(String.self, forKey: .last).map { text in
            guard let date = BackupUnits.date(text) else {
                throw DecodingError.dataCorruptedError(forKey: .last, in: container, debugDescription: "expected a date like 2026-11-15, got \"\(text)\"")
            }
            return date
        }
        let kind = try container.decodeIfPresent(String.self, forKey: .kind)
        if let kind, kind != "offline", kind != "immutable" {
            throw DecodingError.dataCorruptedError(forKey: .kind, in: container, debugDescription: "expected offline or immutable, got \"\(kind)\"")
        }
        value = OfflineCopyDeclaration(
            present: true, last: last, kind: kind, location: try container.decodeIfPresent(String.self, forKey: .location))
    }
}

/// Makes nested mappings as strict as the profile's top level: an unknown key is an error at its line.
enum RejectUnknownKeys {
    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    static func check(_ decoder: any Decoder, allowed: [String], context: String) throws {
        guard let container = try? decoder.container(keyedBy: AnyKey.self) else { return }
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(DecodingError.Context(
                codingPath: container.codingPath + [key],
                debugDescription: "unknown key \"\(key.stringValue)\" in \(context); expected one of: \(allowed.joined(separator: ", "))"))
        }
    }
}

/// Recognises remote repository locations.
enum BackupLocation {
    /// The remote location when `location` names another host for this kind, else nil.
    static func remote(_ location: String, kind: BackupKind) -> String? {
        switch kind {
        case .restic:
            let remotePrefixes = ["sftp:", "rest:", "s3:", "b2:", "azure:", "gs:", "swift:", "rclone:"]
            return remotePrefixes.contains { location.hasPrefix($0) } ? location : nil
        case .borg:
            if location.hasPrefix("ssh://") { return location }
            return isHostColonPath(location) ? location : nil
        default:
            return nil
        }
    }

    /// `host:path` or `user@host:path` (rsync, scp, borg): a colon before any slash.
    static func isHostColonPath(_ location: String) -> Bool {
        guard !location.hasPrefix("/"), let colon = location.firstIndex(of: ":") else { return false }
        let host = location[..<colon]
        return !host.isEmpty && !host.contains("/") && !host.contains("$")
    }

    /// A local restic location without its `local:` prefix.
    static func localPath(_ location: String) -> String {
        location.hasPrefix("local:") ? String(location.dropFirst(6)) : location
    }
}
