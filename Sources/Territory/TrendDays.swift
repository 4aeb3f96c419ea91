import Checks
import Foundation
import Model

/// The territory trend's per-UTC-day points kept at ingest (migration `v17-trend-day`, issue 20), so that the dashboard
/// of a large territory reads one row per day instead of replaying every report (`TrendBuilder`, 60 % of the
/// dashboard's time at 100,000 reports).
///
/// Two tables:
/// - `trend_entity_day`, one row per entity and UTC day (Unix days, `TrendBuilder.day`) with reports: the entity as
///   `TrendBuilder`'s daily series judges it at its last report of that day (`lastKey`): `score` (nil counting 0),
///   `coverage` in thousandths, `capLevel` (its harshest cap's level, NULL under none), `hosts` (its hosts with a
///   report so far), `reports` (its reports that day), and the same four figures at its previous day with reports
///   (`prev…`, zero and NULL on its first day, `first` = 1). It does not depend on the roster.
/// - `trend_day`, one row per UTC day on which a member of the territory (the roster's `sirens`, every entity without a
///   roster) has reports: what that day changes in the territory's sums (`members`, `listed`: members listed in the
///   roster, `hosts`, `score`, `coverage` in thousandths, `capA` … `capE`: members under a cap of each level) and
///   `reports`, and `lastKey`, the day's last report in `TrendBuilder`'s order (generatedAt, signingTime, id, read by the
///   database as `TrendBuilder` reads it). The day's point is the running sum of the rows up to it (`points`).
///
/// The cap is kept as counts per level, never as a title: the title is written when reading, in the reader's language.
/// Refreshed in the same transaction as every change of the reports: ingest (`refresh(outcomes:results:)`), prune and
/// withdrawal (`refresh(sirens:)`) recompute the entities' rows whole (an entity has a few reports: a late report on day
/// D changes its rows from D on, and only those) and add to those days' `trend_day` rows what the changed rows change
/// (the day's other members are not read); a roster import sums every day again (`sumDays`: other members, other
/// sums); `territory migrate` copies both tables. The roster is applied when summing, not when reading: the reader
/// reads one row per day. The reader checks that the
/// days' reports add up to the members' reports in the store and otherwise falls back to `TrendBuilder`, so that a
/// writer that forgot the refresh costs time, never a wrong point.
enum TrendDays {
    /// Migration `v17-trend-day`: both tables, filled from every report.
    static func createTable(_ db: any SQLConnection) throws {
        let integer = db.dialect == .sqlite ? "INTEGER" : "BIGINT"
        try db.execute(sql: """
            CREATE TABLE trend_entity_day (
                siren TEXT NOT NULL,
                day \(integer) NOT NULL,
                reports \(integer) NOT NULL,
                lastKey \(integer) NOT NULL,
                score \(integer) NOT NULL, coverage \(integer) NOT NULL, capLevel TEXT, hosts \(integer) NOT NULL,
                prevScore \(integer) NOT NULL, prevCoverage \(integer) NOT NULL, prevCapLevel TEXT, prevHosts \(integer) NOT NULL,
                first \(integer) NOT NULL,
                PRIMARY KEY (siren, day)
            );
            CREATE INDEX trend_entity_day_by_day ON trend_entity_day(day);
            CREATE TABLE trend_day (
                day \(integer) PRIMARY KEY NOT NULL,
                reports \(integer) NOT NULL,
                members \(integer) NOT NULL, listed \(integer) NOT NULL, hosts \(integer) NOT NULL,
                score \(integer) NOT NULL, coverage \(integer) NOT NULL,
                capA \(integer) NOT NULL, capB \(integer) NOT NULL, capC \(integer) NOT NULL, capD \(integer) NOT NULL, capE \(integer) NOT NULL,
                lastKey \(integer) NOT NULL
            );
            """)
        try refreshAll(db)
    }

    /// One entity on one day.
    struct EntityDay: Equatable {
        var siren: String
        var day: Int
        var reports: Int
        var lastKey: Int64
        var score: Int
        var coverage: Int
        var capLevel: Level?
        var hosts: Int
        var prevScore = 0
        var prevCoverage = 0
        var prevCapLevel: Level?
        var prevHosts = 0
        var first = true

        static let columns = "siren, day, reports, lastKey, score, coverage, capLevel, hosts, prevScore, prevCoverage, prevCapLevel, prevHosts, first"

        init(
            siren: String, day: Int, reports: Int, lastKey: Int64, score: Int, coverage: Int, capLevel: Level?, hosts: Int
        ) {
            self.siren = siren
            self.day = day
            self.reports = reports
            self.lastKey = lastKey
            self.score = score
            self.coverage = coverage
            self.capLevel = capLevel
            self.hosts = hosts
        }

        init(_ row: SQLRow) {
            siren = row[0]
            day = row[1]
            reports = row[2]
            lastKey = row[3]
            score = row[4]
            coverage = row[5]
            capLevel = (row[6] as String?).flatMap(Level.init(rawValue:))
            hosts = row[7]
            prevScore = row[8]
            prevCoverage = row[9]
            prevCapLevel = (row[10] as String?).flatMap(Level.init(rawValue:))
            prevHosts = row[11]
            first = (row[12] as Int) != 0
        }

        var arguments: SQLArguments {
            [siren, day, reports, lastKey, score, coverage, capLevel?.rawValue, hosts, prevScore, prevCoverage, prevCapLevel?.rawValue, prevHosts, first ? 1 : 0]
        }
    }

    /// Every entity's rows and every day's (the migration's back-fill).
    static func refreshAll(_ db: any SQLConnection) throws {
        try db.execute(sql: "DELETE FROM trend_entity_day")
        try insert(db, try entityDays(db, reports: try TrendBuilder.reports(db, scope: .territory(nil))))
        try sumDays(db)
    }

    /// After ingest, in its transaction: the entities of the reports stored (`results` as `Ingest.write` returns them, in
    /// the order of `outcomes`).
    static func refresh(_ db: any SQLConnection, outcomes: [Ingest.Outcome], results: [Ingest.SingleOutcome]) throws {
        var sirens = Set<String>()
        for (outcome, result) in zip(outcomes, results) {
            guard case .stored = result, case .verified(let record, _) = outcome else { continue }
            sirens.insert(record.entity.siren)
        }
        try refresh(db, sirens: sirens.sorted())
    }

    /// Recomputes the rows of entities `sirens` from all their reports, and adds to the `trend_day` rows of the days
    /// whose rows changed what changed (the day's other members are not read: a day of 20,000 members costs the same).
    static func refresh(_ db: any SQLConnection, sirens: [String]) throws {
        guard !sirens.isEmpty else { return }
        let (members, listed) = try members(db, among: sirens)
        var deltas: [Int: DaySums] = [:]
        for chunk in stride(from: 0, to: sirens.count, by: 500).map({ Array(sirens[$0..<min($0 + 500, sirens.count)]) }) {
            let list = TerritoryViews.sqlList(chunk)
            var old: [EntityDay] = []
            try db.forEachRow(sql: "SELECT \(EntityDay.columns) FROM trend_entity_day WHERE siren IN (\(list))", arguments: []) { old.append(EntityDay($0)) }
            let new = try entityDays(db, reports: try TrendBuilder.reports(db, scope: .entities(chunk)))
            let oldByKey = Dictionary(uniqueKeysWithValues: old.map { (Key($0), $0) })
            let newByKey = Dictionary(uniqueKeysWithValues: new.map { (Key($0), $0) })
            let changed = new.filter { oldByKey[Key($0)] != $0 }
            let gone = old.filter { newByKey[Key($0)] == nil }
            guard !changed.isEmpty || !gone.isEmpty else { continue }
            try db.execute(sql: "DELETE FROM trend_entity_day WHERE siren IN (\(list))")
            try insert(db, new)
            for row in changed + gone where members?.contains(row.siren) ?? true {
                let isListed = listed.contains(row.siren)
                if let before = oldByKey[Key(row)] { deltas[row.day, default: DaySums()].add(before, listed: isListed, sign: -1) }
                if let after = newByKey[Key(row)] { deltas[row.day, default: DaySums()].add(after, listed: isListed, sign: 1) }
            }
        }
        guard !deltas.isEmpty else { return }
        try apply(db, deltas: deltas, members: members)
    }

    /// Adds `deltas` to the days' rows. The day's last report: the later of the row's and the changed entities' last
    /// reports when the row's is still stored (reports are only added then), else read again among the day's rows.
    private static func apply(_ db: any SQLConnection, deltas: [Int: DaySums], members: Set<String>?) throws {
        let days = deltas.keys.sorted()
        for chunk in stride(from: 0, to: days.count, by: 500).map({ Array(days[$0..<min($0 + 500, days.count)]) }) {
            let dayList = chunk.map(String.init).joined(separator: ",")
            var rows: [Int: DaySums] = [:]
            try db.forEachRow(sql: "SELECT \(DaySums.columns) FROM trend_day WHERE day IN (\(dayList))", arguments: []) { row in
                rows[row[0] as Int] = DaySums(row)
            }
            // Which of the rows' last reports are still stored.
            let lastKeys = rows.values.map(\.lastKey)
            let stored = Set(lastKeys.isEmpty ? [] : try db.fetchAll(
                Int64.self, sql: "SELECT key FROM report WHERE key IN (\(lastKeys.map(String.init).joined(separator: ",")))"))
            var candidates: [Int64: Int] = [:]
            var reread: [Int] = []
            var sums: [Int: DaySums] = [:]
            for day in chunk {
                var sum = rows[day] ?? DaySums()
                let delta = deltas[day]!
                sum.combine(delta)
                sums[day] = sum
                guard sum.reports > 0 else { continue }
                if let row = rows[day], !stored.contains(row.lastKey) {
                    reread.append(day)
                    continue
                }
                if let row = rows[day] { candidates[row.lastKey] = day }
                for key in delta.lastKeys { candidates[key] = day }
            }
            // The latest candidate of each day, in `TrendBuilder`'s order.
            if !candidates.isEmpty {
                try db.forEachRow(sql: """
                    SELECT key FROM report WHERE key IN (\(candidates.keys.map(String.init).joined(separator: ",")))
                    ORDER BY generatedAt, signingTime, id
                    """, arguments: []) { row in
                    let key: Int64 = row[0]
                    sums[candidates[key]!]!.lastKey = key
                }
            }
            let scope = members == nil ? "" : " AND (t.siren IN (SELECT siren FROM roster_member) OR t.siren IN (SELECT siren FROM roster))"
            for day in reread {
                try db.forEachRow(sql: """
                    SELECT t.lastKey FROM trend_entity_day t JOIN report r ON r.key = t.lastKey WHERE t.day = ?\(scope)
                    ORDER BY r.generatedAt, r.signingTime, r.id
                    """, arguments: [day]) { row in sums[day]!.lastKey = row[0] }
            }
            try db.execute(sql: "DELETE FROM trend_day WHERE day IN (\(dayList))")
            try insertDays(db, chunk.compactMap { day in sums[day].flatMap { $0.reports > 0 ? (day, $0) : nil } })
        }
    }

    private struct Key: Hashable {
        var siren: String
        var day: Int
        init(_ row: EntityDay) { (siren, day) = (row.siren, row.day) }
    }

    private static func insert(_ db: any SQLConnection, _ rows: [EntityDay]) throws {
        // 13 values a row: 2,000 rows stay under SQLite's 32,766 parameters.
        for start in stride(from: 0, to: rows.count, by: 2_000) {
            let chunk = rows[start..<min(start + 2_000, rows.count)]
            var arguments = SQLArguments([SQLValue]())
            for row in chunk { arguments.append(contentsOf: row.arguments) }
            let placeholders = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            try db.execute(sql: "INSERT INTO trend_entity_day (\(EntityDay.columns)) VALUES \(placeholders)", arguments: arguments)
        }
    }

    /// The entities' rows from `reports` (every report of those entities, oldest first, as `TrendBuilder.reports` gives
    /// them): each entity judged at its last report of each day exactly as `TrendBuilder.build(daily: true)` judges it.
    static func entityDays(_ db: any SQLConnection, reports: [TrendBuilder.ReportRow]) throws -> [EntityDay] {
        // Per report: whether it is its entity's last of its day.
        var judged = [Bool](repeating: true, count: reports.count)
        var seen = Set<String>()
        var currentDay: Int?
        for index in reports.indices.reversed() {
            let reportDay = TrendBuilder.day(reports[index].generatedAt)
            if reportDay != currentDay {
                seen.removeAll(keepingCapacity: true)
                currentDay = reportDay
            }
            judged[index] = seen.insert(reports[index].siren).inserted
        }
        let facts = try FactReader.facts(db, reports: reports.map(\.key), evaluatedUpTo: reports.map(\.generatedAt).max())
        var replay = HostReplay()
        var dayReports: [String: Int] = [:]
        var previous: [String: EntityDay] = [:]
        var rows: [EntityDay] = []
        for (index, report) in reports.enumerated() {
            replay.add(report, facts: facts[report.key] ?? [])
            dayReports[report.siren, default: 0] += 1
            guard judged[index] else { continue }

            let (hosts, tally, caps) = replay.entity(report.siren, at: report.generatedAt, language: .en)
            let line = ScoreLine(tally.summary, caps: caps)
            let member = TerritoryJudgement.Member(name: report.siren, score: line.score, coverage: line.coverage, caps: caps)
            var row = EntityDay(
                siren: report.siren, day: TrendBuilder.day(report.generatedAt), reports: dayReports[report.siren]!, lastKey: report.key,
                score: line.score ?? 0, coverage: TrendBuilder.milli(line.coverage), capLevel: member.capLevel, hosts: hosts.count)
            if let before = previous[report.siren] {
                row.prevScore = before.score
                row.prevCoverage = before.coverage
                row.prevCapLevel = before.capLevel
                row.prevHosts = before.hosts
                row.first = false
            }
            dayReports[report.siren] = 0
            previous[report.siren] = row
            rows.append(row)
        }
        return rows
    }

    /// The territory's members as `TrendBuilder.Scope.territory` reads them: the roster's `sirens` (its members and the
    /// grouping itself; nil without a roster: every entity), and those listed as members (`listed`, for the members that
    /// never reported). With `among`, only those of these SIRENs (and the grouping): a batch does not read 20,000 members.
    private static func members(_ db: any SQLConnection, among sirens: [String]? = nil) throws -> (sirens: Set<String>?, listed: Set<String>) {
        guard let territory = try db.fetchOne(String.self, sql: "SELECT siren FROM roster WHERE id = 1") else { return (nil, []) }
        let filter = sirens.map { " WHERE siren IN (\(TerritoryViews.sqlList($0)))" } ?? ""
        let listed = Set(try db.fetchAll(String.self, sql: "SELECT siren FROM roster_member\(filter)"))
        return (listed.union([territory]), listed)
    }

    /// Sums every day again from the members' `trend_entity_day` rows (the back-fill; a roster import: other members).
    static func sumDays(_ db: any SQLConnection) throws {
        let (sirens, listed) = try members(db)
        var sums: [Int: DaySums] = [:]
        var order: [Int] = []
        // The rows of a day in `TrendBuilder`'s order of their last reports: the day's last member row is its last report.
        try db.forEachRow(sql: """
            SELECT \(EntityDay.columns.split(separator: ",").map { "t." + $0.trimmingCharacters(in: .whitespaces) }.joined(separator: ", "))
            FROM trend_entity_day t JOIN report r ON r.key = t.lastKey
            ORDER BY t.day, r.generatedAt, r.signingTime, r.id
            """, arguments: []) { row in
            let entity = EntityDay(row)
            guard sirens?.contains(entity.siren) ?? true else { return }
            if sums[entity.day] == nil {
                sums[entity.day] = DaySums()
                order.append(entity.day)
            }
            sums[entity.day]!.add(entity, listed: listed.contains(entity.siren), sign: 1)
            sums[entity.day]!.lastKey = entity.lastKey
        }
        try db.execute(sql: "DELETE FROM trend_day")
        try insertDays(db, order.map { ($0, sums[$0]!) })
    }

    private static func insertDays(_ db: any SQLConnection, _ rows: [(day: Int, sums: DaySums)]) throws {
        // 13 values a row.
        for start in stride(from: 0, to: rows.count, by: 2_000) {
            let part = rows[start..<min(start + 2_000, rows.count)]
            var arguments = SQLArguments([SQLValue]())
            for (day, sum) in part {
                let values: SQLArguments = [
                    day, sum.reports, sum.members, sum.listed, sum.hosts, sum.score, sum.coverage,
                    sum.caps[.a] ?? 0, sum.caps[.b] ?? 0, sum.caps[.c] ?? 0, sum.caps[.d] ?? 0, sum.caps[.e] ?? 0, sum.lastKey,
                ]
                arguments.append(contentsOf: values)
            }
            let placeholders = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: part.count).joined(separator: ", ")
            try db.execute(sql: "INSERT INTO trend_day (\(DaySums.columns)) VALUES \(placeholders)", arguments: arguments)
        }
    }

    /// What one day changes in the territory's sums (a `trend_day` row), or a change of it.
    struct DaySums {
        var reports = 0
        var members = 0
        var listed = 0
        var hosts = 0
        var score = 0
        var coverage = 0
        var caps: [Level: Int] = [:]
        var lastKey: Int64 = 0
        /// In a change: the last reports of the day of the entities' rows added.
        var lastKeys: [Int64] = []

        static let columns = "day, reports, members, listed, hosts, score, coverage, capA, capB, capC, capD, capE, lastKey"
        static let levels: [Level] = [.a, .b, .c, .d, .e]

        init() {}

        /// From the columns of `columns` (the day first).
        init(_ row: SQLRow) {
            reports = row[1]
            members = row[2]
            listed = row[3]
            hosts = row[4]
            score = row[5]
            coverage = row[6]
            for (offset, level) in Self.levels.enumerated() { caps[level] = row[7 + offset] as Int }
            lastKey = row[12]
        }

        /// Adds (`sign` 1) or takes away (-1) what `entity`'s row changes on its day.
        mutating func add(_ entity: EntityDay, listed isListed: Bool, sign: Int) {
            reports += sign * entity.reports
            if entity.first {
                members += sign
                if isListed { listed += sign }
            }
            hosts += sign * (entity.hosts - entity.prevHosts)
            score += sign * (entity.score - entity.prevScore)
            coverage += sign * (entity.coverage - entity.prevCoverage)
            if let level = entity.prevCapLevel { caps[level, default: 0] -= sign }
            if let level = entity.capLevel { caps[level, default: 0] += sign }
            if sign > 0 { lastKeys.append(entity.lastKey) }
        }

        mutating func combine(_ other: DaySums) {
            reports += other.reports
            members += other.members
            listed += other.listed
            hosts += other.hosts
            score += other.score
            coverage += other.coverage
            for (level, count) in other.caps { caps[level, default: 0] += count }
        }
    }

    /// The territory's daily points (`TrendBuilder.points(scope: .territory(roster), dailyBeyond:)` when daily) and the
    /// number of the members' reports they sample; nil when the kept days do not add up to the members' reports in the
    /// store (a writer that did not refresh them): the caller then replays the reports.
    static func points(_ db: any SQLConnection, language: Language) throws -> (points: [TrendPoint], reports: Int)? {
        let hasRoster = (try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM roster") ?? 0) > 0
        let listedCount = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM roster_member") ?? 0
        var points: [TrendPoint] = []
        var reports = 0
        var members = 0, listed = 0, hosts = 0, score = 0, coverage = 0
        var caps: [Level: Int] = [:]
        let levels = DaySums.levels
        try db.forEachRow(sql: """
            SELECT d.reports, d.members, d.listed, d.hosts, d.score, d.coverage, d.capA, d.capB, d.capC, d.capD, d.capE,
                r.generatedAt, h.hostname, r.siren
            FROM trend_day d JOIN report r ON r.key = d.lastKey JOIN host h ON h.id = r.hostID
            ORDER BY d.day
            """, arguments: []) { row in
            reports += row[0] as Int
            members += row[1] as Int
            listed += row[2] as Int
            hosts += row[3] as Int
            score += row[4] as Int
            coverage += row[5] as Int
            for (offset, level) in levels.enumerated() { caps[level, default: 0] += row[6 + offset] as Int }
            guard members > 0 else { return }
            let pointScore = Int((Double(score) / Double(members)).rounded())
            let scoreLevel = Scoring.level(forScore: pointScore)
            let neverReported = listedCount - listed
            let cap = TerritoryJudgement.cap(capLevels: caps, members: members, neverReported: neverReported)
            let level = cap.flatMap { Level(rawValue: $0.level) }.map { Level.worst(scoreLevel, $0) } ?? scoreLevel
            let at: Int = row[11]
            points.append(TrendPoint(
                at: ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(at))), score: pointScore, level: level.rawValue,
                scoreLevel: scoreLevel.rawValue, coverage: TrendBuilder.coverage(milli: coverage, judged: members + neverReported), hosts: hosts,
                host: row[12], siren: row[13],
                caps: cap.map { [TerritoryJudgement.capLine($0, members: [], language: language).title] } ?? []))
        }
        // The members' reports in the store.
        let scope = !hasRoster ? "" : " WHERE siren IN (SELECT siren FROM roster_member) OR siren IN (SELECT siren FROM roster)"
        let stored = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report\(scope)") ?? 0
        return stored == reports ? (points, reports) : nil
    }
}
