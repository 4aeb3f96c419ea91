import Agent
import Checks
import Foundation
import Model

/// The mutualised RSSI's store holding every verified report of the territory, its results, and the files that
/// were refused: one SQLite database (`SQLiteBackend`, the default, through GRDB), or a PostgreSQL database. The
/// store reaches it through its `backend` (`StoreBackend`) and never names the engine; every query is written
/// once, in the SQL both engines accept (`SQLConnection`).
///
/// Schema (migration `v1-territory`; later issues append their own migrations to `TerritoryStore.migrations`,
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
/// - `entity_rule` — per entity and rule code, its hosts' latest warn/fail results counted (hosts, targets, new,
///   persistent and resolved against the previous reports), worst severity, and the entity's score gain with the rule
///   fixed (migration `v9-entity-rule`, `RuleTotals`): findings and the status's fixes read this.
/// - `rule_total` — per rule code, the sums of `entity_rule` over every entity, moved with it (the unfiltered
///   findings read this); `entity_score` — per entity, its score (rounded and not) from the same sums.
/// - `host_cap` — per host, its latest report's cap inputs reduced to what `now` can still change (migration
///   `v12-host-cap`, `HostCaps`): the status reads this instead of every latest report's `report_fact` rows.
/// - `trend_entity_day`, `trend_day` — per entity and UTC day its state at its last report of the day, and per day
///   what the day changes in the territory's sums (migration `v17-trend-day`, `TrendDays`): the dashboard's daily
///   trend reads `trend_day` instead of replaying every report.
/// - `entity_judged` — per entity, its status row judged at ingest (score line, failures, hosts' report times, caps
///   without their words) and the interval of `now` over which its caps hold (migration `v18-entity-judged`,
///   `EntityJudgements`): the status reads this and re-judges from `host_cap` only the entities outside their interval.
/// - `report_finding` — per report and rule code with warn/fail results: how many, worst severity,
///   and the credit the fixes would add (the "fix first" and findings views read this, not `result`).
/// - `result` — one row per result: check, target, code, domain, status, severity, evidence and
///   references as JSON text, reason (English) and its French text (`reasonFr`, migration `v6-reason-fr`; NULL
///   for reports written before it), duration.
/// - `rejection` — one row per refused (path, SHA-256): code, message (English) and its French text
///   (`messageFr`, migration `v7-rejection-message-fr`; NULL for refusals recorded before it), first and last
///   seen, times seen, and when the same bytes were later accepted (resolvedAt).
/// - `report_withdrawal` — one row per stored report withdrawn because a CRL revokes its signer (migration
///   `v11-report-withdrawal`, `withdrawRevokedReports`): report id and SHA-256, entity, host, source path, generation and
///   signing times, the certificate's serial and issuer, the revocation's reason and date, when, whether it was its
///   host's latest and the host's latest generation time after (NULL: none left, not evaluated).
///
/// Concurrency: any number of processes may ingest or read at once; a writer's transaction excludes every other
/// writer (SQLite: IMMEDIATE, waiting up to `busyTimeout`), readers read a snapshot and never block.
public final class TerritoryStore: Sendable {
    /// Where the store is, for messages: the database file's path, or a `postgresql://` URL without its password
    /// (`StoreBackend.displayName`).
    public let path: String
    /// The engine the store lives in.
    let backend: any StoreBackend

    /// How long a writer waits for another process's transaction: 60 s.
    public static let busyTimeout: TimeInterval = 60

    /// `$XDG_DATA_HOME/cyberctl/territory.sqlite`, or `~/.local/share/cyberctl/territory.sqlite` when
    /// XDG_DATA_HOME is unset or not absolute (XDG Base Directory specification).
    public static func defaultPath(environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") { return "\(data)/cyberctl/territory.sqlite" }
        let home = environment["HOME"] ?? NSHomeDirectory()
        return "\(home)/.local/share/cyberctl/territory.sqlite"
    }

    /// Opens (creating it and its folder when `create`) the SQLite store at `path` and applies pending migrations
    /// (`SQLiteBackend`).
    ///
    /// With `readOnly`, an existing store is opened with `SQLITE_OPEN_READONLY` and nothing is written
    /// to it or beside it: a store on read-only media, or one the user may read but not write, can be
    /// viewed. When SQLite cannot create the WAL's shared-memory file there (a read-only folder) and no
    /// writer has a WAL open, the file is read as immutable. A store written by an older cyberctl (pending
    /// migrations) is migrated when it can be written, and refused otherwise.
    /// - Throws: `InputError`: `.missing` when the file does not exist and `create` is false; `.io` (74) when
    ///   the path is not a regular file (a device, a FIFO), or the store cannot be opened or is not a cyberctl store.
    public convenience init(path: String, create: Bool = true, readOnly: Bool = false) throws(InputError) {
        self.init(backend: try SQLiteBackend(path: path, create: create, readOnly: readOnly))
    }

    /// Opens the store at `location`: a SQLite file (as `init(path:create:readOnly:)`), or a PostgreSQL database
    /// (`postgresql://…`, `PostgresLocation`), whose pending migrations are applied under an advisory lock (two
    /// collectors starting together apply each once). A PostgreSQL database is never created here (`createdb` is
    /// its administrator's); `create` only allows preparing an empty one. `readOnly` on PostgreSQL reads in
    /// read-only transactions and refuses a database cyberctl has not prepared or that an older cyberctl prepared.
    /// - Throws: `InputError`: `.usage` for a malformed URI; `.io` (74) when the database cannot be reached, refuses
    ///   the credentials or TLS, or is not a cyberctl store; `.missing` (66) for an unprepared database without
    ///   `create`.
    public convenience init(location: String, create: Bool = true, readOnly: Bool = false) throws(InputError) {
        switch try StoreLocation.parse(location) {
        case .sqlite(let path):
            try self.init(path: path, create: create, readOnly: readOnly)
        case .postgresql(let database):
            self.init(backend: try Self.openPostgres(database, create: create, readOnly: readOnly))
        }
    }

    static func openPostgres(_ location: PostgresLocation, create: Bool, readOnly: Bool) throws(InputError) -> PostgresBackend {
        let backend = try PostgresBackend(location: location)
        let applied: Set<String>?
        do {
            applied = try backend.appliedMigrations()
        } catch {
            throw PostgresBackend.storeError(error, location: location, reading: true)
        }
        let all = Set(migrations.map(\.id))
        if applied == nil && !create {
            throw InputError(
                .missing, file: location.displayName,
                fr: "cette base PostgreSQL n'est pas (encore) une base du territoire ; `cyberctl consolidate` ou `cyberctl collect` la préparent",
                en: "this PostgreSQL database is not (yet) a territory store; `cyberctl consolidate` or `cyberctl collect` prepares it")
        }
        if let applied, !applied.subtracting(all).isEmpty {
            throw InputError(
                .io, file: location.displayName,
                fr: "base préparée par un cyberctl plus récent (migrations inconnues : \(applied.subtracting(all).sorted().joined(separator: ", "))) : mettez cyberctl à jour",
                en: "store prepared by a newer cyberctl (unknown migrations: \(applied.subtracting(all).sorted().joined(separator: ", "))): upgrade cyberctl")
        }
        if applied != all {
            if readOnly && applied != nil {
                throw InputError(
                    .io, file: location.displayName,
                    fr: "base préparée par un cyberctl plus ancien : ouvrez-la une fois en écriture (consolidate ou collect) pour la mettre à jour",
                    en: "store prepared by an older cyberctl: open it once for writing (consolidate or collect) to upgrade it")
            }
            try backend.migrate(migrations.map { migration in (id: migration.id, body: migration.body) })
        }
        return backend
    }

    /// The store in `backend`, which has opened it and applied its migrations.
    package init(backend: any StoreBackend) {
        self.backend = backend
        path = backend.displayName
    }

    /// Which engine runs the store's SQL.
    package var dialect: SQLDialect { backend.dialect }

    /// Runs `body` in one write transaction that excludes every other writer: all of it is committed, or none.
    /// For this package's modules that keep their own tables in the store (incidents).
    /// - Throws: what `body` throws; `InputError(.io)` naming the store when the backend says the store is at
    ///   fault (disk full, I/O error, damaged file, read-only).
    package func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try backend.write(body)
    }

    /// Runs `body` on a read-only snapshot.
    /// - Throws: what `body` throws; `InputError(.io)` naming the store when the backend says the store is at fault.
    package func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try backend.read(body)
    }

    /// SQLite's `PRAGMA integrity_check`: "ok" when the file is sound.
    /// - Throws: `InputError(.usage)` on another backend (PostgreSQL checks its pages itself; there is no
    ///   equivalent to run), or what reading the store throws.
    public func integrityCheck() throws -> String {
        guard let sqlite = backend as? SQLiteBackend else {
            throw InputError(
                .usage, file: path, fr: "la vérification d'intégrité ne concerne qu'une base SQLite",
                en: "the integrity check applies to a SQLite store only")
        }
        return try sqlite.integrityCheck()
    }

    /// Reports whose stored result rows differ from their `resultCount` (must always be empty:
    /// a report is written in one transaction with all its results).
    public func incompleteReports() throws -> [String] {
        try read { db in
            try db.fetchAll(String.self, sql: """
                SELECT r.id FROM report r
                LEFT JOIN (SELECT reportKey, COUNT(*) AS n FROM result GROUP BY reportKey) c ON c.reportKey = r.key
                WHERE COALESCE(c.n, 0) != r.resultCount
                """)
        }
    }

    /// Counts of the main tables, for summaries and tests.
    public func counts() throws -> (entities: Int, hosts: Int, reports: Int, results: Int, rejections: Int) {
        try read { db in
            (try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM entity") ?? 0,
             try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM host") ?? 0,
             try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report") ?? 0,
             try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM result") ?? 0,
             try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM rejection") ?? 0)
        }
    }
}
