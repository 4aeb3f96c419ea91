import Checks
import Foundation
import Model

/// Per entity, its status row judged at ingest (`entity_judged`, migration `v18-entity-judged`, issue 20), so that
/// `territory status` reads one row per entity instead of its domain sums and every host's cap inputs, and evaluates
/// no cap for an entity whose judgement still holds at the view's `now`.
///
/// One row per entity with a host (`siren`):
/// - `judgedAt`: Unix seconds, the instant the caps were evaluated at;
/// - `validFrom`, `validUntil`: Unix seconds, the caps are those of any `now` with `validFrom <= now < validUntil`
///   (NULL: unbounded). The caps read `now` only through `at <= now` on the dates of the hosts' cap inputs (a
///   certificate's end, the end of security support: `CapEvaluation.caps`), so between two consecutive such dates
///   they cannot change; `validFrom` is the latest of those dates at or before `judgedAt`, `validUntil` the first
///   after it. A pending security update's lateness is fixed at the report's time (`CapRule.securityUpdateDays`
///   from the report's generation), not at `now`;
/// - `hosts`, `silentHosts` (hosts left without any trusted report), `hostTimes` (the generation times of the other
///   hosts' latest reports, ascending, comma-separated): the view counts the stale hosts and the entity's age at its
///   own `now` and `silent_after_days` from them, so staleness never invalidates a row;
/// - `score`, `scoreLevel`, `coverage`, `exactScore`, `domains` (`domain=score,…`), `notEvaluated` (`a,b`, in the
///   summary's order), `failing`, `warnings` (`domain=count,…`): the entity's tally (`entity.latest*`,
///   `entity_domain`), which does not depend on `now`;
/// - `caps`: the entity's caps without their words (rule, state, hosts, detail; the title, level and sources follow
///   from the rule and state in the view's language), NULL when a host name or detail holds one of the separators
///   (then the view re-judges the entity).
///
/// Rows are recomputed whenever an input can change: in the ingest transaction for the entities of every report stored
/// and every entity whose totals moved, after `prune` and a withdrawal for the entities touched, by the migration for
/// every entity; `territory migrate` copies them. The names, departements and perimeter come from `entity` and the
/// roster at read time, so a roster change needs no refresh. The view re-judges, from `host_cap` as before, every
/// entity whose row is missing, unkept or not valid at its `now` (a read-only store included: nothing is written back).
enum EntityJudgements {
    /// Migration `v18-entity-judged`: the table and its rows for every entity with a host.
    static func createTable(_ db: any SQLConnection) throws {
        let integer = db.dialect == .sqlite ? "INTEGER" : "BIGINT"
        let real = db.dialect == .sqlite ? "REAL" : "DOUBLE PRECISION"
        try db.execute(sql: """
            CREATE TABLE entity_judged (
                siren TEXT PRIMARY KEY NOT NULL REFERENCES entity(siren),
                judgedAt \(integer) NOT NULL, validFrom \(integer), validUntil \(integer),
                hosts \(integer) NOT NULL, silentHosts \(integer) NOT NULL, hostTimes TEXT NOT NULL,
                score \(integer), scoreLevel TEXT, coverage \(real) NOT NULL, exactScore \(real),
                domains TEXT NOT NULL, notEvaluated TEXT NOT NULL, failing TEXT NOT NULL, warnings TEXT NOT NULL,
                caps TEXT
            )
            """)
        try refreshAll(db, now: Int(Date().timeIntervalSince1970))
    }

    /// Recomputes every entity's row (the migration's back-fill).
    static func refreshAll(_ db: any SQLConnection, now: Int) throws {
        try db.execute(sql: "DELETE FROM entity_judged")
        try insert(db, try judge(db, sirens: nil, at: now), at: now)
    }

    /// Recomputes the rows of the entities `sirens` (those without a host any more lose theirs).
    static func refresh(_ db: any SQLConnection, sirens: [String], now: Int) throws {
        let unique = Array(Set(sirens)).sorted()
        guard !unique.isEmpty else { return }
        for chunk in chunks(unique) {
            try db.execute(sql: "DELETE FROM entity_judged WHERE siren IN (\(TerritoryViews.sqlList(chunk)))")
        }
        try insert(db, try judge(db, sirens: unique, at: now), at: now)
    }

    /// Recomputes, in the ingest transaction, the rows of the entities of the reports `outcomes` stored (`results` as
    /// `Ingest.write` returns them, in the same order), of `also` (the entities whose totals moved), and of every entity
    /// whose caps' interval ended by `now` (a certificate ended since its judgement): each ingest keeps the rows valid
    /// for a status run soon after it, about a tenth of the entities a day at 100,000 reports.
    static func refresh(
        _ db: any SQLConnection, outcomes: [Ingest.Outcome], results: [Ingest.SingleOutcome], also: Set<String>, now: Int
    ) throws {
        var sirens = also
        for (outcome, result) in zip(outcomes, results) {
            guard case .stored = result, case .verified(let record, _) = outcome else { continue }
            sirens.insert(record.entity.siren)
        }
        sirens.formUnion(try db.fetchAll(String.self, sql: "SELECT siren FROM entity_judged WHERE validUntil <= ?", arguments: [now]))
        try refresh(db, sirens: Array(sirens), now: now)
    }

    private static func insert(_ db: any SQLConnection, _ judged: [Judged], at now: Int) throws {
        for chunk in stride(from: 0, to: judged.count, by: 500).map({ judged[$0..<min($0 + 500, judged.count)] }) {
            var arguments = SQLArguments([SQLValue]())
            for entity in chunk {
                let values: SQLArguments = [
                    entity.siren, now, entity.validFrom, entity.validUntil, entity.hosts, entity.silentHosts,
                    entity.hostTimes.map(String.init).joined(separator: ","), entity.score, entity.scoreLevel, entity.coverage,
                    entity.exactScore, Self.counts(entity.domains), entity.notEvaluated.joined(separator: ","), Self.counts(entity.failing),
                    Self.counts(entity.warnings), entity.caps.map(Self.capsText),
                ]
                arguments.append(contentsOf: values)
            }
            let placeholders = Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", count: chunk.count).joined(separator: ", ")
            try db.execute(sql: """
                INSERT INTO entity_judged (siren, judgedAt, validFrom, validUntil, hosts, silentHosts, hostTimes, score, scoreLevel, coverage,
                    exactScore, domains, notEvaluated, failing, warnings, caps)
                VALUES \(placeholders)
                """, arguments: arguments)
        }
    }

    /// At most 500 per statement.
    private static func chunks<T>(_ values: [T]) -> [[T]] {
        stride(from: 0, to: values.count, by: 500).map { Array(values[$0..<min($0 + 500, values.count)]) }
    }

    /// One cap without its words: `AppliedCap` in any language follows from it (`applied(_:)`).
    struct KeptCap: Equatable {
        var rule: CapRule
        var state: CapState
        var hosts: [String]
        /// nil for the entity-wide "no host checked its backups" (its words are the language's) and for none.
        var detail: String?

        /// The entity-wide cap `CapEvaluation.entityCaps` adds when no host checked its backups: the only one without hosts.
        var entityWide: Bool { hosts.isEmpty }

        init(rule: CapRule, state: CapState, hosts: [String], detail: String?) {
            self.rule = rule
            self.state = state
            self.hosts = hosts
            self.detail = detail
        }

        /// nil when `cap` is not one `CapEvaluation.entityCaps` makes.
        init?(_ cap: AppliedCap) {
            guard let rule = CapRule(rawValue: cap.rule), let state = CapState(rawValue: cap.state) else { return nil }
            self.init(rule: rule, state: state, hosts: cap.hosts, detail: cap.hosts.isEmpty ? nil : cap.detail)
        }

        func applied(_ language: Language) -> AppliedCap {
            AppliedCap(
                rule: rule.rawValue, state: state.rawValue, level: state.level(rule).rawValue, title: rule.title(state, language), hosts: hosts,
                detail: entityWide ? (language == .fr ? "aucun serveur n'a contrôlé ses sauvegardes" : "no host checked its backups") : detail,
                sources: rule.sources)
        }
    }

    // Separators of the `caps` text: caps, fields, hosts. A text holding one is not kept (the row's caps are NULL).
    private static let capSeparator: Character = "\u{1E}"
    private static let fieldSeparator: Character = "\u{1F}"
    private static let hostSeparator: Character = "\u{1D}"

    static func capsText(_ caps: [KeptCap]) -> String {
        caps.map { cap in
            [cap.rule.rawValue, cap.state.rawValue, cap.hosts.joined(separator: String(hostSeparator)), cap.detail.map { "=" + $0 } ?? ""]
                .joined(separator: String(fieldSeparator))
        }.joined(separator: String(capSeparator))
    }

    /// nil when the text is not one `capsText` writes. Read over its UTF-8 bytes (20,000 rows a status: `split` on
    /// characters was a tenth of the view).
    static func caps(_ text: String) -> [KeptCap]? {
        guard !text.isEmpty else { return [] }
        let bytes = Array(text.utf8)
        var out: [KeptCap] = []
        var fields: [Range<Int>] = []
        var start = 0
        func string(_ range: Range<Int>) -> String { String(decoding: bytes[range], as: UTF8.self) }
        func cap() -> KeptCap? {
            guard fields.count == 4, let rule = CapRule(rawValue: string(fields[0])), let state = CapState(rawValue: string(fields[1])) else { return nil }
            var hosts: [String] = []
            let list = fields[2]
            if !list.isEmpty {
                var from = list.lowerBound
                for index in list where bytes[index] == 0x1D {
                    hosts.append(string(from..<index))
                    from = index + 1
                }
                hosts.append(string(from..<list.upperBound))
            }
            let detail = fields[3]
            return KeptCap(
                rule: rule, state: state, hosts: hosts,
                detail: detail.isEmpty || bytes[detail.lowerBound] != UInt8(ascii: "=") ? nil : string(detail.lowerBound + 1..<detail.upperBound))
        }
        for index in 0...bytes.count {
            let byte = index < bytes.count ? bytes[index] : 0x1E
            guard byte == 0x1E || byte == 0x1F else { continue }
            fields.append(start..<index)
            start = index + 1
            if byte == 0x1E {
                guard let next = cap() else { return nil }
                out.append(next)
                fields.removeAll(keepingCapacity: true)
            }
        }
        return out
    }

    /// Whether `text` can sit in the `caps` text.
    private static func keepable(_ text: String) -> Bool {
        !text.contains { $0 == capSeparator || $0 == fieldSeparator || $0 == hostSeparator }
    }

    static func counts(_ values: [String: Int]) -> String {
        values.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: ",")
    }

    /// `counts(_:)` read back; a pair whose count is not a decimal integer is left out. The names are domain names:
    /// the dictionary is sized for them at once (three per row, 20,000 rows a status: growing it pair by pair was most of
    /// reading the rows), and the counts are read from the bytes.
    static func counts(_ text: String) -> [String: Int] {
        guard !text.isEmpty else { return [:] }
        var out: [String: Int] = [:]
        out.reserveCapacity(Domain.allCases.count)
        var text = text
        text.withUTF8 { bytes in
            var start = 0, equal = -1, value = 0, digits = 0, negative = false, valid = true
            for index in 0...bytes.count {
                let byte = index < bytes.count ? bytes[index] : UInt8(ascii: ",")
                if byte == UInt8(ascii: ",") {
                    if equal > start, digits > 0, valid {
                        out[String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<equal]), as: UTF8.self)] = negative ? -value : value
                    }
                    start = index + 1
                    (equal, value, digits, negative, valid) = (-1, 0, 0, false, true)
                } else if equal < 0 {
                    if byte == UInt8(ascii: "=") { equal = index }
                } else if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") && digits < 18 {
                    value = value * 10 + Int(byte - UInt8(ascii: "0"))
                    digits += 1
                } else if byte == UInt8(ascii: "-") && index == equal + 1 {
                    negative = true
                } else {
                    valid = false
                }
            }
        }
        return out
    }

    /// Comma-separated decimal integers (`hostTimes`), in order.
    static func integers(_ text: String) -> [Int] {
        var out: [Int] = []
        var value = 0, sign = 1, digits = 0
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: ","):
                if digits > 0 { out.append(sign * value) }
                value = 0
                sign = 1
                digits = 0
            case UInt8(ascii: "-"): sign = -1
            default:
                value = value * 10 + Int(byte &- UInt8(ascii: "0"))
                digits += 1
            }
        }
        if digits > 0 { out.append(sign * value) }
        return out
    }

    /// One entity's judgement: what its status row needs but its name, departement and perimeter.
    struct Judged: Equatable {
        var siren: String
        var name: String?
        var departement: String?
        var hosts = 0
        /// Hosts without any trusted report: always stale.
        var silentHosts = 0
        /// The other hosts' latest reports' generation times, ascending.
        var hostTimes: [Int] = []
        var score: Int?
        var scoreLevel: String?
        var coverage = 0.0
        var exactScore: Double?
        var domains: [String: Int] = [:]
        var notEvaluated: [String] = []
        var failing: [String: Int] = [:]
        var warnings: [String: Int] = [:]
        /// nil: not kept (re-judged when read).
        var caps: [KeptCap]? = []
        /// The caps in the view's language, when judged at read time (`judge(…language:)`): these, not `caps`, are shown.
        var applied: [AppliedCap]?
        var validFrom: Int?
        var validUntil: Int?

        /// Whether the caps hold at `now`.
        func valid(at now: Int) -> Bool {
            caps != nil && (validFrom.map { $0 <= now } ?? true) && (validUntil.map { now < $0 } ?? true)
        }

        /// Newest report's generation time, `Int.min` for none.
        var newest: Int { hostTimes.last ?? Int.min }

        /// Hosts whose latest report is older than `limit` (`TerritoryJudgement.silenceLimit`), those without any included.
        func staleHosts(before limit: Int) -> Int {
            silentHosts + (hostTimes.firstIndex { $0 >= limit } ?? hostTimes.count)
        }

        /// The summary the score line is made from.
        var summary: ScoreSummary {
            var byDomain: [Domain: Int] = [:]
            for (name, value) in domains { if let domain = Domain(rawValue: name) { byDomain[domain] = value } }
            return ScoreSummary(
                score: score, level: scoreLevel.flatMap(Level.init(rawValue:)), coverage: coverage, domains: byDomain,
                notEvaluated: notEvaluated.compactMap(Domain.init(rawValue:)))
        }
    }

    /// The judgement at `now` of the entities `sirens` (nil: every entity with a host; `only`: of those, these alone),
    /// from `entity`, `entity_domain` and `host_cap` (a host whose row is missing or out of date read from its facts, as
    /// `HostCaps.latestInputs`). With a `language` (the view judging at read time), the caps are given in it as
    /// `applied`, and neither `caps` nor the interval is computed; without, `caps` and the interval are (a row to keep).
    static func judge(
        _ db: any SQLConnection, sirens: [String]?, only: Set<String>? = nil, at now: Int, language: Language? = nil
    ) throws -> [Judged] {
        var judged: [Judged] = []
        var tallies: [ScoreTally] = []
        var index: [String: Int] = [:]
        let scopes: [String] = sirens.map { chunks($0).map { " AND siren IN (\(TerritoryViews.sqlList($0)))" } } ?? [""]
        for scope in scopes {
            try db.forEachRow(sql: """
                SELECT e.siren, e.name, e.departement, e.latestResults, e.latestScored FROM entity e
                WHERE \(TerritoryStore.hasServer)\(scope.replacingOccurrences(of: "siren IN", with: "e.siren IN"))
                """, arguments: []) { row in
                let siren: String = row[0]
                if let only, !only.contains(siren) { return }
                var tally = ScoreTally()
                tally.total = row[3]
                tally.scored = row[4]
                index[siren] = judged.count
                judged.append(Judged(siren: siren, name: row[1], departement: row[2]))
                tallies.append(tally)
            }
        }
        guard !judged.isEmpty else { return [] }
        for scope in scopes {
            try db.forEachRow(
                sql: "SELECT siren, domain, weight, earned, failing, warning, unverified FROM entity_domain WHERE 1 = 1\(scope)", arguments: []
            ) { row in
                guard let name: String = row[1], let domain = Domain(rawValue: name), let at = index[row[0] as String] else { return }
                let weight: Double = row[2]
                if weight > 0 {
                    tallies[at].weight[domain] = weight
                    tallies[at].earned[domain] = row[3] as Double
                    tallies[at].unverified[domain] = row[6] as Double
                }
                let failing: Int = row[4], warning: Int = row[5]
                if failing > 0 { judged[at].failing[name] = failing }
                if warning > 0 { judged[at].warnings[name] = warning }
            }
        }
        // Every host: its cap input at `now` and the dates at which its caps can change.
        var inputs = Array(repeating: [HostCapInput](), count: judged.count)
        var dates = Array(repeating: [Int](), count: judged.count)
        var outdated: [(entity: Int, host: Int, id: Int64, key: Int64)] = []
        for scope in scopes {
            try db.forEachRow(sql: """
                SELECT h.id, h.siren, h.hostname, h.latestReportKey, h.latestGeneratedAt, c.reportKey, \(HostCaps.columns)
                FROM host h LEFT JOIN host_cap c ON c.hostID = h.id WHERE 1 = 1\(scope.replacingOccurrences(of: "siren IN", with: "h.siren IN"))
                """, arguments: []) { row in
                guard let at = index[row[1] as String] else { return }
                judged[at].hosts += 1
                let hostname: String = row[2]
                guard let key: Int64 = row[3] else {
                    // No trusted report left (`TerritoryViews.memberInputs`): stale, its caps unverified.
                    judged[at].silentHosts += 1
                    inputs[at].append(HostCapInput(hostname: hostname, reportTime: 0, facts: [], pendingSince: [:]))
                    return
                }
                let time: Int = row[4]
                judged[at].hostTimes.append(time)
                inputs[at].append(HostCapInput(hostname: hostname, reportTime: time, facts: [], pendingSince: [:]))
                if (row[5] as Int64?) == key {
                    let kept = HostCaps.Row(row, offset: 6)
                    inputs[at][inputs[at].count - 1].facts = kept.facts(now: now)
                    inputs[at][inputs[at].count - 1].pendingSince = kept.late
                    if language == nil { dates[at] += [kept.certificateAt, kept.endOfLifeAt].compactMap { $0 } + Self.integers(kept.endsText) }
                } else {
                    outdated.append((at, inputs[at].count - 1, row[0], key))
                }
            }
        }
        if !outdated.isEmpty {
            let facts = try FactReader.facts(db, reports: outdated.map(\.key))
            let pending = try FactReader.pendingSince(
                db, hostIDs: outdated.filter { facts[$0.key]?.contains { $0.kind == .security && $0.state == .gap } ?? false }.map(\.id))
            for host in outdated {
                let list = facts[host.key] ?? []
                inputs[host.entity][host.host].facts = list
                inputs[host.entity][host.host].pendingSince = pending[host.id] ?? [:]
                dates[host.entity] += list.compactMap(\.at)
            }
        }
        for at in judged.indices {
            let summary = tallies[at].summary
            judged[at].score = summary.score
            judged[at].scoreLevel = summary.level?.rawValue
            judged[at].coverage = summary.coverage
            judged[at].exactScore = tallies[at].exactScore
            judged[at].domains = Dictionary(uniqueKeysWithValues: summary.domains.map { ($0.key.rawValue, $0.value) })
            judged[at].notEvaluated = summary.notEvaluated.map(\.rawValue)
            judged[at].hostTimes.sort()
            if let language {
                judged[at].applied = CapEvaluation.entityCaps(inputs[at], now: now, language: language)
                judged[at].caps = nil
                continue
            }
            let applied = CapEvaluation.entityCaps(inputs[at], now: now, language: .fr)
            let kept = applied.compactMap(KeptCap.init)
            // Kept only when the words come back the same and no text holds a separator.
            if kept.count == applied.count, kept.map({ $0.applied(.fr) }) == applied,
                kept.allSatisfy({ cap in cap.hosts.allSatisfy(keepable) && (cap.detail.map(keepable) ?? true) }) {
                judged[at].caps = kept
            } else {
                judged[at].caps = nil
            }
            judged[at].validFrom = dates[at].filter { $0 <= now }.max()
            judged[at].validUntil = dates[at].filter { $0 > now }.min()
        }
        return judged
    }

    /// Every entity with a host, judged at `now`: from its row when it holds at `now` (its caps as `KeptCap`s, to be
    /// given words by the caller), else judged again in `language` (`applied`; not written: the store may be read-only).
    static func read(_ db: any SQLConnection, now: Int, language: Language) throws -> [Judged] {
        var out: [Judged] = []
        var redo: [String] = []
        try db.forEachRow(sql: """
            SELECT e.siren, e.name, e.departement, j.siren, j.validFrom, j.validUntil, j.hosts, j.silentHosts, j.hostTimes, j.score, j.scoreLevel,
                j.coverage, j.exactScore, j.domains, j.notEvaluated, j.failing, j.warnings, j.caps
            FROM entity e LEFT JOIN entity_judged j ON j.siren = e.siren
            WHERE \(TerritoryStore.hasServer)
            """, arguments: []) { row in
            let siren: String = row[0]
            guard (row[3] as String?) != nil else { redo.append(siren); return }
            var entity = Judged(siren: siren, name: row[1], departement: row[2])
            entity.validFrom = row[4]
            entity.validUntil = row[5]
            entity.caps = (row[17] as String?).flatMap(Self.caps)
            guard entity.valid(at: now) else { redo.append(siren); return }
            entity.hosts = row[6]
            entity.silentHosts = row[7]
            let times: String = row[8]
            entity.hostTimes = Self.integers(times)
            entity.score = row[9]
            entity.scoreLevel = row[10]
            entity.coverage = row[11]
            entity.exactScore = row[12]
            entity.domains = Self.counts(row[13] as String)
            let notEvaluated: String = row[14]
            entity.notEvaluated = notEvaluated.isEmpty ? [] : notEvaluated.split(separator: ",").map(String.init)
            entity.failing = Self.counts(row[15] as String)
            entity.warnings = Self.counts(row[16] as String)
            out.append(entity)
        }
        guard !redo.isEmpty else { return out }
        // Many to redo (a status long after the last ingest): one pass over every entity rather than lists of SIRENs.
        if redo.count > 2_000 { return out + (try judge(db, sirens: nil, only: Set(redo), at: now, language: language)) }
        return out + (try judge(db, sirens: redo, at: now, language: language))
    }
}

extension ScoreLine {
    /// The line `init(_:caps:)` makes from the summary `judged` keeps, without building the summary.
    init(_ judged: EntityJudgements.Judged, caps: [AppliedCap]) {
        score = judged.score
        scoreLevel = judged.scoreLevel
        level = CapEvaluation.cappedLevel(score: judged.scoreLevel.flatMap(Level.init(rawValue:)), caps: caps)?.rawValue
        coverage = judged.coverage
        domains = judged.domains
        notEvaluated = judged.notEvaluated
        self.caps = caps
    }
}
