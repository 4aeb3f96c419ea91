import Checks
import Foundation
import Model

/// Per entity and rule, what `territory findings` and the fixes of `territory status` need, kept in the store
/// (`entity_rule`, migration `v9-entity-rule`, issue 20) so that neither view re-reads the results of every latest
/// report (two million rows at 100,000 reports).
///
/// One row per entity and rule code with a warn/fail result in one of the entity's hosts' latest reports, or in
/// one of their previous reports (a finding resolved since):
/// - `severity`: the worst severity (0 info … 4 critical, `Severity.allCases` order) among those warn/fail results
///   of the latest reports, 0 when there is none;
/// - `hosts`: hosts whose latest report has the rule in warn/fail; `results`: distinct (host, target) in warn/fail
///   there;
/// - `new`, `persistent`, `resolved`: those (host, target) compared with the host's previous report (the one
///   ranked second by generation time, signing time, report id, as the latest is ranked first): absent there, present
///   there, or present there and gone from the latest;
/// - `deficit`: Σ `report_finding.deficit` of the latest reports (the credit the fix adds to the domain's earned sum);
/// - `scoreGain`, `exactGain`: the entity's score with the rule fixed on all its hosts minus its score, rounded
///   (`ScoreTally.summary.score`, an entity without a score counting 0) and unrounded (`ScoreTally.exactScore`),
///   the entity's tally being its `entity_domain` sums: a member's gain depends on nothing else, so the territory's
///   gain of a rule is a sum over these rows (`TerritoryViews.ruleFixes`).
///
/// The rows of an entity are recomputed whole (`refresh`) inside the ingest transaction whenever a report of one
/// of its hosts becomes that host's latest or previous report (a late, older report can become the previous one
/// without changing the latest), after `prune` for the entities that lost reports, and by the migration for every
/// entity; `territory migrate` copies them. Their sums over every entity, per rule, are kept beside them (`rule_total`,
/// moved by each entity's recomputation: its old rows out, its new rows in), so the unfiltered findings read 23 rows,
/// not one per entity and rule; and each entity's own score (`entity_score`: rounded and unrounded, from the same
/// tally), which every gain is relative to. Writers are serialized (SQLite's one writer, PostgreSQL's writer lock),
/// so a recomputation always sees every committed report of the entity.
enum RuleTotals {
    /// Migration `v9-entity-rule`: the table, its index by rule, and its rows for every entity with reports.
    static func createTable(_ db: any SQLConnection) throws {
        let integer = db.dialect == .sqlite ? "INTEGER" : "BIGINT"
        let real = db.dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        try db.execute(sql: """
            CREATE TABLE entity_rule (
                siren TEXT NOT NULL REFERENCES entity(siren),
                code TEXT NOT NULL,
                domain TEXT,
                severity \(integer) NOT NULL,
                hosts \(integer) NOT NULL, results \(integer) NOT NULL,
                new \(integer) NOT NULL, persistent \(integer) NOT NULL, resolved \(integer) NOT NULL,
                deficit \(real) NOT NULL,
                scoreGain \(integer) NOT NULL, exactGain \(real) NOT NULL,
                PRIMARY KEY (siren, code)
            )\(db.dialect == .sqlite ? " WITHOUT ROWID" : "");
            CREATE INDEX entity_rule_by_code ON entity_rule(code, siren);
            CREATE TABLE rule_total (
                code TEXT PRIMARY KEY NOT NULL,
                domain TEXT,
                entities \(integer) NOT NULL, hosts \(integer) NOT NULL, results \(integer) NOT NULL,
                new \(integer) NOT NULL, persistent \(integer) NOT NULL, resolved \(integer) NOT NULL,
                scoreGain \(integer) NOT NULL, exactGain \(real) NOT NULL,
                worstInfo \(integer) NOT NULL, worstLow \(integer) NOT NULL, worstMedium \(integer) NOT NULL,
                worstHigh \(integer) NOT NULL, worstCritical \(integer) NOT NULL
            );
            CREATE TABLE entity_score (
                siren TEXT PRIMARY KEY NOT NULL REFERENCES entity(siren),
                score \(integer), exactScore \(real)
            );
            """)
        try refreshAll(db)
    }

    /// Recomputes the rows of every entity with reports (the migration's back-fill).
    static func refreshAll(_ db: any SQLConnection) throws {
        try db.execute(sql: "DELETE FROM entity_rule")
        try db.execute(sql: "DELETE FROM entity_score")
        let sirens = try db.fetchAll(String.self, sql: "SELECT DISTINCT siren FROM host WHERE latestReportKey IS NOT NULL")
        try refresh(db, sirens: sirens)
    }

    /// Recomputes the rows of entities `sirens`; `rule_total` then summed again in one statement when they are many
    /// (moving its 23 rows once per entity made PostgreSQL keep a version of each per update in the one transaction,
    /// every update longer than the last: the 20,000-entity back-fill did not end in 11 minutes).
    static func refresh(_ db: any SQLConnection, sirens: [String]) throws {
        guard sirens.count > 50 else {
            for siren in sirens { try refresh(db, siren: siren) }
            return
        }
        for siren in sirens { try refresh(db, siren: siren, totals: false) }
        try sumRuleTotals(db)
    }

    /// `rule_total` summed from `entity_rule` (what `moveRuleTotals` keeps, computed at once).
    static func sumRuleTotals(_ db: any SQLConnection) throws {
        let worst = (0..<5).map { "SUM(CASE WHEN hosts > 0 AND severity = \($0) THEN 1 ELSE 0 END)" }
        try db.execute(sql: "DELETE FROM rule_total")
        try db.execute(sql: """
            INSERT INTO rule_total (code, domain, entities, hosts, results, new, persistent, resolved, scoreGain, exactGain,
                worstInfo, worstLow, worstMedium, worstHigh, worstCritical)
            SELECT code, MIN(domain), SUM(CASE WHEN hosts > 0 THEN 1 ELSE 0 END), SUM(hosts), SUM(results), SUM(new), SUM(persistent),
                SUM(resolved), SUM(scoreGain), SUM(exactGain), \(worst.joined(separator: ", "))
            FROM entity_rule GROUP BY code
            """)
    }

    /// Whether report `key` of host `hostID` is that host's latest or previous report (ranked first or second).
    static func isLatestOrPrevious(_ db: any SQLConnection, report key: Int64, host hostID: Int64) throws -> Bool {
        try db.fetchAll(Int64.self, sql: """
            SELECT key FROM report WHERE hostID = ? ORDER BY generatedAt DESC, signingTime DESC, id DESC LIMIT 2
            """, arguments: [hostID]).contains(key)
    }

    /// Recomputes entity `siren`'s rows from its hosts' latest and previous reports and its `entity_domain` sums, and
    /// moves them in `rule_total` (its old rows out, the new ones in) unless `totals` is false (`sumRuleTotals` follows).
    static func refresh(_ db: any SQLConnection, siren: String, totals: Bool = true) throws {
        // Each host's two newest reports, in the order that makes the latest (`Ingest.insert`).
        var latest: [Int64: Int64] = [:], previous: [Int64: Int64] = [:]
        try db.forEachRow(sql: """
            SELECT hostID, key, position FROM (
                SELECT hostID, key, ROW_NUMBER() OVER (PARTITION BY hostID ORDER BY generatedAt DESC, signingTime DESC, id DESC) AS position
                FROM report WHERE hostID IN (SELECT id FROM host WHERE siren = ?)) ranked
            WHERE position <= 2
            """, arguments: [siren]) { row in
            if (row[2] as Int) == 1 { latest[row[1] as Int64] = row[0] } else { previous[row[1] as Int64] = row[0] }
        }
        if totals { try moveRuleTotals(db, siren: siren, sign: -1) }
        try db.execute(sql: "DELETE FROM entity_rule WHERE siren = ?", arguments: [siren])
        try db.execute(sql: "DELETE FROM entity_score WHERE siren = ?", arguments: [siren])
        guard !latest.isEmpty else { return }
        struct Key: Hashable { var host: Int64; var code: String; var target: String }
        var current: [Key: Severity] = [:]
        var before = Set<Key>()
        let keys = (Array(latest.keys) + Array(previous.keys)).map(String.init).joined(separator: ",")
        try db.forEachRow(sql: """
            SELECT reportKey, code, target, severity FROM result\(db.indexedBy("result_finding"))
            WHERE reportKey IN (\(keys)) AND status IN ('warn', 'fail')
            """, arguments: []) { row in
            let report: Int64 = row[0]
            if let host = latest[report] {
                let key = Key(host: host, code: row[1], target: row[2])
                current[key] = max(current[key] ?? .info, Severity(rawValue: row[3]) ?? .info)
            } else if let host = previous[report] {
                before.insert(Key(host: host, code: row[1], target: row[2]))
            }
        }
        struct Sum {
            var severity = Severity.info
            var hosts = Set<Int64>()
            var results = 0, new = 0, persistent = 0, resolved = 0
            var deficit = 0.0
        }
        var sums: [String: Sum] = [:]
        for (key, severity) in current {
            sums[key.code, default: Sum()].severity = max(sums[key.code, default: Sum()].severity, severity)
            sums[key.code, default: Sum()].hosts.insert(key.host)
            sums[key.code, default: Sum()].results += 1
            if before.contains(key) { sums[key.code, default: Sum()].persistent += 1 } else { sums[key.code, default: Sum()].new += 1 }
        }
        // Resolved only when the latest report verified it: the rule passed on that very target. A rule absent from the
        // latest report (a partial scan), that erred or was skipped there, or whose target is no longer named (an endpoint
        // no longer discovered, a configuration no longer readable, a certificate replaced by another file) is
        // unverified, never "resolved", whatever the rule says on other targets. `LostChecks` follows the same rule.
        let gone = before.filter { current[$0] == nil }
        if !gone.isEmpty {
            let codes = Set(gone.map(\.code))
            var passed = Set<Key>()
            var arguments = SQLArguments(codes.sorted().map { $0 as any SQLValueConvertible })
            arguments.append(contentsOf: SQLArguments(latest.keys.map { $0 as any SQLValueConvertible }))
            try db.forEachRow(sql: """
                SELECT reportKey, code, target FROM result
                WHERE code IN (\(codes.map { _ in "?" }.joined(separator: ", "))) AND reportKey IN (\(latest.keys.map { _ in "?" }.joined(separator: ", ")))
                AND status = '\(Status.pass.rawValue)'
                """, arguments: arguments) { row in
                guard let host = latest[row[0] as Int64] else { return }
                passed.insert(Key(host: host, code: row[1], target: row[2]))
            }
            for key in gone where passed.contains(key) { sums[key.code, default: Sum()].resolved += 1 }
        }
        try db.forEachRow(sql: """
            SELECT code, deficit FROM report_finding WHERE reportKey IN (\(latest.keys.map(String.init).joined(separator: ",")))
            """, arguments: []) { row in
            sums[row[0] as String, default: Sum()].deficit += row[1] as Double
        }
        let tally = try entityTally(db, siren: siren)
        let score = tally.summary.score ?? 0
        let exact = tally.exactScore ?? 0
        try db.execute(
            sql: "INSERT INTO entity_score (siren, score, exactScore) VALUES (?, ?, ?)", arguments: [siren, tally.summary.score, tally.exactScore])
        var arguments = SQLArguments([SQLValue]())
        for (code, sum) in sums {
            let domain = Domain(ruleCode: code)
            var scoreGain = 0, exactGain = 0.0
            if let domain, sum.deficit > 0 {
                var fixed = tally
                fixed.earned[domain, default: 0] += sum.deficit
                scoreGain = (fixed.summary.score ?? 0) - score
                exactGain = (fixed.exactScore ?? 0) - exact
            }
            let row: SQLArguments = [
                siren, code, domain?.rawValue, Severity.allCases.firstIndex(of: sum.severity) ?? 0, sum.hosts.count, sum.results, sum.new,
                sum.persistent, sum.resolved, sum.deficit, scoreGain, exactGain,
            ]
            arguments.append(contentsOf: row)
        }
        guard !sums.isEmpty else { return }
        let placeholders = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: sums.count).joined(separator: ", ")
        try db.execute(sql: """
            INSERT INTO entity_rule (siren, code, domain, severity, hosts, results, new, persistent, resolved, deficit, scoreGain, exactGain)
            VALUES \(placeholders)
            """, arguments: arguments)
        if totals { try moveRuleTotals(db, siren: siren, sign: 1) }
    }

    /// Adds (`sign` 1) or takes out (`sign` −1) entity `siren`'s rows to the territory's per-rule totals
    /// (`rule_total`): the sums of `entity_rule` over every entity, and per worst severity the entities with the rule
    /// in warn/fail (`worstInfo` … `worstCritical`: a maximum cannot be taken out, counts can). A rule no entity has
    /// any more keeps a row of zeros (the views skip it). The gains are sums of doubles added and taken out: exact to
    /// the last bits only up to the order of additions, far below the two decimals shown.
    static func moveRuleTotals(_ db: any SQLConnection, siren: String, sign: Int) throws {
        let worst = ["worstInfo", "worstLow", "worstMedium", "worstHigh", "worstCritical"]
        let counted = ["entities", "hosts", "results", "new", "persistent", "resolved", "scoreGain", "exactGain"] + worst
        let values = [
            "? * (CASE WHEN hosts > 0 THEN 1 ELSE 0 END)", "? * hosts", "? * results", "? * new", "? * persistent", "? * resolved",
            "? * scoreGain", "? * exactGain",
        ] + (0..<5).map { "? * (CASE WHEN hosts > 0 AND severity = \($0) THEN 1 ELSE 0 END)" }
        var arguments = SQLArguments(Array(repeating: SQLValue.integer(Int64(sign)), count: values.count))
        arguments.append(siren)
        try db.execute(sql: """
            INSERT INTO rule_total (code, domain, \(counted.joined(separator: ", ")))
            SELECT code, domain, \(values.joined(separator: ", ")) FROM entity_rule WHERE siren = ?
            ON CONFLICT (code) DO UPDATE SET \(counted.map { "\($0) = rule_total.\($0) + excluded.\($0)" }.joined(separator: ", "))
            """, arguments: arguments)
    }

    /// One rule's sums over a set of entities (`sums`).
    struct RuleSum {
        var domain: Domain?
        /// Entities with the rule in warn/fail in a latest report, and per worst severity (`Severity.allCases` order).
        var entities = 0
        var worst = [0, 0, 0, 0, 0]
        var hosts = 0, results = 0, new = 0, persistent = 0, resolved = 0
        var scoreGain = 0
        var exactGain = 0.0

        /// The worst severity among the entities with the rule in warn/fail; info when none has.
        var severity: Severity { Severity.allCases[worst.lastIndex { $0 > 0 } ?? 0] }

        mutating func subtract(_ other: RuleSum) {
            entities -= other.entities
            for index in worst.indices { worst[index] -= other.worst[index] }
            hosts -= other.hosts
            results -= other.results
            new -= other.new
            persistent -= other.persistent
            resolved -= other.resolved
            scoreGain -= other.scoreGain
            exactGain -= other.exactGain
        }

        /// Whether any entity has the rule, in warn/fail or resolved since the previous report.
        var isEmpty: Bool { entities == 0 && resolved == 0 }
    }

    /// Which entities a sum is over.
    enum Scope {
        /// Every entity with reports: `rule_total` read as it is.
        case all
        /// These entities' rows summed.
        case only([String])
        /// Every entity but these: `rule_total` minus their rows.
        case allBut([String])
    }

    /// Per rule code, the sums of `entity_rule` over the entities of `scope`; rules none of them has are left out.
    static func sums(_ db: any SQLConnection, scope: Scope) throws -> [String: RuleSum] {
        switch scope {
        case .all:
            var sums: [String: RuleSum] = [:]
            try db.forEachRow(sql: """
                SELECT code, domain, entities, hosts, results, new, persistent, resolved, scoreGain, exactGain,
                    worstInfo, worstLow, worstMedium, worstHigh, worstCritical FROM rule_total
                """, arguments: []) { row in
                let sum = RuleSum(
                    domain: (row[1] as String?).flatMap(Domain.init(rawValue:)), entities: row[2], worst: [row[10], row[11], row[12], row[13], row[14]],
                    hosts: row[3], results: row[4], new: row[5], persistent: row[6], resolved: row[7], scoreGain: row[8], exactGain: row[9])
                if !sum.isEmpty { sums[row[0] as String] = sum }
            }
            return sums
        case .only(let sirens):
            var sums: [String: RuleSum] = [:]
            guard !sirens.isEmpty else { return sums }
            try db.forEachRow(sql: """
                SELECT code, domain, severity, hosts, results, new, persistent, resolved, scoreGain, exactGain
                FROM entity_rule WHERE siren IN (\(TerritoryViews.sqlList(sirens)))
                """, arguments: []) { row in
                let code: String = row[0]
                let hosts: Int = row[3]
                if sums[code] == nil { sums[code] = RuleSum(domain: (row[1] as String?).flatMap(Domain.init(rawValue:))) }
                if hosts > 0 {
                    sums[code]!.entities += 1
                    sums[code]!.worst[min(4, max(0, row[2] as Int))] += 1
                }
                sums[code]!.hosts += hosts
                sums[code]!.results += row[4] as Int
                sums[code]!.new += row[5] as Int
                sums[code]!.persistent += row[6] as Int
                sums[code]!.resolved += row[7] as Int
                sums[code]!.scoreGain += row[8] as Int
                sums[code]!.exactGain += row[9] as Double
            }
            return sums.filter { !$0.value.isEmpty }
        case .allBut(let sirens):
            var sums = try self.sums(db, scope: .all)
            for (code, outside) in try self.sums(db, scope: .only(sirens)) { sums[code]?.subtract(outside) }
            return sums.filter { !$0.value.isEmpty }
        }
    }

    /// The entity's tally as the views read it (`TerritoryViews.memberInputs`): `entity.latest*` and the
    /// `entity_domain` rows of positive weight.
    static func entityTally(_ db: any SQLConnection, siren: String) throws -> ScoreTally {
        var tally = ScoreTally()
        if let row = try db.fetchRow(sql: "SELECT latestResults, latestScored FROM entity WHERE siren = ?", arguments: [siren]) {
            tally.total = row[0]
            tally.scored = row[1]
        }
        try db.forEachRow(sql: "SELECT domain, weight, earned, unverified FROM entity_domain WHERE siren = ?", arguments: [siren]) { row in
            guard let domain = Domain(rawValue: row[0] as String) else { return }
            let weight: Double = row[1]
            guard weight > 0 else { return }
            tally.weight[domain] = weight
            tally.earned[domain] = row[2] as Double
            tally.unverified[domain] = row[3] as Double
        }
        return tally
    }
}
