import Checks
import Foundation
import Model

/// The cap on a territory's level from its members under a cap (docs/territory.md, "The territory's
/// level"): at most C as soon as one member is under a cap (or never reported), at most D from a
/// quarter of the members, at most E from half of them — never stricter than the harshest cap among
/// those members.
public struct TerritoryCap: Codable, Sendable, Equatable {
    /// The level the territory cannot exceed.
    public var level: String
    /// Members under a cap, members that never reported included.
    public var capped: Int
    /// Members judged: those with reports plus those that never reported.
    public var members: Int
    /// Of `capped`, the members that never reported (each counts as a cap at C: nothing is known of them).
    public var neverReported: Int
    /// The harshest level among the members' caps.
    public var harshest: String
}

/// Per domain, the members of the territory counted (never a pooled percentage).
public struct DomainCount: Codable, Sendable, Equatable {
    public var domain: String
    /// Members with results in this domain.
    public var members: Int
    /// Members with at least one fail result in this domain.
    public var failing: Int
    /// Members whose every result of this domain erred.
    public var notEvaluated: Int
    /// Members under each cap of this domain.
    public var gaps: [Gap]

    public struct Gap: Codable, Sendable, Equatable {
        public var rule: String
        public var state: String
        public var title: String
        /// The members concerned, by name (SIREN when unnamed), sorted.
        public var members: [String]
    }
}

extension CapRule {
    /// The domain a cap belongs to in the territory's per-domain counts.
    public var domain: Domain {
        switch self {
        case .backupNone, .backupSameStorage: .backups
        case .certificateExpired: .certificates
        case .osEndOfLife, .securityUpdateLate: .patches
        }
    }
}

/// How a territory is judged from its members: each member weighs one (docs/territory.md).
public enum TerritoryJudgement {
    /// One member's figures as the territory reads them.
    public struct Member: Sendable, Equatable {
        public var name: String
        /// The member's score (the one formula over its hosts' latest results); nil when its reports
        /// verified nothing: it then counts 0.
        public var score: Int?
        /// Unrounded, for ranking fixes.
        public var exactScore: Double?
        public var coverage: Double
        public var caps: [AppliedCap]

        public init(name: String, score: Int?, exactScore: Double? = nil, coverage: Double, caps: [AppliedCap]) {
            self.name = name
            self.score = score
            self.exactScore = exactScore ?? score.map(Double.init)
            self.coverage = coverage
            self.caps = caps
        }

        /// The harshest level among the member's caps; nil when none applies.
        public var capLevel: Level? {
            var harshest: Level?
            for cap in caps {
                guard let level = Level(rawValue: cap.level) else { continue }
                if harshest.map({ level.rank > $0.rank }) ?? true { harshest = level }
            }
            return harshest
        }
    }

    /// Shares of members under a cap and the level they cap the territory at, strictest first.
    public static let tiers: [(share: Double, level: Level)] = [(0.5, .e), (0.25, .d), (0, .c)]

    /// The mean of the members' scores, rounded (a member whose reports verified nothing counts 0); nil
    /// when no member has reports.
    public static func score(_ members: [Member]) -> Int? {
        guard !members.isEmpty else { return nil }
        return Int((Double(members.reduce(0) { $0 + ($1.score ?? 0) }) / Double(members.count)).rounded())
    }

    /// The same mean over the unrounded member scores.
    public static func exactScore(_ members: [Member]) -> Double? {
        guard !members.isEmpty else { return nil }
        return members.reduce(0) { $0 + ($1.exactScore ?? 0) } / Double(members.count)
    }

    /// The cap on the territory from its members under a cap and its members that never reported; nil when
    /// there is neither.
    public static func cap(_ members: [Member], neverReported: Int) -> TerritoryCap? {
        var counts: [Level: Int] = [:]
        for level in members.compactMap(\.capLevel) { counts[level, default: 0] += 1 }
        return cap(capLevels: counts, members: members.count, neverReported: neverReported)
    }

    /// The same from counts: members under a cap by their harshest cap level, members with reports.
    static func cap(capLevels: [Level: Int], members: Int, neverReported: Int) -> TerritoryCap? {
        let judged = members + neverReported
        let capped = capLevels.values.reduce(0, +) + neverReported
        guard capped > 0, judged > 0 else { return nil }
        let share = Double(capped) / Double(judged)
        let tier = tiers.first { share >= $0.share }!.level
        var harshest = capLevels.filter { $0.value > 0 }.keys.reduce(Level.a, Level.worst)
        if neverReported > 0 { harshest = Level.worst(harshest, CapRule.unverifiedLevel) }
        return TerritoryCap(
            level: Level.best(tier, harshest).rawValue, capped: capped, members: judged, neverReported: neverReported, harshest: harshest.rawValue)
    }

    /// The territory's score line: the members' mean score, its level capped by `cap`, the members' mean
    /// coverage, and per domain the mean of the members' domain scores.
    static func scoreLine(_ members: [Member], lines: [ScoreLine], cap: TerritoryCap?, language: Language) -> ScoreLine {
        let score = score(members)
        var line = ScoreLine(ScoreSummary(score: nil, level: nil, coverage: 0, domains: [:]))
        line.score = score
        line.scoreLevel = score.map { Scoring.level(forScore: $0).rawValue }
        line.level = line.scoreLevel
        if let cap, let scoreLevel = line.scoreLevel.flatMap(Level.init(rawValue:)), let capLevel = Level(rawValue: cap.level) {
            line.level = Level.worst(scoreLevel, capLevel).rawValue
            line.caps = [capLine(cap, members: members, language: language)]
        }
        // Members that never reported verified nothing: they count 0, so a territory where one member in three
        // reported never reads "100 % covered" (`TerritoryJudgement.cap` carries them whenever there are any).
        let judged = members.count + (cap?.neverReported ?? 0)
        line.coverage = judged == 0 ? 0 : ((members.reduce(0) { $0 + $1.coverage } / Double(judged)) * 1000).rounded() / 1000
        // Per domain, in one pass over the lines (a filtered copy of 20,000 lines per domain was a twentieth of the status):
        // the lines that scored it or left it not evaluated, those that left it so, and the sum of their scores.
        let domains = Domain.allCases.map(\.rawValue)
        var scored = [Int](repeating: 0, count: domains.count), unevaluated = scored, sums = scored
        for entry in lines {
            for (index, domain) in domains.enumerated() {
                let value = entry.domains[domain]
                let notEvaluated = entry.notEvaluated.contains(domain)
                guard value != nil || notEvaluated else { continue }
                scored[index] += 1
                if notEvaluated { unevaluated[index] += 1 }
                sums[index] += value ?? 0
            }
        }
        for (index, domain) in domains.enumerated() where scored[index] > 0 {
            if unevaluated[index] == scored[index] {
                line.notEvaluated.append(domain)
                continue
            }
            line.domains[domain] = Int((Double(sums[index]) / Double(scored[index])).rounded())
        }
        return line
    }

    /// The territory cap said as a cap line: how many members are under a cap, and which.
    static func capLine(_ cap: TerritoryCap, members: [Member], language: Language) -> AppliedCap {
        let fr = language == .fr
        // The count of all, the first ten by name: kept as they come (sorting 10,000 names to print ten was a twentieth
        // of the status at 20,000 members).
        var count = 0
        var first: [String] = []
        for member in members where member.capLevel != nil {
            count += 1
            if first.count == 10, let last = first.last, member.name >= last { continue }
            first.insert(member.name, at: first.firstIndex { member.name < $0 } ?? first.count)
            if first.count > 10 { first.removeLast() }
        }
        var title = fr ? "\(cap.capped) membre(s) sur \(cap.members) sous un plafond" : "\(cap.capped) of \(cap.members) member(s) under a cap"
        if cap.neverReported > 0 {
            title += fr ? " (dont \(cap.neverReported) sans aucun rapport)" : " (\(cap.neverReported) never reported)"
        }
        // The first ten by name; every member's own caps are on its row.
        let listed = first.joined(separator: ", ")
            + (count > 10 ? (fr ? " et \(count - 10) autres" : " and \(count - 10) more") : "")
        return AppliedCap(
            rule: "territory.members", state: CapState.gap.rawValue, level: cap.level, title: title, hosts: [],
            detail: count == 0 ? nil : listed, sources: ["SSLLABS-CAPS"])
    }

    /// Members per level shown, plus `non-evalue` and `sans-rapport`.
    static func distribution(_ lines: [ScoreLine], neverReported: Int) -> [String: Int] {
        var out = Dictionary(uniqueKeysWithValues: Level.allCases.map { ($0.rawValue, 0) })
        out["non-evalue"] = 0
        out["sans-rapport"] = neverReported
        for line in lines {
            if let level = line.level { out[level, default: 0] += 1 } else { out["non-evalue", default: 0] += 1 }
        }
        return out
    }

    /// Per domain: members with results, with a failure, not evaluated, and under each cap of the domain.
    static func domainCounts(_ rows: [StatusView.EntityRow]) -> [DomainCount] {
        // Counted in one pass over the rows for every domain (no filtered copies of the rows, no pass per domain: at
        // 20,000 entities each pass copied every row).
        let domains = Domain.allCases
        struct Tally { var members = 0, failing = 0, notEvaluated = 0; var gaps: [String: DomainCount.Gap] = [:] }
        var tallies = [Tally](repeating: Tally(), count: domains.count)
        let rules = CapRule.allCases
        let ruleDomains = rules.map { domains.firstIndex(of: $0.domain) }
        var byRule = [[DomainCount.Gap?]](repeating: [nil, nil], count: rules.count)
        for row in rows {
            let score = row.score
            for (index, domain) in domains.enumerated() {
                let name = domain.rawValue
                let unevaluated = score.notEvaluated.contains(name)
                if unevaluated || score.domains[name] != nil { tallies[index].members += 1 }
                if unevaluated { tallies[index].notEvaluated += 1 }
                if let count = row.failing[name], count > 0 { tallies[index].failing += 1 }
            }
            for cap in score.caps {
                guard let rule = CapRule(rawValue: cap.rule), let ruleIndex = rules.firstIndex(of: rule), let index = ruleDomains[ruleIndex] else { continue }
                // The two states caps have, in an array (a key text built and hashed per cap was a tenth of the counts).
                let state = cap.state == CapState.gap.rawValue ? 0 : cap.state == CapState.unverified.rawValue ? 1 : -1
                if state >= 0 {
                    if byRule[ruleIndex][state] == nil {
                        byRule[ruleIndex][state] = DomainCount.Gap(rule: cap.rule, state: cap.state, title: cap.title, members: [])
                    }
                    byRule[ruleIndex][state]!.members.append(row.name ?? row.siren)
                    continue
                }
                let key = cap.rule + "/" + cap.state
                tallies[index].gaps[key, default: DomainCount.Gap(rule: cap.rule, state: cap.state, title: cap.title, members: [])].members
                    .append(row.name ?? row.siren)
            }
        }
        for (ruleIndex, states) in byRule.enumerated() {
            guard let index = ruleDomains[ruleIndex] else { continue }
            for case let gap? in states { tallies[index].gaps[gap.rule + "/" + gap.state] = gap }
        }
        let table = CapRule.allCases.map(\.rawValue)
        return domains.enumerated().map { index, domain in
            let tally = tallies[index]
            return DomainCount(
                domain: domain.rawValue,
                members: tally.members, failing: tally.failing, notEvaluated: tally.notEvaluated,
                gaps: tally.gaps.values.map { gap in
                    var sorted = gap
                    sorted.members.sort()
                    return sorted
                }.sorted { (table.firstIndex(of: $0.rule) ?? 0, $0.state) < (table.firstIndex(of: $1.rule) ?? 0, $1.state) })
        }
    }

    /// Whether a member whose newest report was generated at `newest` is silent at `now` (Unix seconds):
    /// older than `days` plus `Roster.graceDays`.
    public static func isSilent(newest: Int, now: Int, days: Int) -> Bool {
        newest < silenceLimit(now: now, days: days)
    }

    /// Unix seconds: a report generated before this instant is silent at `now` (`days` of `silent_after_days` plus
    /// `Roster.graceDays`), for an entity's newest report as for one host's latest.
    public static func silenceLimit(now: Int, days: Int) -> Int {
        now - (days + Roster.graceDays) * 86_400
    }
}
