import Checks
import Foundation
import Model

/// One entity with reports, as the store's sums state it (no result is re-read): its hosts' latest
/// tallies summed (`entity_domain`), failures per domain, and its hosts' cap inputs (`report_fact`).
struct EntitySums {
    var siren: String
    var name: String?
    var departement: String?
    var hosts = 0
    var staleHosts = 0
    var newest = Int.min
    var tally = ScoreTally()
    var failing: [String: Int] = [:]
    var warnings: [String: Int] = [:]
    var capInputs: [HostCapInput] = []
    /// Listed in the declared roster (or the grouping itself); true for everyone without a roster.
    var inPerimeter = true
}

/// The members' sums and the roster they are read against.
struct MemberInputs {
    var roster: Roster?
    var silentAfterDays: Int
    /// Every entity with reports, by SIREN.
    var entities: [String: EntitySums]

    /// The entities the territory is judged on.
    var members: [EntitySums] { entities.values.filter(\.inPerimeter).sorted { $0.siren < $1.siren } }
}

extension TerritoryViews {
    /// Reads every entity's sums, its hosts' cap inputs (unless `caps` is false: the score sums alone) and the roster.
    /// With `only`, that entity's alone (the entity detail judges it by the same rows as the status).
    func memberInputs(_ db: any SQLConnection, caps: Bool = true, only siren: String? = nil) throws -> MemberInputs {
        // `AND …siren IN ('…')` narrowing each query to `siren`, or nothing.
        func narrowed(_ column: String) -> String { siren.map { " AND \(column) IN (\(Self.sqlList([$0])))" } ?? "" }
        let roster = try TerritoryStore.roster(db)
        let days = roster?.silentAfterDays ?? Roster.defaultSilentAfterDays
        let perimeter = roster?.sirens
        // The entities in an array, found by SIREN once per row (20,000 entities, 100,000 domain and host rows: a
        // dictionary subscript per field hashed the SIREN half a million times).
        var sums: [EntitySums] = []
        var index: [String: Int] = [:]
        // Sums kept at ingest (entity.latest*, entity_domain): no latest report is re-read here.
        // Entities with a host: those whose hosts' reports were all withdrawn (a revoked signer) stay, judged on
        // nothing — never dropped as if they had never existed.
        try db.forEachRow(sql: """
            SELECT e.siren, e.name, e.departement, e.latestResults, e.latestScored FROM entity e
            WHERE \(TerritoryStore.hasServer)\(narrowed("e.siren"))
            """, arguments: []) { row in
            let siren: String = row[0]
            // The roster's identity wins over what a report claims (`ResolvedIdentity`).
            let member = roster?.member(siren)
            var entity = EntitySums(siren: siren, name: member?.name ?? row[1], departement: member?.departement ?? row[2])
            entity.tally.total = row[3]
            entity.tally.scored = row[4]
            entity.inPerimeter = perimeter?.contains(siren) ?? true
            index[siren] = sums.count
            sums.append(entity)
        }
        try db.forEachRow(sql: "SELECT siren, domain, weight, earned, failing, warning, unverified FROM entity_domain WHERE 1 = 1\(narrowed("siren"))", arguments: []) { row in
            guard let name: String = row[1], let domain = Domain(rawValue: name), let at = index[row[0] as String] else { return }
            let weight: Double = row[2]
            if weight > 0 {
                sums[at].tally.weight[domain] = weight
                sums[at].tally.earned[domain] = row[3] as Double
                sums[at].tally.unverified[domain] = row[6] as Double
            }
            let failing: Int = row[4], warning: Int = row[5]
            if failing > 0 { sums[at].failing[name] = failing }
            if warning > 0 { sums[at].warnings[name] = warning }
        }
        // Hosts' latest reports and their cap inputs: kept per host at ingest (`host_cap`), not read from the facts.
        let staleLimit = TerritoryJudgement.silenceLimit(now: nowSeconds, days: days)
        func add(siren: String, time: Int, input: HostCapInput?) {
            guard let at = index[siren] else { return }
            sums[at].hosts += 1
            sums[at].newest = max(sums[at].newest, time)
            if time < staleLimit { sums[at].staleHosts += 1 }
            if let input { sums[at].capInputs.append(input) }
        }
        if caps {
            for host in try HostCaps.latestInputs(db, now: nowSeconds, only: siren) { add(siren: host.siren, time: host.time, input: host.input) }
        } else {
            try db.forEachRow(sql: "SELECT siren, latestGeneratedAt FROM host WHERE latestReportKey IS NOT NULL\(narrowed("siren"))", arguments: []) { row in
                add(siren: row[0], time: row[1], input: nil)
            }
        }
        // A host left without any trusted report (every report withdrawn after its signer's revocation): still one of
        // the entity's servers, silent, and its caps unverified (no fact: no backup, support or certificate known).
        // No report time: it leaves the entity's newest report as it is and counts as stale.
        try db.forEachRow(sql: "SELECT siren, hostname FROM host WHERE latestReportKey IS NULL\(narrowed("siren"))", arguments: []) { row in
            add(siren: row[0], time: Int.min, input: caps ? HostCapInput(hostname: row[1], reportTime: 0, facts: [], pendingSince: [:]) : nil)
        }
        var entities: [String: EntitySums] = [:]
        entities.reserveCapacity(sums.count)
        for entity in sums { entities[entity.siren] = entity }
        return MemberInputs(roster: roster, silentAfterDays: days, entities: entities)
    }

    /// The status view: one row per entity, the territory judged over its members; the rows, failures,
    /// domain counts and fixes narrowed by `filter` (see `status(fixes:filter:)`).
    func judgedStatus(_ db: any SQLConnection, fixLimit: Int, filter: ViewFilter = ViewFilter()) throws -> StatusView {
        let roster = try TerritoryStore.roster(db)
        let days = roster?.silentAfterDays ?? Roster.defaultSilentAfterDays
        let perimeter = roster?.sirens
        // Each entity's row kept at ingest (`entity_judged`), judged again here only where its caps may have changed.
        let entities = try EntityJudgements.read(db, now: nowSeconds, language: language)
        let staleLimit = TerritoryJudgement.silenceLimit(now: nowSeconds, days: days)
        var rows: [StatusView.EntityRow] = []
        rows.reserveCapacity(entities.count)
        var exactScores: [String: Double?] = [:]
        exactScores.reserveCapacity(entities.count)
        var hostCount = 0
        for entity in entities {
            // The roster's identity wins over what a report claims (`ResolvedIdentity`).
            let member = roster?.member(entity.siren)
            let inPerimeter = perimeter?.contains(entity.siren) ?? true
            // Judged here (`applied`), or kept (`caps`, a row is read as kept only with them).
            let caps = entity.applied ?? (entity.caps ?? []).map { $0.applied(language) }
            let newest = entity.newest
            let stale = TerritoryJudgement.isSilent(newest: newest, now: nowSeconds, days: days)
            if inPerimeter { hostCount += entity.hosts }
            exactScores[entity.siren] = entity.exactScore
            rows.append(StatusView.EntityRow(
                siren: entity.siren, name: member?.name ?? entity.name, departement: member?.departement ?? entity.departement, hosts: entity.hosts,
                staleHosts: entity.staleHosts(before: staleLimit),
                newestReport: newest == Int.min ? nil : Self.time(newest),
                ageDays: newest == Int.min ? nil : max(0, (nowSeconds - newest) / 86_400), stale: stale,
                inPerimeter: inPerimeter, score: ScoreLine(entity, caps: caps), failing: entity.failing,
                warnings: entity.warnings))
        }
        // Members first; furthest behind first: the level shown, then the score.
        // The keys computed once per row, then the rows put in their order (the SIREN makes the order total).
        struct SortKey { var member: Int; var rank: Int; var score: Int; var name: String; var siren: String }
        let keys = rows.map { row in
            SortKey(
                member: row.inPerimeter ? 1 : 0, rank: row.score.level.flatMap(Level.init(rawValue:))?.rank ?? 5, score: row.score.score ?? -1,
                name: row.name ?? row.siren, siren: row.siren)
        }
        let order = keys.indices.sorted { a, b in
            let l = keys[a], r = keys[b]
            return (r.member, r.rank, l.score, l.name, l.siren) < (l.member, l.rank, r.score, r.name, r.siren)
        }
        rows = order.map { rows[$0] }
        let memberRows = rows.allSatisfy(\.inPerimeter) ? rows : rows.filter(\.inPerimeter)
        let judged = memberRows.map { row in
            TerritoryJudgement.Member(
                name: row.name ?? row.siren, score: row.score.score, exactScore: exactScores[row.siren] ?? nil,
                coverage: row.score.coverage, caps: row.score.caps)
        }
        let known = Set(entities.map(\.siren))
        let silent = roster.map { $0.members.filter { !known.contains($0.siren) }.map { StatusView.SilentMember(siren: $0.siren, name: $0.name, kind: $0.kind) } } ?? []
        let cap = TerritoryJudgement.cap(judged, neverReported: silent.count)
        let reportCount = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report") ?? 0
        let territory = StatusView.Territory(
            name: roster?.territory.name, siren: roster?.territory.siren, rosterDeclared: roster != nil,
            members: memberRows.count + silent.count, entities: memberRows.count, hosts: hostCount, reports: reportCount,
            staleEntities: memberRows.filter(\.stale).count, staleHosts: memberRows.reduce(0) { $0 + $1.staleHosts }, neverReported: silent.count,
            outOfPerimeter: rows.count - memberRows.count, silentAfterDays: days,
            score: TerritoryJudgement.scoreLine(judged, lines: memberRows.map(\.score), cap: cap, language: language), cap: cap,
            membersUnderCap: (memberRows.filter { row in row.score.caps.contains { Level(rawValue: $0.level) != nil } }.map(\.siren)
                + silent.map(\.siren)).sorted(),
            distribution: TerritoryJudgement.distribution(memberRows.map(\.score), neverReported: silent.count),
            domains: TerritoryJudgement.domainCounts(memberRows).filter { filter.keeps(domain: Domain(rawValue: $0.domain)) })
        // Without a filter, the rows as they are (filtering each row's failures built 40,000 dictionaries for nothing).
        let shown = filter.isEmpty ? rows : rows.filter { filter.keeps(siren: $0.siren) }.map { row in
            var row = row
            row.failing = row.failing.filter { filter.keeps(domain: Domain(rawValue: $0.key)) }
            row.warnings = row.warnings.filter { filter.keeps(domain: Domain(rawValue: $0.key)) }
            return row
        }
        return StatusView(
            now: ISO8601.string(from: now), territory: territory, entities: shown, neverReported: silent.filter { filter.keeps(siren: $0.siren) },
            fixes: fixLimit > 0 ? try ruleFixes(db, base: FixBase(rows: rows, exactScores: exactScores), limit: fixLimit, filter: filter) : [],
            filter: filter.orNil)
    }

    /// One entity's status row judged from `memberInputs`, for the entity detail: its hosts' summed tally, its hosts'
    /// caps (a host whose every report was withdrawn counted silent, its caps unverified), silent when its newest
    /// report is older than `silentAfterDays` (plus the grace day). The status view reads the same judgement kept at
    /// ingest (`EntityJudgements`, which repeats these rules); EntityJudgementsTests and EntityPageServersTests hold the
    /// two equal.
    func statusRow(_ entity: EntitySums, silentAfterDays: Int) -> StatusView.EntityRow {
        let caps = CapEvaluation.entityCaps(entity.capInputs, now: nowSeconds, language: language)
        return StatusView.EntityRow(
            siren: entity.siren, name: entity.name, departement: entity.departement, hosts: entity.hosts, staleHosts: entity.staleHosts,
            newestReport: entity.newest == Int.min ? nil : Self.time(entity.newest),
            ageDays: entity.newest == Int.min ? nil : max(0, (nowSeconds - entity.newest) / 86_400),
            stale: TerritoryJudgement.isSilent(newest: entity.newest, now: nowSeconds, days: silentAfterDays),
            inPerimeter: entity.inPerimeter, score: ScoreLine(entity.tally.summary, caps: caps), failing: entity.failing,
            warnings: entity.warnings)
    }

    /// The status row of `siren` alone (nil when it has no server), read as `judgedStatus` reads every row.
    func statusRow(_ db: any SQLConnection, siren: String) throws -> StatusView.EntityRow? {
        let inputs = try memberInputs(db, only: siren)
        return inputs.entities[siren].map { statusRow($0, silentAfterDays: inputs.silentAfterDays) }
    }

    /// Roster members without any report, in roster order. The grouping counts only when listed among the
    /// members (it need not run agents of its own).
    func neverReported(_ inputs: MemberInputs) -> [StatusView.SilentMember] {
        guard let roster = inputs.roster else { return [] }
        return roster.members.filter { inputs.entities[$0.siren] == nil }.map { .init(siren: $0.siren, name: $0.name, kind: $0.kind) }
    }

    /// What the fixes' gains are relative to: the members (by SIREN, sorted), their scores summed in that order (an
    /// entity without a score counting 0), and which entities with reports are outside the roster's perimeter.
    struct FixBase {
        var members: [String]
        var scoreSum = 0
        var exactSum = 0.0
        var outside: [String] = []

        /// From the members' sums the status reads.
        init(_ inputs: MemberInputs) {
            let members = inputs.members
            self.members = members.map(\.siren)
            let base = members.map { TerritoryJudgement.Member(name: $0.siren, score: $0.tally.summary.score, exactScore: $0.tally.exactScore, coverage: 0, caps: []) }
            scoreSum = base.reduce(0) { $0 + ($1.score ?? 0) }
            exactSum = base.reduce(0) { $0 + ($1.exactScore ?? 0) }
            outside = inputs.entities.values.filter { !$0.inPerimeter }.map(\.siren)
        }

        /// From the status's rows (sorted or not) and the entities' unrounded scores: as `init(_:)` from the same sums.
        init(rows: [StatusView.EntityRow], exactScores: [String: Double?]) {
            let members = rows.filter(\.inPerimeter).sorted { $0.siren < $1.siren }
            self.members = members.map(\.siren)
            let base = members.map {
                TerritoryJudgement.Member(name: $0.siren, score: $0.score.score, exactScore: exactScores[$0.siren] ?? nil, coverage: 0, caps: [])
            }
            scoreSum = base.reduce(0) { $0 + ($1.score ?? 0) }
            exactSum = base.reduce(0) { $0 + ($1.exactScore ?? 0) }
            outside = rows.filter { !$0.inPerimeter }.map(\.siren)
        }

        /// From the scores kept at ingest (`entity_score`, the same tally's) and the roster: 20,000 short rows at
        /// 100,000 reports instead of every entity's domain sums and hosts.
        init(_ db: any SQLConnection) throws {
            let perimeter = try TerritoryStore.roster(db)?.sirens
            var rows: [(siren: String, score: Int?, exact: Double?)] = []
            var outside: [String] = []
            try db.forEachRow(sql: "SELECT siren, score, exactScore FROM entity_score", arguments: []) { row in
                let siren: String = row[0]
                if perimeter?.contains(siren) ?? true { rows.append((siren, row[1], row[2])) } else { outside.append(siren) }
            }
            // Entities whose every report was withdrawn have no score row, yet are members judged on nothing (counting 0),
            // as `memberInputs` reads them.
            try db.forEachRow(sql: """
                SELECT e.siren FROM entity e WHERE \(TerritoryStore.hasServer) AND NOT EXISTS (SELECT 1 FROM entity_score s WHERE s.siren = e.siren)
                """, arguments: []) { row in
                let siren: String = row[0]
                if perimeter?.contains(siren) ?? true { rows.append((siren, nil, nil)) } else { outside.append(siren) }
            }
            self.outside = outside
            rows.sort { $0.siren < $1.siren }
            members = rows.map(\.siren)
            scoreSum = rows.reduce(0) { $0 + ($1.score ?? 0) }
            // As `TerritoryJudgement.Member` reads it: the unrounded score, else the rounded one, else 0.
            exactSum = rows.reduce(0) { $0 + ($1.exact ?? $1.score.map(Double.init) ?? 0) }
        }
    }

    /// Rules whose fixing everywhere would raise the territory score most: for each rule, every member's
    /// score with all its warn/fail results of the rule passing, averaged over the members. A member's change is
    /// kept per rule at ingest (`entity_rule.scoreGain`/`exactGain`, `RuleTotals`: the arithmetic of
    /// `Scoring.bestFixes` on the member's tally), so the territory's is a sum over the members' rows, kept summed over
    /// every entity (`rule_total`): no report is read. With a `filter`, only the rules of its domain, fixed at its
    /// entities only (the gain on the territory score of fixing them there).
    func ruleFixes(_ db: any SQLConnection, members inputs: MemberInputs, limit: Int, filter: ViewFilter = ViewFilter()) throws -> [RuleFix] {
        try ruleFixes(db, base: FixBase(inputs), limit: limit, filter: filter)
    }

    /// The same from `base`.
    func ruleFixes(_ db: any SQLConnection, base: FixBase, limit: Int, filter: ViewFilter = ViewFilter()) throws -> [RuleFix] {
        guard !base.members.isEmpty else { return [] }
        let count = Double(base.members.count)
        let before = Int((Double(base.scoreSum) / count).rounded())
        let exactBefore = base.exactSum / count
        // The members' sums (those of the filter's entities among them): the territory's totals, less the rows of the
        // few entities outside the roster's perimeter; or the members' rows summed, whichever reads fewer rows.
        let scope: RuleTotals.Scope
        if let entities = filter.entities {
            let outside = Set(base.outside)
            scope = .only(entities.filter { !outside.contains($0) })
        } else {
            scope = base.outside.isEmpty ? .all : base.outside.count > base.members.count ? .only(base.members) : .allBut(base.outside)
        }
        var fixes: [RuleFix] = []
        for (code, sum) in try RuleTotals.sums(db, scope: scope) where sum.entities > 0 {
            guard let domain = sum.domain, filter.keeps(domain: domain) else { continue }
            let gain = (base.exactSum + sum.exactGain) / count - exactBefore
            fixes.append(RuleFix(
                code: code, title: title(code), domain: domain.rawValue, severity: sum.severity, entities: sum.entities, hosts: sum.hosts,
                scoreBefore: before, scoreAfter: Int((Double(base.scoreSum + sum.scoreGain) / count).rounded()), gain: (gain * 100).rounded() / 100))
        }
        fixes.sort { ($0.gain, $0.severity, $1.code) > ($1.gain, $1.severity, $0.code) }
        return Array(fixes.prefix(limit))
    }

    /// SIRENs (or any texts) as an SQL list of quoted literals: `'200000008', '212900195'`; `NULL` for none (so that
    /// `IN (NULL)` keeps nothing and `NOT IN` is never written empty). Literals rather than parameters: a roster of
    /// 40,000 members would pass SQLite's 32,766 parameters.
    static func sqlList(_ values: [String]) -> String {
        values.isEmpty ? "NULL" : values.map { "'" + $0.replacingOccurrences(of: "'", with: "''") + "'" }.joined(separator: ", ")
    }
}
