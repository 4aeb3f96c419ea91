import Agent
import Checks
import Foundation
import Model

/// A fix across the territory (or an entity): making every warn/fail result of one rule pass.
public struct RuleFix: Codable, Sendable, Equatable {
    public var code: String
    public var title: String
    public var domain: String?
    public var severity: Severity
    /// Entities and hosts with this finding.
    public var entities: Int
    public var hosts: Int
    /// Overall score before and after the fix (rounded), and the gain before rounding.
    public var scoreBefore: Int
    public var scoreAfter: Int
    public var gain: Double
}

/// The score of a set of results, as published (`ScoreTally.summary`), and the level shown: the score's
/// level, no better than the harshest cap that applies (`CapRule`).
public struct ScoreLine: Codable, Sendable, Equatable {
    public var score: Int?
    /// The level shown: `scoreLevel`, no better than the harshest of `caps`.
    public var level: String?
    /// The level the score alone gives (A ≥ 90 … E); equal to `level` when no cap applies.
    public var scoreLevel: String?
    public var coverage: Double
    public var domains: [String: Int]
    /// Domains whose every counted result erred ("non évalué"): no score, 0 in the overall score.
    public var notEvaluated: [String]
    /// The caps that apply, harshest first: which gap, why, on which hosts. Empty when none.
    public var caps: [AppliedCap]

    init(_ summary: ScoreSummary, caps: [AppliedCap] = []) {
        score = summary.score
        scoreLevel = summary.level?.rawValue
        level = CapEvaluation.cappedLevel(score: summary.level, caps: caps)?.rawValue
        coverage = summary.coverage
        domains = Dictionary(uniqueKeysWithValues: summary.domains.map { ($0.key.rawValue, $0.value) })
        notEvaluated = summary.notEvaluated.map(\.rawValue)
        self.caps = caps
    }

    /// Whether a cap lowers the level below the score's.
    public var isCapped: Bool { level != scoreLevel }
}

/// `territory status`: one row per entity.
public struct StatusView: Codable, Sendable {
    public var now: String
    public var territory: Territory
    public var entities: [EntityRow]
    /// Roster members that never sent a report, in roster order.
    public var neverReported: [SilentMember]
    public var fixes: [RuleFix]
    /// The filter applied (`--entity`, `--domain`), absent when the view is the whole territory's: only the
    /// rows of `entities` and `neverReported`, the failures of `failing`/`warnings`, the `territory.domains`
    /// and the `fixes` are narrowed; `territory` otherwise stays the whole territory's judgement.
    public var filter: ViewFilter?

    public struct SilentMember: Codable, Sendable {
        public var siren: String
        public var name: String
        public var kind: String?
    }

    public struct Territory: Codable, Sendable {
        /// The declared grouping (roster), nil when no roster was imported.
        public var name: String?
        public var siren: String?
        /// Whether a roster was imported (`cyberctl territory roster import`); without one, every entity
        /// in the store is a member.
        public var rosterDeclared: Bool
        /// Members expected to report: the roster's members (and the grouping when it reports), or every
        /// entity in the store without a roster.
        public var members: Int
        /// Members with at least one report (the ones averaged).
        public var entities: Int
        public var hosts: Int
        public var reports: Int
        /// Members whose newest report is older than `silentAfterDays` plus a day of grace.
        public var staleEntities: Int
        /// Members' servers whose own latest report is older than `silentAfterDays` plus a day of grace, or that have no
        /// trusted report left: those of silent members, and those a member's other, reporting servers would hide.
        public var staleHosts: Int
        /// Roster members that never sent a report.
        public var neverReported: Int
        /// Entities with reports that the roster does not list ("hors périmètre"): stored, not averaged.
        public var outOfPerimeter: Int
        public var silentAfterDays: Int
        /// The mean of the members' scores (each member weighs one; a member whose reports verified
        /// nothing counts 0), its level capped by `cap`; coverage is the members' mean, members that never
        /// reported counting 0; `domains` the mean of the members' domain scores over the members with results
        /// in the domain.
        public var score: ScoreLine
        /// The cap on the territory's level from its members under a cap; nil when none is.
        public var cap: TerritoryCap?
        /// Every member under a cap, members that never reported included, by SIREN (sorted): the full list
        /// behind `cap` (its line in `score.caps` names the first ten for people).
        public var membersUnderCap: [String]
        /// Members per level shown (`A`…`E`), `non-evalue` (reports, nothing verified), `sans-rapport`.
        public var distribution: [String: Int]
        /// Per domain, members counted: with results, with a failure, not evaluated, under each gap.
        public var domains: [DomainCount]
    }

    public struct EntityRow: Codable, Sendable {
        public var siren: String
        public var name: String?
        public var departement: String?
        public var hosts: Int
        public var staleHosts: Int
        /// Generation time of the entity's newest report, and its age in whole days.
        public var newestReport: String?
        public var ageDays: Int?
        /// True when the newest report is older than the silence threshold (`silentAfterDays` plus a day of grace).
        public var stale: Bool
        /// False for an entity the declared roster does not list ("hors périmètre"): shown, not averaged.
        public var inPerimeter: Bool
        public var score: ScoreLine
        /// Fail results per domain in the hosts' latest reports.
        public var failing: [String: Int]
        /// Warn results per domain.
        public var warnings: [String: Int]
    }
}

/// `territory findings`: rules failing across the territory.
public struct FindingsView: Codable, Sendable {
    public var now: String
    public var findings: [Finding]
    /// The filter applied, absent when none: findings of these entities (counts, affected, resolvedBy and
    /// gains over them alone) and of this domain.
    public var filter: ViewFilter?
    /// The members behind the list, and those it could not see (never reported, silent, nothing verified, checks in
    /// error): an empty list is "nothing seen" for them, not "nothing wrong".
    public var coverage: ViewCoverage

    public struct Finding: Codable, Sendable {
        public var code: String
        public var title: String
        public var domain: String?
        /// Worst severity among the affected results.
        public var severity: Severity
        public var entities: Int
        public var hosts: Int
        /// Warn/fail results (targets) in the latest reports.
        public var results: Int
        /// Severity weight × entities: the ranking key.
        public var rank: Double
        /// Findings (host, target) absent from the host's previous report (or its first report).
        public var new: Int
        /// Findings present in both the latest and the previous report.
        public var persistent: Int
        /// Findings of the previous report gone from the latest one, which verified them: the rule passed on that
        /// very target. A rule absent from the latest report (a partial scan), erred or skipped there, or a target no
        /// longer named (an endpoint no longer discovered, a certificate replaced by another file) is not resolved.
        public var resolved: Int
        /// Territory score gain if every result of this rule passed.
        public var gain: Double
        /// The entities with the finding, by SIREN, each with its hosts: all of them, or the first `affectedLimit`
        /// when the view was asked for fewer (`entities` always counts them all).
        public var affected: [Affected]
        /// Who fixed it: each host whose reports had this rule failing and whose latest report no longer
        /// has, with the time of the first report without it that verified the rule (it passed there: a report
        /// without the rule, or where it erred, fixes nothing) (oldest history included, so a rule fixed
        /// everywhere stays listed with who fixed it and when), latest first; only the first `affectedLimit` when
        /// the view was asked for fewer (`resolvedByTotal` then counts them all).
        public var resolvedBy: [Resolution]
        /// How many fixes there are when `resolvedBy` lists only some of them (`affectedLimit`); absent otherwise.
        public var resolvedByTotal: Int?
    }

    public struct Resolution: Codable, Sendable {
        public var siren: String
        public var name: String?
        public var host: String
        /// Generation time of the first report of the host without the finding.
        public var at: String
    }

    public struct Affected: Codable, Sendable {
        public var siren: String
        public var name: String?
        public var hosts: [String]
    }
}

/// `territory certificates --expiring`: certificates ending within the window, soonest first, and the
/// certificate checks whose end date could not be read (`unverified`): those are not "not expiring".
public struct CertificatesView: Codable, Sendable {
    public var now: String
    public var windowDays: Int
    public var certificates: [Certificate]
    /// `cert.expiry`/`tls.cert.expiry` results of the hosts' latest reports that give no readable notAfter
    /// (status `error`, or evidence without the date), and `cert.file`/`cert.discovery` errors (a certificate
    /// file or a configuration naming certificates that could not be read), whatever the window.
    public var unverified: [Unverified]
    /// The filter applied, absent when none: certificates of these entities; of domain `certificates`
    /// (files: cert.*) or `tls` (served: tls.cert.expiry).
    public var filter: ViewFilter?
    /// The members behind the list, and those it could not see (never reported, silent, nothing verified, checks in
    /// error in the filter's domain): their certificates are not in the list.
    public var coverage: ViewCoverage
    /// Set when the lists were cut (`certificates(expiringWithinDays:filter:limit:)`, the dashboard): the number of
    /// certificates ending within the window, of which `certificates` holds the soonest; absent otherwise.
    public var totalCertificates: Int?
    /// Set with `totalCertificates`: the number of unverified checks, of which `unverified` holds the first.
    public var totalUnverified: Int?

    /// Certificates ending within the window, whether or not `certificates` was cut.
    public var certificateCount: Int { totalCertificates ?? certificates.count }
    /// Unverified certificate checks, whether or not `unverified` was cut.
    public var unverifiedCount: Int { totalUnverified ?? unverified.count }

    /// A certificate check that could not tell when its certificate ends.
    public struct Unverified: Codable, Sendable {
        /// `file` or `served`, as for `Certificate.kind`.
        public var kind: String
        public var siren: String
        public var entity: String?
        public var host: String
        public var target: String
        public var status: String
        /// The result's reason (why the check could not look) in the view's language, when it gave one (French falls
        /// back to English for reports written before `reasonFr`).
        public var reason: String?
    }

    public struct Certificate: Codable, Sendable {
        public var notAfter: String
        public var daysLeft: Int
        public var subject: String?
        public var issuer: String?
        public var sha256: String?
        public var subjectAltNames: [String]
        /// `file` (cert.expiry: a file on the host) or `served` (tls.cert.expiry: presented by an endpoint).
        public var kind: String
        public var siren: String
        public var entity: String?
        public var host: String
        public var target: String
        public var status: String
    }
}

/// One point of a score history.
public struct TrendPoint: Codable, Sendable, Equatable {
    /// Generation time of the report that made this point (UTC, ISO 8601): one point per report.
    public var at: String
    public var score: Int?
    /// The level shown then: the score's level, no better than the caps as they stood then.
    public var level: String?
    /// The level the score alone gives.
    public var scoreLevel: String?
    public var coverage: Double
    /// Hosts whose latest report at that time counts.
    public var hosts: Int
    /// The report that made this point: its host and entity.
    public var host: String?
    public var siren: String?
    /// Titles of the caps that applied then (for a territory: the territory cap).
    public var caps: [String]

    public init(
        at: String, score: Int?, level: String?, scoreLevel: String?, coverage: Double, hosts: Int, host: String? = nil, siren: String? = nil,
        caps: [String] = []
    ) {
        self.at = at
        self.score = score
        self.level = level
        self.scoreLevel = scoreLevel
        self.coverage = coverage
        self.hosts = hosts
        self.host = host
        self.siren = siren
        self.caps = caps
    }
}

/// `territory trend`.
public struct TrendView: Codable, Sendable {
    public var now: String
    public var points: [TrendPoint]
    /// The filter applied, absent when none: the points are then those of these entities alone (their mean,
    /// after each of their reports), not the territory's.
    public var filter: ViewFilter?
    /// Set when `points` are one per UTC day (`trend(filter:dailyBeyond:)`: the dashboard of a large territory): the
    /// number of reports they sample, each point the territory after its day's last report. Absent from `territory trend`
    /// (one point per report).
    public var dailyOfReports: Int?
}

/// One stored result, as the host and entity views show it.
public struct StoredResult: Codable, Sendable {
    public var host: String
    public var check: String
    public var target: String
    public var code: String
    public var title: String
    public var status: Status
    public var severity: Severity
    public var evidence: JSONValue
    /// Why the check could not decide, in the view's language (French falls back to English for reports written
    /// before `reasonFr`).
    public var reason: String?
}

/// A report's header.
public struct ReportHeader: Codable, Sendable {
    public var id: String
    public var sha256: String
    public var host: String
    public var generatedAt: String
    public var signingTime: String
    public var signer: String
    public var signerSerial: String
    public var profile: String
    public var agentVersion: String
    public var os: String?
    public var score: ScoreLine
    public var sourcePath: String
}

/// `territory host NAME` / `territory entity SIREN`.
public struct DetailView: Codable, Sendable {
    public var now: String
    public var siren: String
    public var name: String?
    /// The latest report of each host.
    public var reports: [ReportHeader]
    public var score: ScoreLine
    /// True when the newest report is older than the silence threshold (`silentAfterDays` plus a day of grace).
    public var stale: Bool
    /// False when a declared roster does not list the entity ("hors périmètre").
    public var inPerimeter: Bool
    public var results: [StoredResult]
    public var fixes: [Fix]
    public var trend: [TrendPoint]
    /// The filter applied, absent when none: with a domain, `results` and `fixes` are those of the domain
    /// (`score` stays the whole entity's).
    public var filter: ViewFilter?
    /// The servers whose state is not known, by hostname: latest report older than the silence threshold, or
    /// every report withdrawn (a revoked signer; not in `reports`). One fresh server does not hide another.
    public var silentHosts: [SilentHost]

    /// A server of the view that is silent.
    public struct SilentHost: Codable, Sendable, Equatable {
        public var host: String
        /// Generation time of its latest trusted report (ISO 8601); nil when every report was withdrawn.
        public var lastReport: String?
        /// Whole days since `lastReport`; nil when none.
        public var ageDays: Int?
        /// True when it had reports, all withdrawn after its signer's revocation.
        public var withdrawn: Bool
    }

    /// Servers in the view: those with a latest report and those whose every report was withdrawn.
    public var hosts: Int { reports.count + silentHosts.filter(\.withdrawn).count }

    public struct Fix: Codable, Sendable {
        public var host: String
        public var code: String
        public var title: String
        public var target: String
        public var severity: Severity
        public var scoreAfter: Int
        public var gain: Int
    }
}

/// `territory rejected`.
public struct RejectedView: Codable, Sendable {
    public var rejections: [Rejection]

    public struct Rejection: Codable, Sendable {
        public var path: String
        public var sha256: String
        public var code: String
        public var title: String
        /// Why, in the views' language (English for a refusal recorded before French texts were kept).
        public var message: String
        public var firstSeen: String
        public var lastSeen: String
        public var seen: Int
        /// When the same bytes were accepted after all (nil while the refusal stands).
        public var resolvedAt: String?
    }
}

/// The territory's views, read from the store.
public struct TerritoryViews: Sendable {
    public let store: TerritoryStore
    public let now: Date
    public let language: Language

    public init(store: TerritoryStore, now: Date = Date(), language: Language = .fr) {
        self.store = store
        self.now = now
        self.language = language
    }

    var nowSeconds: Int { Int(now.timeIntervalSince1970) }
    static func time(_ seconds: Int) -> String { ISO8601.string(from: Date(timeIntervalSince1970: TimeInterval(seconds))) }
    func title(_ code: String) -> String { Catalogue.text(for: code, in: language).title }

    /// A stored reason in the view's language: the French one when the report gave it, else the English one.
    func reason(english: String?, french: String?) -> String? { language == .fr ? (french ?? english) : english }

    // MARK: status

    /// One row per entity (the members of the declared roster, then the others flagged "hors périmètre"),
    /// the territory judged over its members (`MemberJudgement`): see `judgedStatus`.
    /// With a `filter`, the rows of the filtered entities only, failures and domain counts of its domain
    /// only, and the fixes of its domain at its entities (their gain on the territory score when fixed there);
    /// the territory's own judgement (`territory` but its `domains`) stays the whole territory's.
    /// - Throws: `InputError(.missing)` when the filter names a SIREN the store does not know.
    public func status(fixes fixLimit: Int = 3, filter: ViewFilter = ViewFilter()) throws -> StatusView {
        try store.read { db in
            try requireKnown(filter, db)
            return try judgedStatus(db, fixLimit: fixLimit, filter: filter)
        }
    }

    // MARK: findings

    /// Rules with warn/fail results in the latest reports, ranked by worst severity weight × entities;
    /// each finding (host, target) compared with the host's previous report. With a `filter`, only the results
    /// of its entities (so the counts, `affected`, `resolvedBy` and the gains are theirs) and of its domain.
    ///
    /// The counts and gains are the per-entity sums kept at ingest (`entity_rule`, `RuleTotals`), summed per rule:
    /// no result is read for them. `affectedLimit` bounds the lists, not the counts: `affected` names the first
    /// `affectedLimit` entities by SIREN (every host of each), `resolvedBy` the `affectedLimit` latest fixes (with
    /// `resolvedByTotal` then saying how many there are); `entities`, `hosts` and `results` always count them all.
    /// nil lists everything (the JSON and CSV default: one rule can have 88,000 hosts at 100,000 reports), 0 none.
    /// - Throws: `InputError(.missing)` when the filter names a SIREN the store does not know.
    public func findings(
        top: Int? = nil, minimumSeverity: Severity? = nil, filter: ViewFilter = ViewFilter(), affectedLimit: Int? = nil
    ) throws -> FindingsView {
        try store.read { db in
            try requireKnown(filter, db)
            let domain = filter.domain
            let entityCondition = filter.entities.map { " AND siren IN (\(Self.sqlList($0)))" } ?? ""
            var sums = try RuleTotals.sums(db, scope: filter.entities.map { .only($0) } ?? .all)
            // Who fixed what, and when: per host and rule over the whole history (report_finding). Without history (every
            // stored report is its host's latest), nothing was fixed.
            let reportCount = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report") ?? 0
            let latestCount = try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM host WHERE latestReportKey IS NOT NULL") ?? 0
            var resolutions: [String: [FindingsView.Resolution]] = [:]
            if reportCount > latestCount { try db.forEachRow(sql: """
                WITH ranked AS (
                    SELECT key, hostID, siren, generatedAt,
                        ROW_NUMBER() OVER (PARTITION BY hostID ORDER BY generatedAt DESC, signingTime DESC, id DESC) AS position
                    FROM report),
                seen AS (
                    SELECT ranked.hostID, f.code, MIN(ranked.position) AS position
                    FROM ranked JOIN report_finding f ON f.reportKey = ranked.key GROUP BY ranked.hostID, f.code),
                -- The fix: the first report after the newest one with the finding that verified the rule (it passed
                -- there). A report without the rule (a partial scan), or where it erred or was skipped, fixes nothing.
                fix AS (
                    SELECT seen.hostID, seen.code, MAX(later.position) AS position
                    FROM seen JOIN ranked later ON later.hostID = seen.hostID AND later.position < seen.position
                    WHERE seen.position > 1
                    AND EXISTS (SELECT 1 FROM result r WHERE r.reportKey = later.key AND r.code = seen.code AND r.status = 'pass')
                    GROUP BY seen.hostID, seen.code)
                SELECT h.hostname, fix.code, fixed.siren, fixed.generatedAt, e.name
                FROM fix JOIN ranked fixed ON fixed.hostID = fix.hostID AND fixed.position = fix.position
                JOIN host h ON h.id = fix.hostID JOIN entity e ON e.siren = fixed.siren
                """, arguments: []) { row in
                let code: String = row[1], siren: String = row[2]
                guard filter.keeps(siren: siren) else { return }
                resolutions[code, default: []].append(.init(siren: siren, name: row[4], host: row[0], at: Self.time(row[3])))
                if sums[code] == nil { sums[code] = RuleTotals.RuleSum() }
            } }
            // Territory gains, from the members' scores kept at ingest (the status's from its member sums: the same).
            let gains = Dictionary(
                try ruleFixes(db, base: FixBase(db), limit: Int.max, filter: filter).map { ($0.code, $0.gain) }, uniquingKeysWith: { a, _ in a })
            var findings: [FindingsView.Finding] = []
            for (code, sum) in sums {
                let ruleDomain = Domain(ruleCode: code)
                if let domain, ruleDomain != domain { continue }
                if sum.results == 0 {
                    // Resolved everywhere: shown only when nothing filters by severity.
                    if minimumSeverity != nil { continue }
                } else if let minimumSeverity, sum.severity < minimumSeverity {
                    continue
                }
                var resolvedBy = (resolutions[code] ?? []).sorted { ($0.at, $0.name ?? $0.siren, $0.host) > ($1.at, $1.name ?? $1.siren, $1.host) }
                var resolvedByTotal: Int?
                if let affectedLimit, resolvedBy.count > affectedLimit {
                    resolvedByTotal = resolvedBy.count
                    resolvedBy = Array(resolvedBy.prefix(max(0, affectedLimit)))
                }
                findings.append(FindingsView.Finding(
                    code: code, title: title(code), domain: ruleDomain?.rawValue, severity: sum.severity, entities: sum.entities,
                    hosts: sum.hosts, results: sum.results, rank: sum.severity.weight * Double(sum.entities), new: sum.new,
                    persistent: sum.persistent, resolved: sum.resolved, gain: gains[code] ?? 0, affected: [], resolvedBy: resolvedBy,
                    resolvedByTotal: resolvedByTotal))
            }
            findings.sort { ($0.rank, $0.results, $1.code) > ($1.rank, $1.results, $0.code) }
            if let top { findings = Array(findings.prefix(max(0, top))) }
            try listAffected(&findings, db, limit: affectedLimit, entityCondition: entityCondition)
            return FindingsView(
                now: ISO8601.string(from: now), findings: findings, filter: filter.orNil,
                coverage: try coverage(db, filter: filter, domains: filter.domain.map { [$0] }))
        }
    }

    /// Fills each finding's `affected`: its entities by SIREN (at most `limit` of them, all when nil) and, for each,
    /// the hosts whose latest report has the rule in warn/fail (`report_finding`), sorted.
    func listAffected(_ findings: inout [FindingsView.Finding], _ db: any SQLConnection, limit: Int?, entityCondition: String) throws {
        guard limit != 0 else { return }
        for index in findings.indices where findings[index].entities > 0 {
            let code = findings[index].code
            var sirens: String
            if let limit {
                // In the index's order (code, siren): a SIREN is 9 digits, which every collation orders alike (PostgreSQL
                // sorted all the rows of the rule for `COLLATE "C"`: 56 ms a finding at 100,000 reports, not 1 ms).
                let listed = try db.fetchAll(String.self, sql: """
                    SELECT siren FROM entity_rule WHERE code = ? AND hosts > 0\(entityCondition) ORDER BY siren LIMIT ?
                    """, arguments: [code, limit])
                sirens = " AND h.siren IN (\(Self.sqlList(listed)))"
            } else {
                sirens = entityCondition.replacingOccurrences(of: " siren IN", with: " h.siren IN")
            }
            var hosts: [String: (name: String?, hosts: [String])] = [:]
            try db.forEachRow(sql: """
                SELECT h.siren, e.name, h.hostname FROM host h JOIN report_finding f ON f.reportKey = h.latestReportKey AND f.code = ?
                JOIN entity e ON e.siren = h.siren WHERE 1 = 1\(sirens)
                """, arguments: [code]) { row in
                let siren: String = row[0]
                if hosts[siren] == nil { hosts[siren] = (row[1], []) }
                hosts[siren]!.hosts.append(row[2])
            }
            findings[index].affected = hosts.keys.sorted().map { siren in
                FindingsView.Affected(siren: siren, name: hosts[siren]!.name, hosts: hosts[siren]!.hosts.sorted())
            }
        }
    }

    // MARK: certificates

    /// Certificates (cert.expiry on files, tls.cert.expiry on endpoints) of the hosts' latest reports
    /// whose notAfter falls before now + `days` (already expired ones included), soonest first. With a `filter`,
    /// those of its entities and of its domain (`certificates`: files; `tls`: served; any other: none).
    /// With a `limit`, the first `limit` certificates and unverified checks only, in the same order, and their exact
    /// numbers in `totalCertificates` and `totalUnverified` (the dashboard: reading 174,000 certificates to show 300
    /// was most of its certificate part).
    /// Read from `latest_certificate` (`LatestCertificates`): the end dates are read there once, at ingest.
    /// - Throws: `InputError(.missing)` when the filter names a SIREN the store does not know.
    public func certificates(expiringWithinDays days: Int, filter: ViewFilter = ViewFilter(), limit: Int? = nil) throws -> CertificatesView {
        try store.read { db in
            try requireKnown(filter, db)
            let end = now.addingTimeInterval(TimeInterval(days) * 86_400).timeIntervalSince1970
            // The filter as SQL: its entities, and the rule codes of its domain (cert.file and cert.discovery: certificates).
            var kept = LatestCertificates.expiryCodes.filter { filter.keeps(code: $0) }
            if filter.keeps(domain: .certificates) { kept += LatestCertificates.unreadCodes }
            var condition = " AND c.code IN (\(kept.map { "'\($0)'" }.joined(separator: ", ")))"
            var arguments: [any SQLValueConvertible] = []
            if let entities = filter.entities {
                condition += " AND c.siren IN (\(entities.map { _ in "?" }.joined(separator: ", ")))"
                arguments = entities
            }
            if kept.isEmpty {
                condition = " AND 1 = 0"
                arguments = []
            }
            let columns = """
                c.siren, e.name, h.hostname, c.target, c.code, c.status, c.notAfter, c.notAfterText, c.subject, c.issuer, c.sha256, c.subjectAltNames,
                c.reason, c.reasonFr
                FROM latest_certificate c JOIN host h ON h.id = c.hostID JOIN entity e ON e.siren = c.siren
                """
            var certificates: [CertificatesView.Certificate] = []
            var total: Int?
            var bound = end
            if let limit {
                total = try db.fetchOne(
                    Int.self, sql: "SELECT COUNT(*) FROM latest_certificate c WHERE c.notAfter <= ?\(condition)",
                    arguments: SQLArguments([end] + arguments)) ?? 0
                // The `limit` soonest end dates: every certificate ending no later than the last of them (ties included)
                // is read, then ordered as the whole list is and cut.
                if let last = try db.fetchOne(Double.self, sql: """
                    SELECT MAX(notAfter) FROM (SELECT c.notAfter FROM latest_certificate c WHERE c.notAfter <= ?\(condition) ORDER BY c.notAfter LIMIT \(limit)) soonest
                    """, arguments: SQLArguments([end] + arguments)) {
                    bound = last
                }
            }
            try db.forEachRow(sql: "SELECT \(columns) WHERE c.notAfter <= ?\(condition)", arguments: SQLArguments([bound] + arguments)) { row in
                let notAfter = Date(timeIntervalSince1970: row[6] as Double)
                let sans: [String]
                if let text: String = row[11], case .array(let values) = JSONText.decode(text) { sans = values.compactMap(\.stringValue) } else { sans = [] }
                certificates.append(CertificatesView.Certificate(
                    notAfter: row[7], daysLeft: Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down)),
                    subject: row[8], issuer: row[9], sha256: row[10], subjectAltNames: sans,
                    kind: (row[4] as String) == "tls.cert.expiry" ? "served" : "file", siren: row[0], entity: row[1],
                    host: row[2], target: row[3], status: row[5]))
            }
            // Indices sorted, then the rows put in order once (swapping 176,000 rows of eleven fields was half the view).
            let keys = certificates.map { ($0.notAfter, $0.siren, $0.host, $0.target) }
            certificates = keys.indices.sorted { keys[$0] < keys[$1] }.map { certificates[$0] }
            if let limit, certificates.count > limit { certificates.removeSubrange(limit...) }
            // Certificate checks that could not tell the end date (cert.expiry, tls.cert.expiry), certificate files the
            // check could not read (cert.file), configurations naming certificates that could not be read (cert.discovery).
            var unverified: [CertificatesView.Unverified] = []
            try db.forEachRow(sql: "SELECT \(columns) WHERE c.notAfter IS NULL\(condition)", arguments: SQLArguments(arguments)) { row in
                unverified.append(CertificatesView.Unverified(
                    kind: (row[4] as String) == "tls.cert.expiry" ? "served" : "file", siren: row[0], entity: row[1], host: row[2],
                    target: row[3], status: row[5], reason: reason(english: row[12], french: row[13])))
            }
            unverified.sort { ($0.siren, $0.host, $0.target) < ($1.siren, $1.host, $1.target) }
            var totalUnverified: Int?
            if let limit {
                totalUnverified = unverified.count
                if unverified.count > limit { unverified.removeSubrange(limit...) }
            }
            return CertificatesView(
                now: ISO8601.string(from: now), windowDays: days, certificates: certificates, unverified: unverified, filter: filter.orNil,
                coverage: try coverage(db, filter: filter, domains: filter.domain.map { [$0] } ?? [.certificates, .tls]),
                totalCertificates: total, totalUnverified: totalUnverified)
        }
    }

    // MARK: trend

    /// Territory score after each report of a member, oldest first (`TrendBuilder`). With a filter naming
    /// entities, the mean of those entities after each of their reports; the domain of a filter is not used
    /// (a point is an overall score: the command refuses `--domain`).
    /// - Throws: `InputError(.missing)` when the filter names a SIREN the store does not know.
    public func trend(filter: ViewFilter = ViewFilter()) throws -> TrendView {
        try store.read { db in
            try requireKnown(filter, db)
            let scope: TrendBuilder.Scope
            if let entities = filter.entities { scope = .entities(entities) } else { scope = .territory(try TerritoryStore.roster(db)) }
            return TrendView(
                now: ISO8601.string(from: now), points: try TrendBuilder.points(db, scope: scope, language: language),
                filter: ViewFilter(entities: filter.entities).orNil)
        }
    }

    /// `trend(filter:)`, but one point per UTC day when the scope holds more than `limit` reports (`dailyOfReports`
    /// then says how many): each point is the one the per-report trend gives for the day's last report, computed
    /// without judging an entity at its earlier reports of the day. For charts that cannot show one point per report.
    /// The territory's daily points (no entity in the filter) are read from those kept at ingest (`TrendDays`: one row
    /// per day instead of every report replayed), the same points.
    /// - Throws: `InputError(.missing)` when the filter names a SIREN the store does not know.
    public func trend(filter: ViewFilter = ViewFilter(), dailyBeyond limit: Int) throws -> TrendView {
        try store.read { db in
            try requireKnown(filter, db)
            if filter.entities == nil, let kept = try TrendDays.points(db, language: language), kept.reports > limit {
                return TrendView(now: ISO8601.string(from: now), points: kept.points, filter: nil, dailyOfReports: kept.reports)
            }
            let scope: TrendBuilder.Scope
            if let entities = filter.entities { scope = .entities(entities) } else { scope = .territory(try TerritoryStore.roster(db)) }
            let built = try TrendBuilder.points(db, scope: scope, language: language, dailyBeyond: limit)
            return TrendView(
                now: ISO8601.string(from: now), points: built.points, filter: ViewFilter(entities: filter.entities).orNil,
                dailyOfReports: built.daily ? built.reports : nil)
        }
    }

    // MARK: host and entity

    /// The latest report of each host named `hostname` (any entity), in full, with its trend.
    /// With a `filter`, the hosts of that name among its entities only, and the results and fixes of its domain.
    /// - Throws: `InputError(.missing)` when no host (of the filter's entities) has that name, or the filter
    ///   names a SIREN the store does not know.
    public func host(_ hostname: String, filter: ViewFilter = ViewFilter()) throws -> [DetailView] {
        let matches = try store.read { db in
            try requireKnown(filter, db)
            return try db.fetchRows(sql: "SELECT id, siren FROM host WHERE lower(hostname) = lower(?) ORDER BY siren", arguments: [hostname])
                .map { (id: $0[0] as Int64, siren: $0[1] as String) }.filter { filter.keeps(siren: $0.siren) }
        }
        guard !matches.isEmpty else {
            if let entities = filter.entities {
                let list = entities.joined(separator: ", ")
                throw InputError(
                    .missing, fr: "aucun hôte nommé \(hostname) pour le SIREN \(list) dans la base (voir `cyberctl territory status`)",
                    en: "no host named \(hostname) for SIREN \(list) in the store (see `cyberctl territory status`)")
            }
            throw InputError(
                .missing, fr: "aucun hôte nommé \(hostname) dans la base (voir `cyberctl territory status`)",
                en: "no host named \(hostname) in the store (see `cyberctl territory status`)")
        }
        return try matches.map { try detail(siren: $0.siren, hostIDs: [$0.id], filter: filter) }
    }

    /// An entity's hosts' latest reports, combined score, findings and trend.
    /// With a filter's domain, the results and fixes of that domain only (its entities are not used: the
    /// entity is `siren`). Its score, level, caps and silence are those of its `territory status` row
    /// (`statusRow`: a host whose every report was withdrawn counts, silent, its caps unverified).
    /// - Throws: `InputError(.missing)` when the SIREN has no report.
    public func entity(_ siren: String, filter: ViewFilter = ViewFilter()) throws -> DetailView {
        let hostIDs = try store.read { db in try db.fetchAll(Int64.self, sql: "SELECT id FROM host WHERE siren = ? ORDER BY hostname\(db.dialect.byteOrder)", arguments: [siren]) }
        guard !hostIDs.isEmpty else {
            throw InputError(
                .missing, fr: "aucun rapport du SIREN \(siren) dans la base (voir `cyberctl territory status`)",
                en: "no report for SIREN \(siren) in the store (see `cyberctl territory status`)")
        }
        var view = try detail(siren: siren, hostIDs: hostIDs, filter: ViewFilter(domain: filter.domain))
        // The one judgement: the status row's (the same sums and cap inputs), not a second computation.
        if let row = try store.read({ db in try statusRow(db, siren: siren) }) {
            view.score = row.score
            view.stale = row.stale
        }
        return view
    }

    func detail(siren: String, hostIDs: [Int64], filter: ViewFilter = ViewFilter()) throws -> DetailView {
        try store.read { db in
            let name = try db.fetchOne(String.self, sql: "SELECT name FROM entity WHERE siren = ?", arguments: [siren])
            let idList = hostIDs.map(String.init).joined(separator: ",")
            var headers: [ReportHeader] = []
            var results: [StoredResult] = []
            var checkResults: [(host: String, result: CheckResult)] = []
            var newest = Int.min
            let reports = try db.fetchRows(sql: """
                SELECT r.*, h.hostname FROM host h JOIN report r ON r.key = h.latestReportKey WHERE h.id IN (\(idList)) ORDER BY h.hostname\(db.dialect.byteOrder)
                """)
            var tally = ScoreTally()
            var capInputs: [HostCapInput] = []
            let pending = try FactReader.pendingSince(db, hostIDs: hostIDs)
            for report in reports {
                let hostname: String = report["hostname"]
                let key: Int64 = report["key"]
                newest = max(newest, report["generatedAt"])
                var hostResults: [CheckResult] = []
                for row in try db.fetchRows(sql: "SELECT * FROM result WHERE reportKey = ? ORDER BY ordinal", arguments: [key]) {
                    let code: String = row["code"]
                    let status = Status(rawValue: row["status"]) ?? .error
                    let severity = Severity(rawValue: row["severity"]) ?? .info
                    let evidence = JSONText.decode(row["evidence"])
                    let references: [String]
                    if case .array(let values) = JSONText.decode(row["references"]) { references = values.compactMap(\.stringValue) } else { references = [] }
                    var result = CheckResult(
                        check: row["check"], target: row["target"], code: code, status: status, severity: severity,
                        evidence: { if case .object(let o) = evidence { return o } else { return [:] } }(), references: references,
                        durationMs: row["durationMs"])
                    result.reason = row["reason"]
                    result.reasonFr = row["reasonFr"]
                    hostResults.append(result)
                    guard filter.keeps(code: code) else { continue }
                    results.append(StoredResult(
                        host: hostname, check: result.check, target: result.target, code: code, title: title(code), status: status,
                        severity: severity, evidence: evidence, reason: result.reason(in: language)))
                }
                let hostTally = ScoreTally(hostResults)
                tally.merge(hostTally)
                var facts = CapFactBuilder()
                for result in hostResults { facts.add(code: result.code, status: result.status, target: result.target, evidence: .object(result.evidence)) }
                let input = HostCapInput(
                    hostname: hostname, reportTime: report["generatedAt"], facts: facts.facts, pendingSince: pending[report["hostID"] as Int64] ?? [:])
                capInputs.append(input)
                checkResults += hostResults.map { (hostname, $0) }
                let os = [report["osID"] as String?, report["osVersion"] as String?].compactMap { $0 }.joined(separator: " ")
                headers.append(ReportHeader(
                    id: report["id"], sha256: report["sha256"], host: hostname, generatedAt: Self.time(report["generatedAt"]),
                    signingTime: Self.time(report["signingTime"]), signer: report["signerSubject"], signerSerial: report["signerSerial"],
                    profile: report["profile"], agentVersion: report["agentVersion"], os: os.isEmpty ? nil : os,
                    score: ScoreLine(hostTally.summary, caps: CapEvaluation.entityCaps([input], now: nowSeconds, language: language)),
                    sourcePath: report["sourcePath"]))
            }
            // The one formula: fixes ranked by Scoring.bestFixes over all the latest results.
            let all = checkResults.map(\.result)
            let fixes = Scoring.bestFixes(all, limit: filter.domain == nil ? 5 : Int.max).filter { filter.keeps(code: $0.result.code) }.prefix(5).map { gain in
                let host = checkResults.first { $0.result == gain.result }?.host ?? ""
                return DetailView.Fix(
                    host: host, code: gain.result.code, title: title(gain.result.code), target: gain.result.target, severity: gain.result.severity,
                    scoreAfter: gain.scoreAfter, gain: gain.gain)
            }
            let order: [Status: Int] = [.fail: 0, .warn: 1, .error: 2, .skip: 3, .pass: 4]
            results.sort { (order[$0.status]!, -$0.severity.weight, $0.host, $0.code, $0.target) < (order[$1.status]!, -$1.severity.weight, $1.host, $1.code, $1.target) }
            let roster = try TerritoryStore.roster(db)
            // Per server: one fresh server must not hide a silent one, nor one whose every report was withdrawn.
            let limit = TerritoryJudgement.silenceLimit(now: nowSeconds, days: roster?.silentAfterDays ?? Roster.defaultSilentAfterDays)
            var silentHosts: [DetailView.SilentHost] = []
            try db.forEachRow(sql: """
                SELECT hostname, latestReportKey, latestGeneratedAt FROM host h
                WHERE h.id IN (\(idList)) ORDER BY hostname\(db.dialect.byteOrder)
                """, arguments: []) { row in
                let hostname: String = row[0]
                if (row[1] as Int64?) == nil {
                    silentHosts.append(.init(host: hostname, lastReport: nil, ageDays: nil, withdrawn: true))
                } else if let time = row[2] as Int?, time < limit {
                    silentHosts.append(.init(host: hostname, lastReport: Self.time(time), ageDays: max(0, (nowSeconds - time) / 86_400), withdrawn: false))
                }
            }
            return DetailView(
                now: ISO8601.string(from: now), siren: siren, name: roster?.member(siren)?.name ?? name, reports: headers,
                score: ScoreLine(tally.summary, caps: CapEvaluation.entityCaps(capInputs, now: nowSeconds, language: language)),
                stale: TerritoryJudgement.isSilent(newest: newest, now: nowSeconds, days: roster?.silentAfterDays ?? Roster.defaultSilentAfterDays),
                inPerimeter: roster.map { $0.sirens.contains(siren) } ?? true, results: results, fixes: fixes,
                trend: try TrendBuilder.points(db, scope: .hosts(hostIDs), language: language), filter: filter.orNil, silentHosts: silentHosts)
        }
    }

    // MARK: rejected

    /// Every refused file, most recently seen first; with `includeResolved`, also those whose same
    /// bytes were accepted later.
    public func rejected(includeResolved: Bool = false) throws -> RejectedView {
        try store.read { db in
            let filter = includeResolved ? "" : " WHERE resolvedAt IS NULL"
            return RejectedView(rejections: try db.fetchRows(sql: "SELECT * FROM rejection\(filter) ORDER BY lastSeen DESC, path\(db.dialect.byteOrder)").map { row in
                let code: String = row["code"]
                return RejectedView.Rejection(
                    path: row["path"], sha256: row["sha256"], code: code, title: RejectionCode.title(code, language),
                    message: language == .fr ? (row["messageFr"] as String?) ?? row["message"] : row["message"],
                    firstSeen: Self.time(row["firstSeen"]), lastSeen: Self.time(row["lastSeen"]), seen: row["seen"],
                    resolvedAt: (row["resolvedAt"] as Int?).map(Self.time))
            })
        }
    }
}

extension SQLConnection {
    /// ` INDEXED BY name` on SQLite, nothing elsewhere: the views name the small partial index SQLite's planner
    /// should read (it may otherwise scan `result`'s primary key); PostgreSQL has no such clause and picks a
    /// partial index by itself when the query's condition implies the index's.
    func indexedBy(_ index: String) -> String { dialect == .sqlite ? " INDEXED BY \(index)" : "" }
}
