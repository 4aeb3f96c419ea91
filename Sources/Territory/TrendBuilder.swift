import Checks
import Foundation
import Model

/// Score history, one point per report (two reports the same day make two points): after each report,
/// each host counts with its latest report up to then, each entity is scored and capped as the status
/// view does it (caps evaluated at that report's time), and a territory is the mean of its members.
enum TrendBuilder {
    enum Scope {
        /// The members of the territory (every entity without a roster).
        case territory(Roster?)
        /// One entity's hosts.
        case entity(String)
        /// Some hosts (of one entity).
        case hosts([Int64])
        /// Some entities, judged as a territory of their own (a filtered trend): their mean after each report.
        case entities([String])
    }

    struct ReportRow {
        var key: Int64
        var hostID: Int64
        var siren: String
        var hostname: String
        var generatedAt: Int
        var tally: ScoreTally
    }

    /// Every report in scope, oldest first, with its tally.
    static func reports(_ db: any SQLConnection, scope: Scope) throws -> [ReportRow] {
        var filter = ""
        var arguments: [any SQLValueConvertible] = []
        switch scope {
        case .territory(let roster?):
            let sirens = roster.sirens.sorted()
            filter = " WHERE r.siren IN (\(sirens.map { _ in "?" }.joined(separator: ",")))"
            arguments = sirens
        case .territory(nil): break
        case .entity(let siren):
            filter = " WHERE r.siren = ?"
            arguments = [siren]
        case .hosts(let ids):
            filter = " WHERE r.hostID IN (\(ids.map(String.init).joined(separator: ",")))"
        case .entities(let sirens):
            filter = " WHERE r.siren IN (\(sirens.map { _ in "?" }.joined(separator: ",")))"
            arguments = sirens
        }
        var byKey: [Int64: ReportRow] = [:]
        var order: [Int64] = []
        try db.forEachRow(sql: """
            SELECT r.key, r.hostID, r.siren, h.hostname, r.generatedAt, r.resultCount, r.scoredCount, d.domain, d.weight, d.earned, d.unverified
            FROM report r JOIN host h ON h.id = r.hostID LEFT JOIN report_domain d ON d.reportKey = r.key\(filter)
            ORDER BY r.generatedAt, r.signingTime, r.id
            """, arguments: SQLArguments(arguments)) { row in
            let key: Int64 = row[0]
            if byKey[key] == nil {
                var tally = ScoreTally()
                tally.total = row[5]
                tally.scored = row[6]
                byKey[key] = ReportRow(key: key, hostID: row[1], siren: row[2], hostname: row[3], generatedAt: row[4], tally: tally)
                order.append(key)
            }
            if let name: String = row[7], let domain = Domain(rawValue: name), (row[8] as Double) > 0 {
                byKey[key]!.tally.weight[domain, default: 0] += row[8] as Double
                byKey[key]!.tally.earned[domain, default: 0] += row[9] as Double
                byKey[key]!.tally.unverified[domain, default: 0] += row[10] as Double
            }
        }
        return order.map { byKey[$0]! }
    }

    /// The points of `scope`, oldest first.
    static func points(_ db: any SQLConnection, scope: Scope, language: Language) throws -> [TrendPoint] {
        try build(db, scope: scope, language: language, members: false).points
    }

    /// The points of `scope`, oldest first, one per report when there are at most `limit` reports, else one per UTC
    /// day (`daily` true): the point of the day's last report, exactly as the per-report series gives it.
    static func points(_ db: any SQLConnection, scope: Scope, language: Language, dailyBeyond limit: Int) throws
        -> (points: [TrendPoint], reports: Int, daily: Bool)
    {
        let reports = try reports(db, scope: scope)
        let daily = reports.count > limit
        return (try build(db, reports: reports, scope: scope, language: language, members: false, daily: daily).points, reports.count, daily)
    }

    /// The points of `scope` and, with `members`, each entity's own points (one per report of its hosts),
    /// all from one pass over the reports.
    static func build(_ db: any SQLConnection, scope: Scope, language: Language, members collect: Bool) throws
        -> (points: [TrendPoint], members: [String: [TrendPoint]])
    {
        try build(db, reports: try reports(db, scope: scope), scope: scope, language: language, members: collect, daily: false)
    }

    /// A coverage (a fraction rounded to thousandths, `ScoreTally.summary`) in thousandths.
    static func milli(_ coverage: Double) -> Int { Int((coverage * 1000).rounded()) }

    /// The territory's coverage as `TerritoryJudgement.scoreLine` gives it: the members' coverages (summed in
    /// thousandths) over the members judged, those that never reported counting 0; rounded to thousandths.
    static func coverage(milli sum: Int, judged: Int) -> Double {
        judged == 0 ? 0 : (Double(sum) / Double(judged)).rounded() / 1000
    }

    /// The UTC day of a Unix time.
    static func day(_ seconds: Int) -> Int { seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400 }

    /// With `daily`, one point per UTC day (`reports` oldest first): an entity is judged only at its last report of a day
    /// (its state at the day's end: later reports of other entities do not change it, and its caps are evaluated at that
    /// report's time as in the per-report series) and a point is made at the day's last report only, so each point equals
    /// the per-report series' point of that report. Entity points (`members`) are not collected then.
    static func build(
        _ db: any SQLConnection, reports: [ReportRow], scope: Scope, language: Language, members collect: Bool, daily: Bool
    ) throws -> (points: [TrendPoint], members: [String: [TrendPoint]]) {
        // Per report (daily): whether a later report of its entity falls the same day, and whether it is the day's last.
        var judged = [Bool](repeating: true, count: daily ? reports.count : 0)
        var pointed = [Bool](repeating: true, count: daily ? reports.count : 0)
        if daily {
            var seen = Set<String>()
            var currentDay: Int?
            for index in reports.indices.reversed() {
                let reportDay = day(reports[index].generatedAt)
                if reportDay != currentDay {
                    seen.removeAll(keepingCapacity: true)
                    currentDay = reportDay
                } else {
                    pointed[index] = false
                }
                judged[index] = seen.insert(reports[index].siren).inserted
            }
        }
        // Caps are evaluated at report times only: no later than the newest report in scope.
        let facts = try FactReader.facts(db, reports: reports.map(\.key), evaluatedUpTo: reports.map(\.generatedAt).max())
        var listed: Set<String> = []
        var territory = false
        if case .territory(let roster) = scope {
            territory = true
            listed = Set(roster?.members.map(\.siren) ?? [])
        }
        if case .entities(let sirens) = scope {
            // Judged as a territory of its own: the named entities that never reported count as such.
            territory = true
            listed = Set(sirens)
        }

        struct MemberState { var score: Int?; var coverage: Double; var capLevel: Level? }
        var replay = HostReplay()
        var members: [String: MemberState] = [:]
        // Members of `listed` among `members`: `listed` less them never reported (so far).
        var listedReported = 0
        var sumScore = 0
        // In thousandths (each member's coverage is rounded to them): an integer sum is the same whatever the order of
        // additions and removals, as the points kept at ingest (`TrendDays`) sum them.
        var sumCoverage = 0
        var capCounts: [Level: Int] = [:]
        var points: [TrendPoint] = []
        points.reserveCapacity(reports.count)
        var entityPoints: [String: [TrendPoint]] = [:]

        for (index, report) in reports.enumerated() {
            replay.add(report, facts: facts[report.key] ?? [])
            if daily && !judged[index] { continue }

            // The entity as the status view would show it at this report's time.
            let (hosts, tally, caps) = replay.entity(report.siren, at: report.generatedAt, language: language)
            let line = ScoreLine(tally.summary, caps: caps)
            if let old = members[report.siren] {
                sumScore -= old.score ?? 0
                sumCoverage -= Self.milli(old.coverage)
                if let level = old.capLevel { capCounts[level, default: 0] -= 1 }
            }
            if collect && !daily {
                entityPoints[report.siren, default: []].append(TrendPoint(
                    at: ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(report.generatedAt))), score: line.score, level: line.level,
                    scoreLevel: line.scoreLevel, coverage: line.coverage, hosts: hosts.count, host: report.hostname, siren: report.siren,
                    caps: caps.map(\.title)))
            }
            let member = TerritoryJudgement.Member(name: report.siren, score: line.score, coverage: line.coverage, caps: caps)
            if members[report.siren] == nil && listed.contains(report.siren) { listedReported += 1 }
            members[report.siren] = MemberState(score: line.score, coverage: line.coverage, capLevel: member.capLevel)
            sumScore += line.score ?? 0
            sumCoverage += Self.milli(line.coverage)
            if let level = member.capLevel { capCounts[level, default: 0] += 1 }

            if daily && !pointed[index] { continue }
            let count = members.count
            let score = Int((Double(sumScore) / Double(count)).rounded())
            let scoreLevel = Scoring.level(forScore: score)
            let neverReported = listed.count - listedReported
            let cap = TerritoryJudgement.cap(capLevels: capCounts, members: count, neverReported: neverReported)
            let level = cap.flatMap { Level(rawValue: $0.level) }.map { Level.worst(scoreLevel, $0) } ?? scoreLevel
            let titles: [String]
            if territory {
                titles = cap.map { [TerritoryJudgement.capLine($0, members: [], language: language).title] } ?? []
            } else {
                titles = caps.map(\.title)
            }
            // A scope of one entity whose reports verified nothing has no score (the status view says "non évalué").
            let single = !territory && line.score == nil
            points.append(TrendPoint(
                at: ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(report.generatedAt))),
                score: single ? nil : score, level: single ? nil : level.rawValue, scoreLevel: single ? nil : scoreLevel.rawValue,
                coverage: Self.coverage(milli: sumCoverage, judged: count + neverReported), hosts: replay.tally.count, host: report.hostname,
                siren: report.siren, caps: titles))
        }
        return (points, entityPoints)
    }
}

/// Each host's state after the reports replayed so far (oldest first): its latest tally, its cap input (the facts and
/// the security history's pending times), and each entity's hosts. The one replay behind the per-report trend
/// (`TrendBuilder.build`) and the days kept at ingest (`TrendDays`), so that the two cannot judge differently.
struct HostReplay {
    /// Host id → the tally of its latest report replayed.
    private(set) var tally: [Int64: ScoreTally] = [:]
    private var input: [Int64: HostCapInput] = [:]
    private var histories: [Int64: SecurityHistory] = [:]
    private var entityHosts: [String: Set<Int64>] = [:]

    /// `report` becomes its host's latest, with `facts` (its facts as `FactReader.facts` reads them).
    mutating func add(_ report: TrendBuilder.ReportRow, facts: [CapFact]) {
        histories[report.hostID, default: SecurityHistory()].add(reportTime: report.generatedAt, facts: facts)
        tally[report.hostID] = report.tally
        input[report.hostID] = HostCapInput(
            hostname: report.hostname, reportTime: report.generatedAt, facts: facts, pendingSince: histories[report.hostID]!.pendingSince)
        entityHosts[report.siren, default: []].insert(report.hostID)
    }

    /// The entity `siren` as the status view would judge it at `time` (Unix seconds): its hosts replayed so far, their
    /// tallies summed and their caps (`CapEvaluation.entityCaps`) evaluated at `time`, titles in `language`.
    func entity(_ siren: String, at time: Int, language: Language) -> (hosts: Set<Int64>, tally: ScoreTally, caps: [AppliedCap]) {
        let hosts = entityHosts[siren] ?? []
        var sum = ScoreTally()
        for host in hosts { sum.merge(tally[host]!) }
        return (hosts, sum, CapEvaluation.entityCaps(hosts.compactMap { input[$0] }, now: time, language: language))
    }
}
