import Agent
import Checks
import Foundation
import GRDB

/// A report is stale when the newest report of its host or entity is older than 7 days: a weekly
/// scan (systemd timer) missed its run, so the picture may no longer be true.
public let staleAfterDays = 7

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

/// The score of a set of results, as published (`ScoreTally.summary`).
public struct ScoreLine: Codable, Sendable, Equatable {
    public var score: Int?
    public var level: String?
    public var coverage: Double
    public var domains: [String: Int]
    /// Domains whose every counted result erred ("non évalué"): no score, 0 in the overall score.
    public var notEvaluated: [String]

    init(_ summary: ScoreSummary) {
        score = summary.score
        level = summary.level?.rawValue
        coverage = summary.coverage
        domains = Dictionary(uniqueKeysWithValues: summary.domains.map { ($0.key.rawValue, $0.value) })
        notEvaluated = summary.notEvaluated.map(\.rawValue)
    }
}

/// `territory status`: one row per entity.
public struct StatusView: Codable, Sendable {
    public var now: String
    public var territory: Territory
    public var entities: [EntityRow]
    public var fixes: [RuleFix]

    public struct Territory: Codable, Sendable {
        public var entities: Int
        public var hosts: Int
        public var reports: Int
        public var staleEntities: Int
        public var score: ScoreLine
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
        /// True when the newest report is older than `staleAfterDays`.
        public var stale: Bool
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
        /// Findings of the previous report gone from the latest one.
        public var resolved: Int
        /// Territory score gain if every result of this rule passed.
        public var gain: Double
        public var affected: [Affected]
    }

    public struct Affected: Codable, Sendable {
        public var siren: String
        public var name: String?
        public var hosts: [String]
    }
}

/// `territory certificates --expiring`: certificates ending within the window, soonest first.
public struct CertificatesView: Codable, Sendable {
    public var now: String
    public var windowDays: Int
    public var certificates: [Certificate]

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
    /// Day (UTC, `YYYY-MM-DD`) or report time.
    public var at: String
    public var score: Int?
    public var level: String?
    public var coverage: Double
    /// Hosts whose latest report at that time counts.
    public var hosts: Int
}

/// `territory trend`.
public struct TrendView: Codable, Sendable {
    public var now: String
    public var points: [TrendPoint]
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
    public var stale: Bool
    public var results: [StoredResult]
    public var fixes: [Fix]
    public var trend: [TrendPoint]

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

    // MARK: status

    /// One row per entity from the hosts' latest reports and their precomputed domain sums, summed
    /// by SQLite (the views never read results for this).
    public func status(fixes fixLimit: Int = 3) throws -> StatusView {
        try store.read { db in
            struct Accumulator {
                var name: String?
                var departement: String?
                var tally = ScoreTally()
                var hosts = 0
                var staleHosts = 0
                var newest = Int.min
                var failing: [String: Int] = [:]
                var warnings: [String: Int] = [:]
            }
            let staleLimit = nowSeconds - staleAfterDays * 86_400
            var byEntity: [String: Accumulator] = [:]
            var territory = ScoreTally()
            // Sums kept at ingest (entity.latest*, entity_domain): no latest report is re-read here.
            let hostRows = try Row.fetchCursor(db, sql: """
                SELECT e.siren, e.name, e.departement, h.hosts, h.newest, h.stale, e.latestResults, e.latestScored
                FROM (SELECT siren, COUNT(*) AS hosts, MAX(latestGeneratedAt) AS newest, SUM(latestGeneratedAt < ?) AS stale
                      FROM host WHERE latestReportKey IS NOT NULL GROUP BY siren) h
                JOIN entity e ON e.siren = h.siren
                """, arguments: [staleLimit])
            while let row = try hostRows.next() {
                var entry = Accumulator()
                entry.name = row[1]
                entry.departement = row[2]
                entry.hosts = row[3]
                entry.newest = row[4]
                entry.staleHosts = row[5]
                entry.tally.total = row[6]
                entry.tally.scored = row[7]
                territory.total += entry.tally.total
                territory.scored += entry.tally.scored
                byEntity[row[0]] = entry
            }
            let domainRows = try Row.fetchCursor(db, sql: "SELECT siren, domain, weight, earned, failing, warning, unverified FROM entity_domain")
            while let row = try domainRows.next() {
                let siren: String = row[0]
                guard let name: String = row[1], let domain = Domain(rawValue: name), byEntity[siren] != nil else { continue }
                let weight: Double = row[2]
                let earned: Double = row[3]
                let unverified: Double = row[6]
                if weight > 0 {
                    byEntity[siren]!.tally.weight[domain] = weight
                    byEntity[siren]!.tally.earned[domain] = earned
                    byEntity[siren]!.tally.unverified[domain] = unverified
                    territory.weight[domain, default: 0] += weight
                    territory.earned[domain, default: 0] += earned
                    territory.unverified[domain, default: 0] += unverified
                }
                let failing: Int = row[4], warning: Int = row[5]
                if failing > 0 { byEntity[siren]!.failing[name] = failing }
                if warning > 0 { byEntity[siren]!.warnings[name] = warning }
            }
            var entities: [StatusView.EntityRow] = []
            entities.reserveCapacity(byEntity.count)
            var staleEntities = 0
            var hostCount = 0
            for (siren, entry) in byEntity {
                let stale = entry.newest < staleLimit
                if stale { staleEntities += 1 }
                hostCount += entry.hosts
                entities.append(StatusView.EntityRow(
                    siren: siren, name: entry.name, departement: entry.departement, hosts: entry.hosts,
                    staleHosts: entry.staleHosts, newestReport: Self.time(entry.newest),
                    ageDays: max(0, (nowSeconds - entry.newest) / 86_400), stale: stale, score: ScoreLine(entry.tally.summary),
                    failing: entry.failing, warnings: entry.warnings))
            }
            entities.sort { ($0.score.score ?? -1, $0.name ?? $0.siren, $0.siren) < ($1.score.score ?? -1, $1.name ?? $1.siren, $1.siren) }
            let reportCount = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM report") ?? 0
            return StatusView(
                now: ISO8601.string(from: now),
                territory: .init(entities: entities.count, hosts: hostCount, reports: reportCount, staleEntities: staleEntities, score: ScoreLine(territory.summary)),
                entities: entities,
                fixes: fixLimit > 0 ? try ruleFixes(db, tally: territory, limit: fixLimit) : [])
        }
    }

    /// Rules whose fixing everywhere would raise the score of `tally` (all hosts' latest reports) most,
    /// from the latest reports' precomputed per-rule deficits: the same arithmetic as `Scoring.bestFixes`,
    /// applied to every result of the rule at once.
    func ruleFixes(_ db: Database, tally: ScoreTally, limit: Int) throws -> [RuleFix] {
        guard let base = tally.exactScore else { return [] }
        let before = tally.summary.score ?? 0
        var fixes: [RuleFix] = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT f.code, f.domain, SUM(f.deficit),
                MAX(CASE f.severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2 WHEN 'low' THEN 1 ELSE 0 END),
                COUNT(DISTINCT h.siren), COUNT(*)
            FROM host h JOIN report_finding f ON f.reportKey = h.latestReportKey
            GROUP BY f.code
            """)
        while let row = try rows.next() {
            let code: String = row[0]
            guard let domain = (row[1] as String?).flatMap(Domain.init(rawValue:)) else { continue }
            var fixed = tally
            fixed.earned[domain, default: 0] += row[2] as Double
            guard let after = fixed.exactScore else { continue }
            fixes.append(RuleFix(
                code: code, title: title(code), domain: domain.rawValue, severity: Severity.allCases[min(4, max(0, row[3] as Int))],
                entities: row[4], hosts: row[5], scoreBefore: before, scoreAfter: fixed.summary.score ?? before,
                gain: ((after - base) * 100).rounded() / 100))
        }
        fixes.sort { ($0.gain, $0.severity, $1.code) > ($1.gain, $1.severity, $0.code) }
        return Array(fixes.prefix(limit))
    }

    // MARK: findings

    /// Rules with warn/fail results in the latest reports, ranked by worst severity weight × entities;
    /// each finding (host, target) compared with the host's previous report.
    public func findings(top: Int? = nil, domain: Domain? = nil, minimumSeverity: Severity? = nil) throws -> FindingsView {
        try store.read { db in
            struct Key: Hashable { var host: Int64; var code: String; var target: String }
            var latest: [Key: (severity: Severity, siren: String)] = [:]
            var previous = Set<Key>()
            let rows = try Row.fetchCursor(db, sql: """
                WITH ranked AS (
                    SELECT key, hostID, siren,
                        ROW_NUMBER() OVER (PARTITION BY hostID ORDER BY generatedAt DESC, signingTime DESC, id DESC) AS position
                    FROM report)
                SELECT ranked.position, ranked.hostID, ranked.siren, res.code, res.target, res.severity
                FROM ranked JOIN result res INDEXED BY result_finding ON res.reportKey = ranked.key
                WHERE ranked.position <= 2 AND res.status IN ('warn', 'fail')
                """)
            while let row = try rows.next() {
                let key = Key(host: row[1], code: row[3], target: row[4])
                if (row[0] as Int) == 1 {
                    let severity = Severity(rawValue: row[5]) ?? .info
                    latest[key] = (max(latest[key]?.severity ?? .info, severity), row[2])
                } else {
                    previous.insert(key)
                }
            }
            var hostnames: [Int64: String] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT id, hostname FROM host") { hostnames[row[0]] = row[1] }
            var names: [String: String?] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT siren, name FROM entity") { names[row[0]] = row[1] as String? }

            struct Sum {
                var severity = Severity.info
                var results = 0, new = 0, persistent = 0, resolved = 0
                var hosts: [String: Set<Int64>] = [:]

                mutating func add(severity: Severity, siren: String, host: Int64, persistent isPersistent: Bool) {
                    self.severity = max(self.severity, severity)
                    results += 1
                    hosts[siren, default: []].insert(host)
                    if isPersistent { persistent += 1 } else { new += 1 }
                }
            }
            var sums: [String: Sum] = [:]
            for (key, value) in latest {
                // Mutated in place (never copied out and back: that copied `hosts` each time).
                sums[key.code, default: Sum()].add(severity: value.severity, siren: value.siren, host: key.host, persistent: previous.contains(key))
            }
            for key in previous where latest[key] == nil {
                sums[key.code, default: Sum()].resolved += 1
            }
            // Territory gains, from the same precomputed sums the status uses.
            let territory = try territoryTally(db)
            let gains = Dictionary(
                try ruleFixes(db, tally: territory, limit: Int.max).map { ($0.code, $0.gain) }, uniquingKeysWith: { a, _ in a })
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
                let affected = sum.hosts.keys.sorted().map { siren in
                    FindingsView.Affected(siren: siren, name: names[siren] ?? nil, hosts: sum.hosts[siren]!.compactMap { hostnames[$0] }.sorted())
                }
                findings.append(FindingsView.Finding(
                    code: code, title: title(code), domain: ruleDomain?.rawValue, severity: sum.severity, entities: sum.hosts.count,
                    hosts: sum.hosts.values.reduce(0) { $0 + $1.count }, results: sum.results,
                    rank: sum.severity.weight * Double(sum.hosts.count), new: sum.new, persistent: sum.persistent, resolved: sum.resolved,
                    gain: gains[code] ?? 0, affected: affected))
            }
            findings.sort { ($0.rank, $0.results, $1.code) > ($1.rank, $1.results, $0.code) }
            if let top { findings = Array(findings.prefix(max(0, top))) }
            return FindingsView(now: ISO8601.string(from: now), findings: findings)
        }
    }

    /// Σ of every host's latest report tally.
    func territoryTally(_ db: Database) throws -> ScoreTally {
        var tally = ScoreTally()
        let filter = ""
        for row in try Row.fetchAll(db, sql: "SELECT SUM(r.resultCount), SUM(r.scoredCount) FROM host h JOIN report r ON r.key = h.latestReportKey" + filter) {
            tally.total = row[0] ?? 0
            tally.scored = row[1] ?? 0
        }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT d.domain, SUM(d.weight), SUM(d.earned), SUM(d.unverified) FROM host h JOIN report_domain d ON d.reportKey = h.latestReportKey
            """ + filter + " GROUP BY d.domain")
        while let row = try rows.next() {
            guard let domain = Domain(rawValue: row[0]) else { continue }
            let weight: Double = row[1]
            if weight > 0 {
                tally.weight[domain] = weight
                tally.earned[domain] = row[2]
                tally.unverified[domain] = row[3]
            }
        }
        return tally
    }

    // MARK: certificates

    /// Certificates (cert.expiry on files, tls.cert.expiry on endpoints) of the hosts' latest reports
    /// whose notAfter falls before now + `days` (already expired ones included), soonest first.
    public func certificates(expiringWithinDays days: Int) throws -> CertificatesView {
        try store.read { db in
            let limit = now.addingTimeInterval(TimeInterval(days) * 86_400)
            var certificates: [CertificatesView.Certificate] = []
            let rows = try Row.fetchCursor(db, sql: """
                SELECT h.siren, e.name, h.hostname, res.target, res.code, res.evidence, res.status
                FROM host h JOIN entity e ON e.siren = h.siren JOIN result res INDEXED BY result_certificate ON res.reportKey = h.latestReportKey
                WHERE res.code IN ('cert.expiry', 'tls.cert.expiry')
                """)
            while let row = try rows.next() {
                guard case .object(let evidence) = JSONText.decode(row[5]),
                      let notAfterText = evidence["notAfter"]?.stringValue, let notAfter = ISO8601.date(from: notAfterText),
                      notAfter <= limit
                else { continue }
                let sans: [String]
                if case .array(let values)? = evidence["subjectAltNames"] { sans = values.compactMap(\.stringValue) } else { sans = [] }
                certificates.append(CertificatesView.Certificate(
                    notAfter: notAfterText, daysLeft: Int((notAfter.timeIntervalSince(now) / 86_400).rounded(.down)),
                    subject: evidence["subject"]?.stringValue, issuer: evidence["issuer"]?.stringValue, sha256: evidence["sha256"]?.stringValue,
                    subjectAltNames: sans, kind: (row[4] as String) == "cert.expiry" ? "file" : "served", siren: row[0], entity: row[1],
                    host: row[2], target: row[3], status: row[6]))
            }
            certificates.sort { ($0.notAfter, $0.siren, $0.host, $0.target) < ($1.notAfter, $1.siren, $1.host, $1.target) }
            return CertificatesView(now: ISO8601.string(from: now), windowDays: days, certificates: certificates)
        }
    }

    // MARK: trend

    struct TallyRow {
        var hostID: Int64
        var generatedAt: Int
        var tally: ScoreTally
    }

    /// Every report's tally, oldest first (optionally for some entities only).
    func reportTallies(_ db: Database, siren: String? = nil, hostIDs: [Int64]? = nil) throws -> [TallyRow] {
        var clauses: [String] = []
        var arguments: [any DatabaseValueConvertible] = []
        if let siren { clauses.append("r.siren = ?"); arguments.append(siren) }
        if let hostIDs { clauses.append("r.hostID IN (\(hostIDs.map(String.init).joined(separator: ",")))") }
        let filter = clauses.isEmpty ? "" : " WHERE " + clauses.joined(separator: " AND ")
        var byKey: [Int64: TallyRow] = [:]
        var order: [Int64] = []
        let rows = try Row.fetchCursor(db, sql: """
            SELECT r.key, r.hostID, r.generatedAt, r.resultCount, r.scoredCount, d.domain, d.weight, d.earned, d.unverified
            FROM report r LEFT JOIN report_domain d ON d.reportKey = r.key\(filter)
            ORDER BY r.generatedAt, r.signingTime, r.id
            """, arguments: StatementArguments(arguments))
        while let row = try rows.next() {
            let key: Int64 = row[0]
            if byKey[key] == nil {
                var tally = ScoreTally()
                tally.total = row[3]
                tally.scored = row[4]
                byKey[key] = TallyRow(hostID: row[1], generatedAt: row[2], tally: tally)
                order.append(key)
            }
            if let name: String = row[5], let domain = Domain(rawValue: name), (row[6] as Double) > 0 {
                byKey[key]!.tally.weight[domain, default: 0] += row[6] as Double
                byKey[key]!.tally.earned[domain, default: 0] += row[7] as Double
                byKey[key]!.tally.unverified[domain, default: 0] += row[8] as Double
            }
        }
        return order.map { byKey[$0]! }
    }

    /// Score at the end of each UTC day that has reports: the sum of each host's latest report up to then.
    static func dailyTrend(_ reports: [TallyRow]) -> [TrendPoint] {
        var current: [Int64: ScoreTally] = [:]
        var total = ScoreTally()
        var points: [TrendPoint] = []
        var index = 0
        while index < reports.count {
            let day = reports[index].generatedAt / 86_400
            while index < reports.count && reports[index].generatedAt / 86_400 == day {
                // Running sum: take the host's previous report out, put the new one in.
                if let previous = current[reports[index].hostID] { total.remove(previous) }
                total.merge(reports[index].tally)
                current[reports[index].hostID] = reports[index].tally
                index += 1
            }
            let summary = total.summary
            points.append(TrendPoint(
                at: String(time(day * 86_400).prefix(10)), score: summary.score, level: summary.level?.rawValue, coverage: summary.coverage,
                hosts: current.count))
        }
        return points
    }

    /// Territory score at the end of each day with reports.
    public func trend() throws -> TrendView {
        try store.read { db in TrendView(now: ISO8601.string(from: now), points: Self.dailyTrend(try reportTallies(db))) }
    }

    // MARK: host and entity

    /// The latest report of each host named `hostname` (any entity), in full, with its trend.
    /// - Throws: `InputError(.missing)` when no host has that name.
    public func host(_ hostname: String) throws -> [DetailView] {
        let matches = try store.read { db in
            try Row.fetchAll(db, sql: "SELECT id, siren FROM host WHERE hostname = ? COLLATE NOCASE ORDER BY siren", arguments: [hostname])
                .map { (id: $0[0] as Int64, siren: $0[1] as String) }
        }
        guard !matches.isEmpty else { throw InputError(.missing, "no host named \(hostname) in the store (see `cyberctl territory status`)") }
        return try matches.map { try detail(siren: $0.siren, hostIDs: [$0.id]) }
    }

    /// An entity's hosts' latest reports, combined score, findings and trend.
    /// - Throws: `InputError(.missing)` when the SIREN has no report.
    public func entity(_ siren: String) throws -> DetailView {
        let hostIDs = try store.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM host WHERE siren = ? ORDER BY hostname", arguments: [siren]) }
        guard !hostIDs.isEmpty else { throw InputError(.missing, "no report for SIREN \(siren) in the store (see `cyberctl territory status`)") }
        return try detail(siren: siren, hostIDs: hostIDs)
    }

    func detail(siren: String, hostIDs: [Int64]) throws -> DetailView {
        try store.read { db in
            let name = try String.fetchOne(db, sql: "SELECT name FROM entity WHERE siren = ?", arguments: [siren])
            let idList = hostIDs.map(String.init).joined(separator: ",")
            var headers: [ReportHeader] = []
            var results: [StoredResult] = []
            var checkResults: [(host: String, result: CheckResult)] = []
            var newest = Int.min
            let reports = try Row.fetchAll(db, sql: """
                SELECT r.*, h.hostname FROM host h JOIN report r ON r.key = h.latestReportKey WHERE h.id IN (\(idList)) ORDER BY h.hostname
                """)
            var tally = ScoreTally()
            for report in reports {
                let hostname: String = report["hostname"]
                let key: Int64 = report["key"]
                newest = max(newest, report["generatedAt"])
                var hostResults: [CheckResult] = []
                for row in try Row.fetchAll(db, sql: "SELECT * FROM result WHERE reportKey = ? ORDER BY ordinal", arguments: [key]) {
                    let code: String = row["code"]
                    let status = Status(rawValue: row["status"]) ?? .error
                    let severity = Severity(rawValue: row["severity"]) ?? .info
                    let evidence = JSONText.decode(row["evidence"])
                    let references: [String]
                    if case .array(let values) = JSONText.decode(row["references"]) { references = values.compactMap(\.stringValue) } else { references = [] }
                    let result = CheckResult(
                        check: row["check"], target: row["target"], code: code, status: status, severity: severity,
                        evidence: { if case .object(let o) = evidence { return o } else { return [:] } }(), references: references,
                        reason: row["reason"], durationMs: row["durationMs"])
                    hostResults.append(result)
                    results.append(StoredResult(
                        host: hostname, check: result.check, target: result.target, code: code, title: title(code), status: status,
                        severity: severity, evidence: evidence, reason: result.reason))
                }
                let hostTally = ScoreTally(hostResults)
                tally.merge(hostTally)
                checkResults += hostResults.map { (hostname, $0) }
                let os = [report["osID"] as String?, report["osVersion"] as String?].compactMap { $0 }.joined(separator: " ")
                headers.append(ReportHeader(
                    id: report["id"], sha256: report["sha256"], host: hostname, generatedAt: Self.time(report["generatedAt"]),
                    signingTime: Self.time(report["signingTime"]), signer: report["signerSubject"], signerSerial: report["signerSerial"],
                    profile: report["profile"], agentVersion: report["agentVersion"], os: os.isEmpty ? nil : os,
                    score: ScoreLine(hostTally.summary), sourcePath: report["sourcePath"]))
            }
            // The one formula: fixes ranked by Scoring.bestFixes over all the latest results.
            let all = checkResults.map(\.result)
            let fixes = Scoring.bestFixes(all, limit: 5).map { gain in
                let host = checkResults.first { $0.result == gain.result }?.host ?? ""
                return DetailView.Fix(
                    host: host, code: gain.result.code, title: title(gain.result.code), target: gain.result.target, severity: gain.result.severity,
                    scoreAfter: gain.scoreAfter, gain: gain.gain)
            }
            let order: [Status: Int] = [.fail: 0, .warn: 1, .error: 2, .skip: 3, .pass: 4]
            results.sort { (order[$0.status]!, -$0.severity.weight, $0.host, $0.code, $0.target) < (order[$1.status]!, -$1.severity.weight, $1.host, $1.code, $1.target) }
            return DetailView(
                now: ISO8601.string(from: now), siren: siren, name: name, reports: headers, score: ScoreLine(tally.summary),
                stale: newest < nowSeconds - staleAfterDays * 86_400, results: results, fixes: fixes,
                trend: Self.dailyTrend(try reportTallies(db, hostIDs: hostIDs)))
        }
    }

    // MARK: rejected

    /// Every refused file, most recently seen first; with `includeResolved`, also those whose same
    /// bytes were accepted later.
    public func rejected(includeResolved: Bool = false) throws -> RejectedView {
        try store.read { db in
            let filter = includeResolved ? "" : " WHERE resolvedAt IS NULL"
            return RejectedView(rejections: try Row.fetchAll(db, sql: "SELECT * FROM rejection\(filter) ORDER BY lastSeen DESC, path").map { row in
                let code: String = row["code"]
                return RejectedView.Rejection(
                    path: row["path"], sha256: row["sha256"], code: code, title: RejectionCode.title(code, language), message: row["message"],
                    firstSeen: Self.time(row["firstSeen"]), lastSeen: Self.time(row["lastSeen"]), seen: row["seen"],
                    resolvedAt: (row["resolvedAt"] as Int?).map(Self.time))
            })
        }
    }
}
