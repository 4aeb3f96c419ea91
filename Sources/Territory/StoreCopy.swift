import Agent
import Foundation
import Model

/// Copies a whole territory store into another, empty one (`cyberctl territory migrate`, issue 20): SQLite to
/// PostgreSQL, PostgreSQL to SQLite, or between two databases of one engine.
///
/// - Every table of `tables` is copied row for row with its keys (`report.key`, `host.id` …), so that every
///   reference (`result.reportKey`, `host.latestReportKey`, `incident_log.incidentID`) holds unchanged. The target's
///   schema is its own (its migrations, applied when it was opened), never the source's: the copy reads and writes
///   the columns both have, and refuses a source whose columns differ.
/// - One read snapshot of the source and one write transaction on the target for all tables: a collector still
///   writing the source cannot mix two moments into the copy, and the target is either the whole copy or, when
///   anything fails (a row refused, the connection lost, the disk full), exactly as empty as before. PostgreSQL holds
///   a large transaction without trouble (MVCC, no lock escalation); the price is the target's disk for the whole
///   copy before commit, which a half-copied target would need anyway.
/// - Inside the transaction the target's rows are counted per table and compared with the rows read; a difference
///   aborts the copy. On PostgreSQL the identity sequences (`host.id`, `report.key`, `rejection.id`, `incident.id`,
///   `incident_log.id`) are then moved past the largest key copied, so the next ingest does not collide.
/// - Reading a PostgreSQL source goes through a cursor (`FETCH` of `batchRows`), never the whole table at once;
///   writing uses multi-row `INSERT`s (PostgreSQL pipelines them).
public enum StoreCopy {
    /// The store's tables, parents before children (foreign keys are checked as rows arrive). The migration
    /// tables (`grdb_migrations`, `cyberctl_migration`) are the target's own and never copied.
    public static let tables = [
        "entity", "entity_domain", "entity_rule", "rule_total", "entity_score", "host", "host_cap", "entity_judged", "latest_certificate", "report", "report_domain", "report_finding", "report_fact", "result",
        "rejection", "report_withdrawal", "crl_state", "inbox_file", "roster", "roster_member", "incident", "incident_host", "incident_log",
        "trend_entity_day", "trend_day",
    ]

    /// Rows per `FETCH` and at most per `INSERT`.
    static let batchRows = 1_000
    /// At most this many `?` per `INSERT` (SQLite's limit is 32,766, PostgreSQL's 65,535).
    static let batchArguments = 30_000

    /// One table's rows in the source (in the snapshot copied) and in the target after the copy.
    public struct TableCount: Sendable, Equatable, Codable {
        public let table: String
        public let source: Int
        public let target: Int
    }

    /// Copies every table of `source` into `target`.
    /// - Returns: per table of `tables`, in order, the rows read from the source's snapshot and the rows the target
    ///   holds after commit (equal, or the copy throws).
    /// - Throws: `InputError(.io)` naming the target when it holds any row already (nothing is written), when the
    ///   source has a table or columns the target does not know, or when the rows counted in the target differ
    ///   from those read; the backends' `InputError(.io)` when either store cannot be read or written. Whatever is
    ///   thrown, the target's transaction is rolled back: it is left as it was, empty.
    public static func copy(from source: TerritoryStore, to target: TerritoryStore) throws -> [TableCount] {
        let copied: [(table: String, rows: Int)] = try source.read { from in
            let sourceTables = try tableNames(from)
            let unknown = sourceTables.subtracting(tables)
            if !unknown.isEmpty {
                throw InputError(
                    .io, file: source.path,
                    fr: "la base source a des tables inconnues de ce cyberctl (\(unknown.sorted().joined(separator: ", "))) : rien n'a été copié",
                    en: "the source store has tables this cyberctl does not know (\(unknown.sorted().joined(separator: ", "))): nothing copied")
            }
            return try target.write { to in
                try requireEmpty(to, target: target)
                var copied: [(table: String, rows: Int)] = []
                for table in tables {
                    let columns = try columnNames(to, table: table)
                    let sourceColumns = sourceTables.contains(table) ? try columnNames(from, table: table) : []
                    guard Set(columns) == Set(sourceColumns) else {
                        throw InputError(
                            .io, file: source.path,
                            fr: "la table \(table) de la base source n'a pas les colonnes attendues (\(sourceColumns.joined(separator: ", ")) au lieu de \(columns.joined(separator: ", "))) : rien n'a été copié",
                            en: "table \(table) of the source store does not have the expected columns (\(sourceColumns.joined(separator: ", ")) instead of \(columns.joined(separator: ", "))): nothing copied")
                    }
                    let rows = try copyTable(table, columns: columns, from: from, to: to)
                    let stored = try to.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
                    guard stored == rows else {
                        throw InputError(
                            .io, file: target.path,
                            fr: "table \(table) : \(rows) lignes lues, \(stored) dans la base cible : copie annulée, la base cible est restée vide",
                            en: "table \(table): \(rows) rows read, \(stored) in the target store: copy cancelled, the target store was left empty")
                    }
                    copied.append((table, rows))
                }
                if to.dialect == .postgresql { try resetIdentities(to) }
                return copied
            }
        }
        // After commit, from a new snapshot of the target: what a reader now sees.
        let stored = try counts(of: target)
        let result = copied.map { TableCount(table: $0.table, source: $0.rows, target: stored[$0.table] ?? 0) }
        if let differing = result.first(where: { $0.source != $0.target }) {
            throw InputError(
                .io, file: target.path,
                fr: "après la copie, la table \(differing.table) compte \(differing.target) lignes dans la base cible pour \(differing.source) lues : un autre programme l'a-t-il modifiée ?",
                en: "after the copy, table \(differing.table) holds \(differing.target) rows in the target store for \(differing.source) read: did another program change it?")
        }
        return result
    }

    /// Rows per table of `tables` in `store` (one snapshot).
    public static func counts(of store: TerritoryStore) throws -> [String: Int] {
        try store.read { db in
            var counts: [String: Int] = [:]
            for table in tables { counts[table] = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM \(table)") ?? 0 }
            return counts
        }
    }

    /// The tables of the store, without the migration tables and SQLite's own.
    static func tableNames(_ db: any SQLConnection) throws -> Set<String> {
        let names: [String]
        switch db.dialect {
        case .sqlite:
            names = try db.fetchAll(String.self, sql: "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
        case .postgresql:
            names = try db.fetchAll(String.self, sql: "SELECT table_name::text FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'")
        }
        return Set(names.map { $0.lowercased() }).subtracting(["grdb_migrations", "cyberctl_migration"])
    }

    /// A table's column names, lower-cased (PostgreSQL folds unquoted names), in the table's order.
    static func columnNames(_ db: any SQLConnection, table: String) throws -> [String] {
        let names: [String]
        switch db.dialect {
        case .sqlite:
            names = try db.fetchAll(String.self, sql: "SELECT name FROM pragma_table_info(?) ORDER BY cid", arguments: [table])
        case .postgresql:
            names = try db.fetchAll(
                String.self,
                sql: "SELECT column_name::text FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position",
                arguments: [table])
        }
        return names.map { $0.lowercased() }
    }

    /// Throws unless every table of the target is empty (checked inside the write transaction, under the writers'
    /// lock: a collector cannot slip a report in between).
    static func requireEmpty(_ db: any SQLConnection, target: TerritoryStore) throws {
        var held: [String] = []
        for table in tables {
            let rows = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM \(table)") ?? 0
            if rows > 0 { held.append("\(table) \(rows)") }
        }
        guard held.isEmpty else {
            throw InputError(
                .io, file: target.path,
                fr: "la base cible n'est pas vide (\(held.joined(separator: ", "))) : rien n'a été copié ; donnez une base neuve (createdb, ou un nouveau fichier)",
                en: "the target store is not empty (\(held.joined(separator: ", "))): nothing copied; give a new database (createdb, or a new file)")
        }
    }

    /// Copies `table`'s rows; returns how many were read.
    static func copyTable(_ table: String, columns: [String], from: any SQLConnection, to: any SQLConnection) throws -> Int {
        // Quoted (`check`, `references` are keywords) and lower-case: PostgreSQL's folded names; SQLite matches
        // names without case, quoted or not.
        let list = columns.map { "\"\($0)\"" }.joined(separator: ", ")
        let select = "SELECT \(list) FROM \(table)"
        let perInsert = max(1, min(batchRows, batchArguments / max(1, columns.count)))
        let tuple = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        var pending: [SQLValue] = []
        var pendingRows = 0
        var total = 0
        func insert() throws {
            guard pendingRows > 0 else { return }
            let values = Array(repeating: tuple, count: pendingRows).joined(separator: ", ")
            try to.execute(sql: "INSERT INTO \(table) (\(list)) VALUES \(values)", arguments: SQLArguments(pending))
            pending.removeAll(keepingCapacity: true)
            pendingRows = 0
        }
        func add(_ row: SQLRow) throws {
            pending.append(contentsOf: row.values)
            pendingRows += 1
            total += 1
            if pendingRows >= perInsert { try insert() }
        }
        switch from.dialect {
        case .sqlite:
            try from.forEachRow(sql: select, arguments: [], add)
        case .postgresql:
            // postgres-nio gathers a query's rows before returning them: a cursor keeps memory to one batch.
            try from.execute(sql: "DECLARE cyberctl_copy NO SCROLL CURSOR FOR \(select)")
            while true {
                let rows = try from.fetchRows(sql: "FETCH FORWARD \(batchRows) FROM cyberctl_copy")
                for row in rows { try add(row) }
                if rows.count < batchRows { break }
            }
            try from.execute(sql: "CLOSE cyberctl_copy")
        }
        try insert()
        return total
    }

    /// Moves every identity sequence of the target past the largest key it holds (the next row gets max + 1; an
    /// empty table starts at 1).
    static func resetIdentities(_ db: any SQLConnection) throws {
        let identities = try db.fetchRows(sql: """
            SELECT table_name::text, column_name::text FROM information_schema.columns
            WHERE table_schema = current_schema() AND is_identity = 'YES'
            """)
        for row in identities {
            let table: String = row[0]
            let column: String = row[1]
            try db.execute(
                sql: "SELECT setval(pg_get_serial_sequence(?, ?), COALESCE(MAX(\"\(column)\"), 0) + 1, false) FROM \(table)",
                arguments: [table, column])
        }
    }
}
