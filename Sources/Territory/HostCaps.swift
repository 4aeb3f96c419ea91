import Checks
import Foundation
import Model

/// Per host, what its latest report says about the caps, reduced at ingest to what can still change with `now`
/// (`host_cap`, migration `v12-host-cap`, issue 20), so that `territory status` reads one row per host instead of
/// the facts of every latest report (1.3 million `report_fact` rows at 100,000 reports, of which it kept 95,000) and
/// each capped host's security-update history.
///
/// One row per host with a latest report (`reportKey`: the key of the report it was computed from):
/// - `backup`, `backupSeparate`, `security`: the state (`CapFact.State` raw value) of the report's first fact of that
///   kind, NULL without one;
/// - `certificateAt`, `certificateLabel`: among the certificate facts with an end date, the first (in key order) of
///   those that end first, and its label (its subject when it has none); `certificateEnds`: the end dates of every
///   other certificate fact with one, ascending, comma-separated (empty text for none): how many have ended at `now`;
/// - `certificateUnverified`: the label (else subject) of the first certificate fact in the `unverified` state;
/// - `endOfLife`, `endOfLifeAt`, `endOfLifeLabel`: the report's end-of-support fact;
/// - `late`: with a pending security update (`security` = `gap`), the packages pending for at least
///   `CapRule.securityUpdateDays` days at the report's generation time (`SecurityHistory` over the host's reports),
///   as a JSON object package → Unix seconds (as text); NULL otherwise. This does not depend on `now`.
///
/// `facts(now:)` gives back, for any `now`, facts whose caps (`CapEvaluation.caps`, `entityCaps`) are those of the
/// report's whole fact list with the host's pending-since history (`HostCapsTests` compares them), and the rows are
/// recomputed whenever either can change: in the ingest transaction for the hosts of every report stored (a new
/// latest; an older report can start or end a run of pending updates), after `prune` for the entities that lost
/// reports (the first report of a run may go), by the migration for every host; `territory migrate` copies them.
/// The status checks each row's `reportKey` against the host's latest and reads the full facts of any host whose row
/// is missing or out of date, so that a writer that forgot the refresh costs time, never a wrong cap.
enum HostCaps {
    /// Migration `v12-host-cap`: the table and its rows for every host with a latest report.
    static func createTable(_ db: any SQLConnection) throws {
        let integer = db.dialect == .sqlite ? "INTEGER" : "BIGINT"
        try db.execute(sql: """
            CREATE TABLE host_cap (
                hostID \(integer) PRIMARY KEY NOT NULL REFERENCES host(id),
                siren TEXT NOT NULL,
                reportKey \(integer) NOT NULL,
                backup TEXT, backupSeparate TEXT,
                certificateAt \(integer), certificateLabel TEXT, certificateEnds TEXT NOT NULL, certificateUnverified TEXT,
                endOfLife TEXT, endOfLifeAt \(integer), endOfLifeLabel TEXT,
                security TEXT, late TEXT
            );
            CREATE INDEX host_cap_by_siren ON host_cap(siren);
            """)
        try refreshAll(db)
    }

    /// Recomputes every host's row (the migration's back-fill).
    static func refreshAll(_ db: any SQLConnection) throws {
        try db.execute(sql: "DELETE FROM host_cap")
        let hosts = try db.fetchAll(Int64.self, sql: "SELECT id FROM host WHERE latestReportKey IS NOT NULL ORDER BY id")
        try refresh(db, hosts: hosts)
    }

    /// Recomputes the rows of every host of entities `sirens` (after `prune`).
    static func refresh(_ db: any SQLConnection, sirens: [String]) throws {
        var hosts: [Int64] = []
        for chunk in chunks(sirens) {
            hosts += try db.fetchAll(Int64.self, sql: "SELECT id FROM host WHERE siren IN (\(TerritoryViews.sqlList(chunk)))")
        }
        try refresh(db, hosts: hosts)
    }

    /// Recomputes the rows of the hosts of the reports `outcomes` stored (`results` as `Ingest.write` returns them,
    /// in the same order), in the ingest transaction.
    static func refresh(_ db: any SQLConnection, outcomes: [Ingest.Outcome], results: [Ingest.SingleOutcome]) throws {
        struct HostName: Hashable { var siren: String; var hostname: String }
        var names = Set<HostName>()
        for (outcome, result) in zip(outcomes, results) {
            guard case .stored = result, case .verified(let record, _) = outcome else { continue }
            names.insert(HostName(siren: record.entity.siren, hostname: record.hostname))
        }
        guard !names.isEmpty else { return }
        var hosts: [Int64] = []
        for name in names.sorted(by: { ($0.siren, $0.hostname) < ($1.siren, $1.hostname) }) {
            if let id = try db.fetchOne(Int64.self, sql: "SELECT id FROM host WHERE siren = ? AND hostname = ?", arguments: [name.siren, name.hostname]) {
                hosts.append(id)
            }
        }
        try refresh(db, hosts: hosts)
    }

    /// Recomputes the rows of `hosts` (ids): each one's latest report's facts and, with a pending security update,
    /// its security history.
    static func refresh(_ db: any SQLConnection, hosts: [Int64]) throws {
        for chunk in chunks(hosts) {
            let ids = chunk.map(String.init).joined(separator: ",")
            try db.execute(sql: "DELETE FROM host_cap WHERE hostID IN (\(ids))")
            var latest: [(id: Int64, siren: String, key: Int64, time: Int)] = []
            try db.forEachRow(
                sql: "SELECT id, siren, latestReportKey, latestGeneratedAt FROM host WHERE id IN (\(ids)) AND latestReportKey IS NOT NULL",
                arguments: []
            ) { row in latest.append((row[0], row[1], row[2], row[3])) }
            let facts = try FactReader.facts(db, reports: latest.map(\.key))
            let withPending = latest.filter { host in facts[host.key]?.contains { $0.kind == .security && $0.state == .gap } ?? false }.map(\.id)
            let pending = try FactReader.pendingSince(db, hostIDs: withPending)
            var arguments = SQLArguments([SQLValue]())
            for host in latest {
                let row = Row(facts: facts[host.key] ?? [], reportTime: host.time, pendingSince: pending[host.id] ?? [:])
                let values: SQLArguments = [
                    host.id, host.siren, host.key, row.backup?.rawValue, row.backupSeparate?.rawValue, row.certificateAt, row.certificateLabel,
                    row.endsText, row.certificateUnverified, row.endOfLife?.rawValue,
                    row.endOfLifeAt, row.endOfLifeLabel, row.security?.rawValue, row.lateText,
                ]
                arguments.append(contentsOf: values)
            }
            guard !latest.isEmpty else { continue }
            let placeholders = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: latest.count).joined(separator: ", ")
            try db.execute(sql: """
                INSERT INTO host_cap (hostID, siren, reportKey, backup, backupSeparate, certificateAt, certificateLabel, certificateEnds,
                    certificateUnverified, endOfLife, endOfLifeAt, endOfLifeLabel, security, late)
                VALUES \(placeholders)
                """, arguments: arguments)
        }
    }

    /// At most 500 per statement (14 values a row: under SQLite's 32,766 parameters).
    private static func chunks<T>(_ values: [T]) -> [[T]] {
        stride(from: 0, to: values.count, by: 500).map { Array(values[$0..<min($0 + 500, values.count)]) }
    }

    /// One host's row.
    struct Row: Equatable {
        var backup: CapFact.State?
        var backupSeparate: CapFact.State?
        var certificateAt: Int?
        var certificateLabel: String?
        /// Ascending.
        var certificateEnds: [Int] {
            get { endsText.isEmpty ? [] : endsText.split(separator: ",").compactMap { Int($0) } }
            set { endsText = newValue.map(String.init).joined(separator: ",") }
        }
        /// `certificateEnds` as stored: decimal Unix seconds, comma-separated.
        private(set) var endsText = ""
        var certificateUnverified: String?
        var endOfLife: CapFact.State?
        var endOfLifeAt: Int?
        var endOfLifeLabel: String?
        var security: CapFact.State?
        /// Package → since (Unix seconds): those pending at least `CapRule.securityUpdateDays` days at the report's time.
        var late: [String: Int] = [:]

        /// From a report's facts (in key order, as `FactReader` gives them), its generation time and the host's
        /// pending-since map.
        init(facts: [CapFact], reportTime: Int, pendingSince: [String: Int]) {
            backup = facts.first { $0.kind == .backupPresent }?.state
            backupSeparate = facts.first { $0.kind == .backupSeparate }?.state
            var ends: [Int] = []
            for fact in facts where fact.kind == .certificate {
                if let at = fact.at {
                    if let first = certificateAt, first <= at {
                        ends.append(at)
                    } else {
                        if let first = certificateAt { ends.append(first) }
                        certificateAt = at
                        certificateLabel = fact.label ?? fact.subject
                    }
                }
                if fact.state == .unverified && certificateUnverified == nil { certificateUnverified = fact.label ?? fact.subject }
            }
            certificateEnds = ends.sorted()
            if let eol = facts.first(where: { $0.kind == .endOfLife }) {
                endOfLife = eol.state
                endOfLifeAt = eol.at
                endOfLifeLabel = eol.label
            }
            security = facts.first { $0.kind == .security }?.state
            if security == .gap {
                let limit = reportTime - CapRule.securityUpdateDays * 86_400
                late = pendingSince.filter { $0.value <= limit }
            }
        }

        /// From a `host_cap` row read from `offset` on (the columns of `HostCaps.columns`, in that order).
        init(_ row: SQLRow, offset: Int) {
            backup = (row[offset] as String?).flatMap(CapFact.State.init(rawValue:))
            backupSeparate = (row[offset + 1] as String?).flatMap(CapFact.State.init(rawValue:))
            certificateAt = row[offset + 2]
            certificateLabel = row[offset + 3]
            // Kept as text: `facts(now:)` reads only the ends up to `now` (splitting 900,000 numbers was an eighth of the status).
            endsText = row[offset + 4]
            certificateUnverified = row[offset + 5]
            endOfLife = (row[offset + 6] as String?).flatMap(CapFact.State.init(rawValue:))
            endOfLifeAt = row[offset + 7]
            endOfLifeLabel = row[offset + 8]
            security = (row[offset + 9] as String?).flatMap(CapFact.State.init(rawValue:))
            if let text: String = row[offset + 10], case .object(let object) = JSONText.decode(text) {
                for (package, value) in object { if let since = value.stringValue.flatMap({ Int($0) }) { late[package] = since } }
            }
        }

        var lateText: String? {
            security == .gap ? JSONText.encode(.object(late.mapValues { .string(String($0)) })) : nil
        }

        /// Facts whose caps at `now` are those of the report's facts: the one-per-report facts, the certificates
        /// ended at `now` (the first to end first, with its label), one unverified certificate.
        func facts(now: Int) -> [CapFact] {
            var out: [CapFact] = []
            if let backup { out.append(CapFact(kind: .backupPresent, subject: "", state: backup)) }
            if let backupSeparate { out.append(CapFact(kind: .backupSeparate, subject: "", state: backupSeparate)) }
            if let at = certificateAt, at <= now {
                let label = certificateLabel ?? ""
                out.append(CapFact(kind: .certificate, subject: label, state: .ok, at: at, label: label))
                // The ends up to `now`, read from the text in place (ascending: the first later one ends the loop).
                var end = 0, digits = 0, sign = 1
                for byte in endsText.utf8 {
                    if byte == UInt8(ascii: ",") {
                        guard digits > 0, sign * end <= now else { digits = -1; break }
                        out.append(CapFact(kind: .certificate, subject: "", state: .ok, at: sign * end))
                        end = 0
                        digits = 0
                        sign = 1
                    } else if byte == UInt8(ascii: "-") {
                        sign = -1
                    } else {
                        end = end * 10 + Int(byte &- UInt8(ascii: "0"))
                        digits += 1
                    }
                }
                if digits > 0 && sign * end <= now { out.append(CapFact(kind: .certificate, subject: "", state: .ok, at: sign * end)) }
            }
            if let certificateUnverified {
                out.append(CapFact(kind: .certificate, subject: certificateUnverified, state: .unverified, label: certificateUnverified))
            }
            if let endOfLife { out.append(CapFact(kind: .endOfLife, subject: "", state: endOfLife, at: endOfLifeAt, label: endOfLifeLabel)) }
            if let security { out.append(CapFact(kind: .security, subject: "", state: security)) }
            return out
        }
    }

    /// The `host_cap` columns `Row.init(_:offset:)` reads, for a query's select list (table alias `c`).
    static let columns =
        "c.backup, c.backupSeparate, c.certificateAt, c.certificateLabel, c.certificateEnds, c.certificateUnverified, c.endOfLife, c.endOfLifeAt, c.endOfLifeLabel, c.security, c.late"

    /// Every host with a latest report and its cap input at `now` (Unix seconds), from `host_cap`; the hosts whose
    /// row is missing or was computed from another report than their latest read from their facts.
    /// With `only`, that entity's hosts alone.
    static func latestInputs(_ db: any SQLConnection, now: Int, only siren: String? = nil) throws -> [(siren: String, time: Int, input: HostCapInput)] {
        var out: [(siren: String, time: Int, input: HostCapInput)] = []
        var outdated: [(index: Int, id: Int64, key: Int64)] = []
        try db.forEachRow(sql: """
            SELECT h.id, h.siren, h.hostname, h.latestReportKey, h.latestGeneratedAt, c.reportKey, \(columns)
            FROM host h LEFT JOIN host_cap c ON c.hostID = h.id WHERE h.latestReportKey IS NOT NULL\(siren.map { " AND h.siren IN (\(TerritoryViews.sqlList([$0])))" } ?? "")
            """, arguments: []) { row in
            let key: Int64 = row[3], time: Int = row[4]
            var input = HostCapInput(hostname: row[2], reportTime: time, facts: [], pendingSince: [:])
            if (row[5] as Int64?) == key {
                let kept = Row(row, offset: 6)
                input.facts = kept.facts(now: now)
                input.pendingSince = kept.late
            } else {
                outdated.append((out.count, row[0], key))
            }
            out.append((row[1], time, input))
        }
        guard !outdated.isEmpty else { return out }
        let facts = try FactReader.facts(db, reports: outdated.map(\.key))
        let pending = try FactReader.pendingSince(
            db, hostIDs: outdated.filter { facts[$0.key]?.contains { $0.kind == .security && $0.state == .gap } ?? false }.map(\.id))
        for host in outdated {
            out[host.index].input.facts = facts[host.key] ?? []
            out[host.index].input.pendingSince = pending[host.id] ?? [:]
        }
        return out
    }
}
