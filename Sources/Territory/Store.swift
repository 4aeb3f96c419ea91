import Agent
import Checks
import Foundation
import GRDB
import InputFiles

/// The mutualised RSSI's store: one SQLite database (WAL, through GRDB's `DatabasePool`) holding every
/// verified report of the territory, its results, and the files that were refused.
///
/// Schema (migration `v1-territory`; later issues append their own migrations to `TerritoryStore.migrator`,
/// never edit an applied one):
/// - `entity` — one row per SIREN: name, INSEE code, kind, population, département, région, as the
///   newest report of that entity states them.
/// - `host` — one row per (SIREN, hostname): the latest report's key and generation time, moved only
///   by a report generated later (ties broken by signing time, then report id).
/// - `report` — one row per verified report (history kept): report id (unique), SHA-256 of its bytes
///   (unique), host, generation and signing times (Unix seconds), signer (subject, serial, issuer,
///   fingerprint, notAfter), profile, agent version, score, level, coverage, result counts, source path,
///   verification warnings.
/// - `report_domain` — per report and domain: Σ weight, Σ earned credit, Σ weight of `error` results
///   (`unverified`, migration `v3-error-weighs`), scored / failing / warning
///   counts, so that any score over many reports is a sum (`ScoreTally`) and views never rescan results.
/// - `entity_domain` — per entity and domain, the sums of its hosts' latest reports (status reads this).
/// - `report_finding` — per report and rule code with warn/fail results: how many, worst severity,
///   and the credit the fixes would add (the "fix first" and findings views read this, not `result`).
/// - `result` — one row per result: check, target, code, domain, status, severity, evidence and
///   references as JSON text, reason (English) and its French text (`reasonFr`, migration `v6-reason-fr`; NULL
///   for reports written before it), duration.
/// - `rejection` — one row per refused (path, SHA-256): code, message (English) and its French text
///   (`messageFr`, migration `v7-rejection-message-fr`; NULL for refusals recorded before it), first and last
///   seen, times seen, and when the same bytes were later accepted (resolvedAt).
///
/// Concurrency: any number of processes may ingest or read at once; writers take an IMMEDIATE
/// transaction and wait up to `busyTimeout` for each other; readers never block (WAL).
public final class TerritoryStore: Sendable {
    /// Path of the database file.
    public let path: String
    /// The database: a `DatabasePool` (WAL); a read-only `DatabaseQueue` for an immutable file.
    let database: any DatabaseWriter

    /// How long a writer waits for another process's transaction: 60 s.
    public static let busyTimeout: TimeInterval = 60

    /// `$XDG_DATA_HOME/cyberctl/territory.sqlite`, or `~/.local/share/cyberctl/territory.sqlite` when
    /// XDG_DATA_HOME is unset or not absolute (XDG Base Directory specification).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return "\(data)/cyberctl/territory.sqlite" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return "\(home)/.local/share/cyberctl/territory.sqlite"
    }

    /// Opens (creating it and its folder when `create`) the store at `path` and applies pending migrations.
    ///
    /// With `readOnly`, an existing store is opened with `SQLITE_OPEN_READONLY` and nothing is written
    /// to it or beside it: a store on read-only media, or one the user may read but not write, can be
    /// viewed. When SQLite cannot create the WAL's shared-memory file there (a read-only folder) and no
    /// writer has a WAL open, the file is read as immutable. A store written by an older cyberctl (pending
    /// migrations) is migrated when it can be written, and refused otherwise.
    /// - Throws: `InputError`: `.missing` when the file does not exist and `create` is false; `.io` (74) when
    ///   the path is not a regular file (a device, a FIFO), or the store cannot be opened or is not a cyberctl store.
    public init(path: String, create: Bool = true, readOnly: Bool = false) throws(InputError) {
        self.path = path
        // A store is a regular file (or a link to one): SQLite would otherwise write its journals beside
        // a device or FIFO (`--db /dev/full`), with the device's permissions.
        var status = stat()
        let linkExists = lstat(path, &status) == 0
        let exists = stat(path, &status) == 0
        if exists && status.st_mode & S_IFMT != S_IFREG {
            let kind = RegularFile.kind(of: status.st_mode)
            throw InputError(
                .io, file: path,
                fr: "la base du territoire doit être un fichier ordinaire (une base SQLite) ; ceci est un(e) \(kind) : refusé, rien n'a été écrit",
                en: "the territory store must be a regular file (a SQLite database); this is a \(kind): refused, nothing written")
        }
        if linkExists && !exists {
            throw InputError(
                .io, file: path, fr: "la base du territoire est un lien symbolique vers rien : refusé, rien n'a été écrit",
                en: "the territory store is a symbolic link to nothing: refused, nothing written")
        }
        if !exists && !create {
            throw InputError(
                .missing, file: path, fr: "aucune base du territoire ici ; lancez d'abord `cyberctl consolidate DOSSIER… --db \(path)`",
                en: "no territory store here; run `cyberctl consolidate DIR… --db \(path)` first")
        }
        if !exists {
            let folder = (path as NSString).deletingLastPathComponent
            if !folder.isEmpty {
                do {
                    try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                } catch {
                    throw InputError(
                        .io, file: folder, fr: "impossible de créer le dossier de la base : \(error.localizedDescription)",
                        en: "cannot create the store's folder: \(error.localizedDescription)")
                }
            }
        }
        if readOnly && exists, let reader = try Self.openReadOnly(path) {
            database = reader
            return
        }
        // The store holds other communes' findings: never world-readable. The file is created 0600
        // before SQLite opens it; SQLite gives the -wal and -shm files the database file's permissions.
        // (Not umask: it is process-wide, and would race with every other thread creating files.)
        if !exists {
            let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
            if descriptor >= 0 {
                close(descriptor)
            } else if errno != EEXIST {
                let reason = String(cString: strerror(errno))
                throw InputError(.io, file: path, fr: "impossible de créer la base du territoire : \(reason)", en: "cannot create the territory store: \(reason)")
            }
        }
        do {
            database = try DatabasePool(path: path, configuration: Self.configuration(readOnly: false))
        } catch {
            throw InputError(.io, file: path, fr: "impossible d'ouvrir la base du territoire : \(error)", en: "cannot open the territory store: \(error)")
        }
        // Readers migrate too when a newer cyberctl added migrations (never on an up-to-date store).
        if !readOnly || !exists || (try? database.read({ db in try Self.migrator.hasCompletedMigrations(db) })) != true { try migrate() }
    }

    static func configuration(readOnly: Bool) -> Configuration {
        var configuration = Configuration()
        configuration.busyMode = .timeout(busyTimeout)
        configuration.label = "territory"
        configuration.maximumReaderCount = 4
        configuration.readonly = readOnly
        if !readOnly {
            configuration.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        }
        return configuration
    }

    /// The store opened read-only, or nil when it has pending migrations (an older store, to migrate).
    /// - Throws: `InputError(.io)` when it cannot be read, or when the file is not a cyberctl store at all (an
    ///   empty file, another program's database): a read command must not turn it into an empty store and
    ///   answer "nothing to report".
    static func openReadOnly(_ path: String) throws(InputError) -> (any DatabaseWriter)? {
        func completed(_ reader: any DatabaseWriter) throws -> Bool {
            try reader.read { db in
                if try migrator.hasCompletedMigrations(db) { return true }
                guard try !migrator.appliedIdentifiers(db).isEmpty else {
                    throw InputError(
                        .io, file: path,
                        fr: "pas une base du territoire de cyberctl (un fichier vide ou la base d'un autre programme) : refusé, rien n'a été écrit ; une base se crée avec `cyberctl consolidate DOSSIER… --db \(path)`",
                        en: "not a cyberctl territory store (an empty file or another program's database): refused, nothing written; a store is made by `cyberctl consolidate DIR… --db \(path)`")
                }
                return false
            }
        }
        do {
            let pool = try DatabasePool(path: path, configuration: configuration(readOnly: true))
            return try completed(pool) ? pool : nil
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CANTOPEN && !FileManager.default.fileExists(atPath: path + "-wal") {
            // A WAL database needs its -shm file, which a read-only connection cannot create in a read-only
            // folder. Without a -wal file no writer is at work: every committed page is in the main file.
            do {
                let queue = try DatabaseQueue(path: immutableURI(path), configuration: configuration(readOnly: true))
                return try completed(queue) ? queue : nil
            } catch let error as InputError {
                throw error
            } catch {
                throw storeError(error, path: path, reading: true)
                    ?? InputError(.io, file: path, fr: "impossible de lire la base du territoire : \(error)", en: "cannot read the territory store: \(error)")
            }
        } catch let error as InputError {
            throw error
        } catch {
            throw storeError(error, path: path, reading: true)
                    ?? InputError(.io, file: path, fr: "impossible de lire la base du territoire : \(error)", en: "cannot read the territory store: \(error)")
        }
    }

    /// `file:PATH?immutable=1` (RFC 3986 escaping of the path; SQLite's URI filenames, which Debian's
    /// libsqlite3 enables with SQLITE_USE_URI).
    static func immutableURI(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "?#%")
        return "file:" + (absolute.addingPercentEncoding(withAllowedCharacters: allowed) ?? absolute) + "?immutable=1"
    }

    /// The `InputError` (74, naming the store) for an SQLite error that says the store itself is at fault:
    /// disk full, I/O error, damaged file, not a database, read-only, locked too long, a table missing.
    /// Nil for anything else (a bug, reported as an internal error).
    static func storeError(_ error: any Error, path: String, reading: Bool) -> InputError? {
        guard let error = error as? DatabaseError else { return nil }
        let verb = reading ? "impossible de lire la base du territoire" : "impossible d'écrire la base du territoire"
        let verbEN = reading ? "cannot read the territory store" : "cannot write the territory store"
        let reason = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        func failure(_ fr: String, _ en: String) -> InputError { InputError(.io, file: path, fr: "\(verb) : \(fr)", en: "\(verbEN): \(en)") }
        switch error.resultCode {
        case .SQLITE_FULL:
            return failure(
                "le disque est plein (\(reason)) ; rien de la transaction échouée n'a été gardé",
                "the disk is full (\(reason)); nothing of the failed transaction was kept")
        case .SQLITE_IOERR:
            return failure(
                "erreur d'entrée-sortie (\(reason)) ; rien de la transaction échouée n'a été gardé",
                "I/O error (\(reason)); nothing of the failed transaction was kept")
        case .SQLITE_CORRUPT, .SQLITE_NOTADB:
            return failure(
                "le fichier est endommagé ou n'est pas une base SQLite (\(reason)) ; restaurez-le depuis une sauvegarde",
                "the file is damaged or not a SQLite database (\(reason)); restore it from a backup")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_CANTOPEN:
            return failure("\(reason) (vérifiez les droits du fichier et de son dossier)", "\(reason) (check the permissions of the file and its folder)")
        case .SQLITE_BUSY, .SQLITE_LOCKED:
            return failure(
                "toujours verrouillée par un autre processus après \(Int(busyTimeout)) s (\(reason))",
                "still locked by another process after \(Int(busyTimeout)) s (\(reason))")
        case .SQLITE_ERROR where reason.contains("no such table") || reason.contains("no such column"):
            return failure(
                "pas une base cyberctl complète (\(reason)) ; restaurez-la depuis une sauvegarde",
                "not a complete cyberctl store (\(reason)); restore it from a backup")
        default:
            return nil
        }
    }

    /// Applies the pending migrations. Two processes opening a new store at once both try; the loser's
    /// attempt fails on the tables the winner created, after which the store is complete, which is checked.
    func migrate() throws(InputError) {
        var lastError: (any Error)?
        for _ in 0..<3 {
            do {
                try Self.migrator.migrate(database)
                return
            } catch {
                lastError = error
                if (try? database.read({ db in try Self.migrator.hasCompletedMigrations(db) })) == true { return }
            }
        }
        let reason = lastError.map { "\($0)" } ?? "?"
        throw InputError(
            .io, file: path, fr: "impossible de préparer la base du territoire (est-ce une base cyberctl ?) : \(reason)",
            en: "cannot prepare the territory store (is it a cyberctl store?): \(reason)")
    }

    /// Every schema change, in order. Append new migrations; never change an applied one.
    public static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1-territory") { db in
            try db.execute(sql: """
                CREATE TABLE entity (
                    siren TEXT PRIMARY KEY NOT NULL,
                    name TEXT, insee TEXT, kind TEXT, population INTEGER, departement TEXT, region TEXT,
                    updatedAt INTEGER NOT NULL,
                    -- Σ over the hosts' latest reports, kept up to date at ingest (see entity_domain).
                    latestResults INTEGER NOT NULL DEFAULT 0,
                    latestScored INTEGER NOT NULL DEFAULT 0
                );
                -- Per entity and domain, Σ of the report_domain rows of its hosts' latest reports: moved at
                -- ingest whenever a host's latest report changes (old one out, new one in), so the status
                -- view reads one row per entity and domain instead of summing every latest report.
                CREATE TABLE entity_domain (
                    siren TEXT NOT NULL REFERENCES entity(siren),
                    domain TEXT NOT NULL,
                    weight REAL NOT NULL, earned REAL NOT NULL, failing INTEGER NOT NULL, warning INTEGER NOT NULL,
                    PRIMARY KEY (siren, domain)
                ) WITHOUT ROWID;
                CREATE TABLE host (
                    id INTEGER PRIMARY KEY,
                    siren TEXT NOT NULL REFERENCES entity(siren),
                    hostname TEXT NOT NULL,
                    latestReportKey INTEGER,
                    latestGeneratedAt INTEGER,
                    UNIQUE (siren, hostname)
                );
                CREATE TABLE report (
                    key INTEGER PRIMARY KEY,
                    id TEXT NOT NULL UNIQUE,
                    sha256 TEXT NOT NULL UNIQUE,
                    hostID INTEGER NOT NULL REFERENCES host(id),
                    siren TEXT NOT NULL,
                    generatedAt INTEGER NOT NULL,
                    signingTime INTEGER NOT NULL,
                    signerSubject TEXT NOT NULL, signerSerial TEXT NOT NULL, signerIssuer TEXT NOT NULL,
                    signerFingerprint TEXT NOT NULL, signerNotAfter INTEGER,
                    profile TEXT NOT NULL, profileSHA256 TEXT NOT NULL, agentVersion TEXT NOT NULL,
                    osID TEXT, osVersion TEXT, kernel TEXT,
                    score INTEGER, level TEXT, coverage REAL NOT NULL,
                    resultCount INTEGER NOT NULL, scoredCount INTEGER NOT NULL,
                    sourcePath TEXT NOT NULL,
                    warnings TEXT NOT NULL,
                    ingestedAt INTEGER NOT NULL
                );
                CREATE INDEX report_by_host ON report(hostID, generatedAt);
                CREATE INDEX report_by_time ON report(generatedAt);
                CREATE TABLE report_domain (
                    reportKey INTEGER NOT NULL REFERENCES report(key),
                    domain TEXT NOT NULL,
                    weight REAL NOT NULL, earned REAL NOT NULL,
                    scored INTEGER NOT NULL, failing INTEGER NOT NULL, warning INTEGER NOT NULL,
                    PRIMARY KEY (reportKey, domain)
                ) WITHOUT ROWID;
                CREATE TABLE report_finding (
                    reportKey INTEGER NOT NULL REFERENCES report(key),
                    code TEXT NOT NULL,
                    domain TEXT,
                    failing INTEGER NOT NULL, warning INTEGER NOT NULL,
                    severity TEXT NOT NULL,
                    deficit REAL NOT NULL,
                    PRIMARY KEY (reportKey, code)
                ) WITHOUT ROWID;
                CREATE TABLE result (
                    reportKey INTEGER NOT NULL REFERENCES report(key),
                    ordinal INTEGER NOT NULL,
                    "check" TEXT NOT NULL, target TEXT NOT NULL, code TEXT NOT NULL, domain TEXT,
                    status TEXT NOT NULL, severity TEXT NOT NULL,
                    evidence TEXT NOT NULL, "references" TEXT NOT NULL, reason TEXT, durationMs INTEGER NOT NULL,
                    PRIMARY KEY (reportKey, ordinal)
                ) WITHOUT ROWID;
                -- Small partial indexes for the findings and certificate views (a fraction of the rows).
                CREATE INDEX result_finding ON result(reportKey, code, target, severity) WHERE status IN ('warn', 'fail');
                CREATE INDEX result_certificate ON result(reportKey, code) WHERE code IN ('cert.expiry', 'tls.cert.expiry');
                CREATE TABLE rejection (
                    id INTEGER PRIMARY KEY,
                    path TEXT NOT NULL,
                    sha256 TEXT NOT NULL,
                    code TEXT NOT NULL,
                    message TEXT NOT NULL,
                    firstSeen INTEGER NOT NULL,
                    lastSeen INTEGER NOT NULL,
                    seen INTEGER NOT NULL DEFAULT 1,
                    -- Set when the same bytes were later accepted (a CA or CRL was fixed); kept for the record.
                    resolvedAt INTEGER,
                    UNIQUE (path, sha256)
                );
                """)
        }
        // Issue 10: incident follow-up (the Incidents module).
        migrator.registerMigration("v2-incidents", migrate: createIncidentTables)
        // Issue 12: an `error` result weighs and earns nothing (`ScoreTally`); domains where everything
        // erred are "not evaluated".
        migrator.registerMigration("v3-error-weighs", migrate: weighErrors)
        // Issue 17: the declared roster of the territory, and the facts the caps read.
        migrator.registerMigration("v4-roster") { db in
            try createRosterTables(db)
            try createFactTable(db)
        }
        // Issue 22: each roster entity's domain names (`cyberctl domain --roster`, `territory roster show`).
        migrator.registerMigration("v5-roster-domains", migrate: addRosterDomains)
        // Issue 18: the French reason of a result (the report's `reasonFr`); NULL for reports without one, whose
        // views show the English `reason`.
        migrator.registerMigration("v6-reason-fr") { db in
            try db.execute(sql: "ALTER TABLE result ADD COLUMN reasonFr TEXT")
        }
        // Issue 20: the inbox files already stored, so that a weekly consolidation does not read the past again.
        migrator.registerMigration("v7-inbox-files", migrate: KnownInboxFiles.createTable)
        // Issue 18: the French text of a refusal (`message` is the English one); NULL for refusals recorded before,
        // whose views show the English `message`.
        migrator.registerMigration("v8-rejection-message-fr") { db in
            try db.execute(sql: "ALTER TABLE rejection ADD COLUMN messageFr TEXT")
        }
        return migrator
    }

    /// Migration `v2-incidents` (issue 10): incidents, their hosts and their log.
    static func createIncidentTables(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE incident (
                id INTEGER PRIMARY KEY,
                title TEXT NOT NULL,
                siren TEXT,
                awareAt INTEGER NOT NULL,
                personalData INTEGER NOT NULL,
                significant TEXT NOT NULL,
                openedAt INTEGER NOT NULL,
                closedAt INTEGER
            );
            CREATE TABLE incident_host (
                incidentID INTEGER NOT NULL REFERENCES incident(id),
                hostname TEXT NOT NULL,
                PRIMARY KEY (incidentID, hostname)
            ) WITHOUT ROWID;
            CREATE TABLE incident_log (
                id INTEGER PRIMARY KEY,
                incidentID INTEGER NOT NULL REFERENCES incident(id),
                at INTEGER NOT NULL,
                text TEXT NOT NULL,
                stage TEXT
            );
            CREATE INDEX incident_log_by_incident ON incident_log(incidentID, at);
            """)
    }

    /// Migration `v3-error-weighs`: the `unverified` weight (Σ weight of `error` results) per report and
    /// domain, added to each row's weight; the reports' scores and levels recomputed with it; the entity
    /// sums rebuilt from the hosts' latest reports. Stored results are the source: nothing is guessed.
    static func weighErrors(_ db: Database) throws {
        try db.execute(sql: """
            ALTER TABLE report_domain ADD COLUMN unverified REAL NOT NULL DEFAULT 0;
            ALTER TABLE entity_domain ADD COLUMN unverified REAL NOT NULL DEFAULT 0;
            """)
        let weight = "CASE severity " + Severity.allCases.map { "WHEN '\($0.rawValue)' THEN \($0.weight)" }.joined(separator: " ") + " ELSE 0 END"
        try db.execute(sql: """
            INSERT INTO report_domain (reportKey, domain, weight, earned, unverified, scored, failing, warning)
            SELECT reportKey, domain, SUM(\(weight)), 0, SUM(\(weight)), 0, 0, 0
            FROM result WHERE status = 'error' AND domain IS NOT NULL GROUP BY reportKey, domain
            ON CONFLICT (reportKey, domain) DO UPDATE SET weight = weight + excluded.weight, unverified = excluded.unverified
            """)
        var tallies: [Int64: ScoreTally] = [:]
        let rows = try Row.fetchCursor(db, sql: "SELECT reportKey, domain, weight, earned, unverified FROM report_domain WHERE weight > 0")
        while let row = try rows.next() {
            guard let domain = Domain(rawValue: row[1]) else { continue }
            let key: Int64 = row[0]
            tallies[key, default: ScoreTally()].weight[domain] = row[2]
            tallies[key, default: ScoreTally()].earned[domain] = row[3]
            tallies[key, default: ScoreTally()].unverified[domain] = row[4]
        }
        let update = try db.makeStatement(sql: "UPDATE report SET score = ?, level = ? WHERE key = ?")
        for key in try Int64.fetchAll(db, sql: "SELECT key FROM report") {
            let summary = (tallies[key] ?? ScoreTally()).summary
            try update.execute(arguments: [summary.score, summary.level?.rawValue, key])
        }
        try db.execute(sql: """
            DELETE FROM entity_domain;
            INSERT INTO entity_domain (siren, domain, weight, earned, unverified, failing, warning)
            SELECT h.siren, d.domain, SUM(d.weight), SUM(d.earned), SUM(d.unverified), SUM(d.failing), SUM(d.warning)
            FROM host h JOIN report_domain d ON d.reportKey = h.latestReportKey GROUP BY h.siren, d.domain;
            """)
    }

    /// Runs `body` in one IMMEDIATE write transaction: all of it is committed, or none. For this package's
    /// modules that keep their own tables in the store (incidents).
    /// - Throws: what `body` throws; `InputError(.io)` naming the store when SQLite says the store is at fault
    ///   (`storeError`: disk full, I/O error, damaged file, read-only).
    package func write<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.writeWithoutTransaction { db in
                var value: T?
                try db.inTransaction(.immediate) {
                    value = try body(db)
                    return .commit
                }
                return value!
            }
        } catch {
            throw Self.storeError(error, path: path, reading: false) ?? error
        }
    }

    /// Runs `body` on a read-only snapshot.
    /// - Throws: what `body` throws; `InputError(.io)` naming the store when SQLite says the store is at fault.
    package func read<T>(_ body: (Database) throws -> T) throws -> T {
        do {
            return try database.read(body)
        } catch {
            throw Self.storeError(error, path: path, reading: true) ?? error
        }
    }

    /// `PRAGMA integrity_check`: "ok" when the file is sound.
    public func integrityCheck() throws -> String {
        try read { db in try String.fetchAll(db, sql: "PRAGMA integrity_check").joined(separator: "; ") }
    }

    /// Reports whose stored result rows differ from their `resultCount` (must always be empty:
    /// a report is written in one transaction with all its results).
    public func incompleteReports() throws -> [String] {
        try read { db in
            try String.fetchAll(db, sql: """
                SELECT r.id FROM report r
                LEFT JOIN (SELECT reportKey, COUNT(*) AS n FROM result GROUP BY reportKey) c ON c.reportKey = r.key
                WHERE COALESCE(c.n, 0) != r.resultCount
                """)
        }
    }

    /// Counts of the main tables, for summaries and tests.
    public func counts() throws -> (entities: Int, hosts: Int, reports: Int, results: Int, rejections: Int) {
        try read { db in
            (try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM entity") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM host") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM report") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM result") ?? 0,
             try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM rejection") ?? 0)
        }
    }
}
