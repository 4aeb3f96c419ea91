import Checks
import Foundation
import Model

/// The `report_fact` table (migration `v4-roster`): per report, what its results say about the caps'
/// inputs (`CapFact`), written at ingest with the report, and filled from the stored results for
/// reports ingested before the migration. The views read caps from here, never from `result`.
extension TerritoryStore {
    static func createFactTable(_ db: any SQLConnection) throws {
        if db.dialect == .sqlite {
            try db.execute(sql: """
                CREATE TABLE report_fact (
                    reportKey INTEGER NOT NULL REFERENCES report(key),
                    kind TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    state TEXT NOT NULL,
                    at INTEGER,
                    label TEXT,
                    PRIMARY KEY (reportKey, kind, subject)
                ) WITHOUT ROWID;
                -- An entity's history (per-report trends of each member) without scanning every report.
                CREATE INDEX report_by_siren ON report(siren, generatedAt);
                """)
        } else {
            try db.execute(sql: """
                CREATE TABLE report_fact (
                    reportKey BIGINT NOT NULL REFERENCES report(key),
                    kind TEXT NOT NULL,
                    subject TEXT NOT NULL,
                    state TEXT NOT NULL,
                    at BIGINT,
                    label TEXT,
                    PRIMARY KEY (reportKey, kind, subject)
                );
                CREATE INDEX report_by_siren ON report(siren, generatedAt);
                """)
        }
        // Stored reports: their facts from their stored results, with the same builder as ingest.
        let codes = CapFactBuilder.codes.sorted().map { "'\($0)'" }.joined(separator: ",")
        var builders: [Int64: CapFactBuilder] = [:]
        try db.forEachRow(
            sql: "SELECT reportKey, code, status, target, evidence FROM result WHERE code IN (\(codes)) ORDER BY reportKey, ordinal", arguments: []
        ) { row in
            guard let status = Status(rawValue: row[2]) else { return }
            builders[row[0], default: CapFactBuilder()].add(code: row[1], status: status, target: row[3], evidence: JSONText.decode(row[4]))
        }
        for (key, builder) in builders { try insertFacts(db, report: key, builder.facts) }
    }
}

/// Writes a report's facts.
func insertFacts(_ db: any SQLConnection, report key: Int64, _ facts: [CapFact]) throws {
    guard !facts.isEmpty else { return }
    let statement = try db.makeStatement(sql: "INSERT INTO report_fact (reportKey, kind, subject, state, at, label) VALUES (?, ?, ?, ?, ?, ?)")
    for fact in facts {
        try statement.execute(arguments: [key, fact.kind.rawValue, fact.subject, fact.state.rawValue, fact.at, fact.label])
    }
}

/// Reads facts back.
enum FactReader {
    /// Each report's facts in key order (kind, then subject, bytewise: SQLite's `report_fact` primary key order), whatever
    /// order the engine returned them in: the caps break ties between facts by their order (the first of two
    /// certificates that ended the same second names the cap), and PostgreSQL's joins return rows in no fixed order.
    static func inKeyOrder(_ facts: [Int64: [CapFact]]) -> [Int64: [CapFact]] {
        func before(_ a: CapFact, _ b: CapFact) -> Bool {
            a.kind.rawValue == b.kind.rawValue
                ? a.subject.utf8.lexicographicallyPrecedes(b.subject.utf8) : a.kind.rawValue.utf8.lexicographicallyPrecedes(b.kind.rawValue.utf8)
        }
        // Only the lists out of order are sorted, in place (SQLite returns them in order: 100,000 lists rebuilt for nothing).
        let unordered = facts.compactMap { key, list in zip(list, list.dropFirst()).contains { !before($0, $1) } ? key : nil }
        guard !unordered.isEmpty else { return facts }
        var out = facts
        for key in unordered { out[key]!.sort(by: before) }
        return out
    }

    static func fact(_ row: SQLRow, offset: Int) -> CapFact? {
        guard let kind = CapFact.Kind(rawValue: row[offset]), let state = CapFact.State(rawValue: row[offset + 2]) else { return nil }
        return CapFact(kind: kind, subject: row[offset + 1], state: state, at: row[offset + 3], label: row[offset + 4])
    }

    /// The facts of the given reports, by report key. With `evaluatedUpTo` (Unix seconds: no cap is evaluated later
    /// than that), the `ok` facts that can never cap by then are left out, as in `latestCapFacts`: a certificate or a
    /// system whose date is later, a passing backup location; the backup and security-update facts stay (an entity
    /// without backup facts, and the pending-since history, read them).
    static func facts(_ db: any SQLConnection, reports keys: [Int64], evaluatedUpTo limit: Int? = nil) throws -> [Int64: [CapFact]] {
        var out: [Int64: [CapFact]] = [:]
        guard !keys.isEmpty else { return out }
        let relevant = limit.map { " AND (kind IN ('backup.present', 'os.end-of-life', 'patch.security', 'patch.security.package') OR state <> 'ok' OR at <= \($0))" } ?? ""
        for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min($0 + 500, keys.count)]) }) {
            try db.forEachRow(sql: """
                SELECT reportKey, kind, subject, state, at, label FROM report_fact WHERE reportKey IN (\(chunk.map(String.init).joined(separator: ",")))\(relevant)
                """, arguments: []) { row in
                if let fact = fact(row, offset: 1) { out[row[0], default: []].append(fact) }
            }
        }
        return inKeyOrder(out)
    }

    /// The facts of every host's latest report (`reports`: the hosts' latest report keys) that can weigh on its caps
    /// at `now` (Unix seconds), by report key: every fact that is not `ok`, the `ok` facts whose date (a certificate's
    /// notAfter, the end of security support) has passed at `now`, and each report's `backup.present` fact (an entity
    /// where no host has one is "backups not verified"). The `ok` facts left out (a certificate still valid, a passing
    /// backup location, security updates applied, a supported system) give no cap in `CapEvaluation.caps`, so the caps
    /// are those of every fact. An `ok` backup fact carries nothing but its kind: it is not read but put back for
    /// every report but those without one (a short list); likewise a supported system's end-of-support fact, put back
    /// without its date (a report without one did not check it, which caps). At 100,000 hosts this reads a fourteenth of the rows
    /// (docs/benchmarks.md, issue 20).
    static func latestCapFacts(_ db: any SQLConnection, reports: [Int64], now: Int) throws -> [Int64: [CapFact]] {
        var out: [Int64: [CapFact]] = [:]
        try db.forEachRow(sql: """
            SELECT f.reportKey, f.kind, f.subject, f.state, f.at, f.label
            FROM host h JOIN report_fact f ON f.reportKey = h.latestReportKey
            WHERE f.state <> 'ok' OR f.at <= ?
            """, arguments: [now]) { row in
            if let fact = fact(row, offset: 1) { out[row[0], default: []].append(fact) }
        }
        var withoutBackupFact = Set<Int64>()
        try db.forEachRow(sql: """
            SELECT h.latestReportKey FROM host h WHERE h.latestReportKey IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM report_fact f WHERE f.reportKey = h.latestReportKey AND f.kind = 'backup.present')
            """, arguments: []) { row in withoutBackupFact.insert(row[0]) }
        // A report without an end-of-support fact did not check it (`CapEvaluation.caps`: unverified), unlike one whose
        // `ok` fact was left out above (a supported system): the latter gets an `ok` fact back, without its date.
        var withoutEndOfLifeFact = Set<Int64>()
        try db.forEachRow(sql: """
            SELECT h.latestReportKey FROM host h WHERE h.latestReportKey IS NOT NULL
            AND NOT EXISTS (SELECT 1 FROM report_fact f WHERE f.reportKey = h.latestReportKey AND f.kind = 'os.end-of-life')
            """, arguments: []) { row in withoutEndOfLifeFact.insert(row[0]) }
        // As `CapFactBuilder` writes them (one per report at most).
        let backupOK = CapFact(kind: .backupPresent, subject: "", state: .ok)
        let supported = CapFact(kind: .endOfLife, subject: "", state: .ok)
        for key in reports {
            if !withoutBackupFact.contains(key) && !(out[key]?.contains { $0.kind == .backupPresent } ?? false) {
                out[key, default: []].append(backupOK)
            }
            if !withoutEndOfLifeFact.contains(key) && !(out[key]?.contains { $0.kind == .endOfLife } ?? false) {
                out[key, default: []].append(supported)
            }
        }
        return inKeyOrder(out)
    }

    /// Each host's security facts over its whole history, oldest report first, folded into the
    /// pending-since map of its latest report (`SecurityHistory`); only for `hostIDs`.
    static func pendingSince(_ db: any SQLConnection, hostIDs: [Int64]) throws -> [Int64: [String: Int]] {
        var histories: [Int64: SecurityHistory] = [:]
        guard !hostIDs.isEmpty else { return [:] }
        for chunk in stride(from: 0, to: hostIDs.count, by: 500).map({ Array(hostIDs[$0..<min($0 + 500, hostIDs.count)]) }) {
            let sql = """
                SELECT r.hostID, r.key, r.generatedAt, f.kind, f.subject, f.state, f.at, f.label
                FROM report r JOIN report_fact f ON f.reportKey = r.key
                WHERE r.hostID IN (\(chunk.map(String.init).joined(separator: ","))) AND f.kind IN ('patch.security', 'patch.security.package')
                ORDER BY r.hostID, r.generatedAt, r.signingTime, r.id
                """
            var current: (host: Int64, key: Int64, time: Int)?
            var facts: [CapFact] = []
            func flush() {
                if let current { histories[current.host, default: SecurityHistory()].add(reportTime: current.time, facts: facts) }
                facts = []
            }
            try db.forEachRow(sql: sql, arguments: []) { row in
                let host: Int64 = row[0], key: Int64 = row[1]
                if current?.key != key {
                    flush()
                    current = (host, key, row[2])
                }
                if let fact = fact(row, offset: 3) { facts.append(fact) }
            }
            flush()
        }
        return histories.mapValues(\.pendingSince)
    }
}
