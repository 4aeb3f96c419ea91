import Agent
import Checks
import FoundationEssentials
import Model

/// A report as one JSON document for Zabbix: the master item of the template in `packaging/zabbix`
/// (`cyberctl.json`, a `UserParameter`), from which dependent items and low-level discovery rules take
/// their values with JSONPath. Keys and shapes (docs/monitoring.md, "Zabbix"):
///
/// ```json
/// {
///   "report": {"time": 1800000000, "host": "srv-mairie", "profile": "default", "score": 72, "level": "C",
///              "coverage": 0.95, "state": 2},
///   "results": {"pass": 12, "warn": 1, "fail": 1, "error": 0, "skip": 2},
///   "updates": {"pending": 12, "security": 3},
///   "domains": [{"{#DOMAIN}": "certificates", "score": 45}],
///   "certificates": [{"{#TARGET}": "/etc/ssl/x.pem", "daysLeft": 20}],
///   "backups": [{"{#TARGET}": "/srv/backup", "newestTimestamp": 1799992800, "ageSeconds": 7200}],
///   "rules": [{"{#RULE}": "cert.expiry", "{#TARGET}": "/etc/ssl/x.pem", "{#CHECK}": "cert.files",
///              "status": "warn", "severity": "medium", "state": 1}]
/// }
/// ```
///
/// `state` is the monitoring-plugin state (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; `PluginState`), -1 for a
/// result that does not apply (`skip`). A figure that was not verified is `null` (`score`, `level`, `updates.*`)
/// or absent (a certificate or backup that erred): the Zabbix item then turns unsupported, never a false 0.
/// The same rule on the same target twice gives one entry, the worst (a discovery rule refuses duplicates).
public struct ZabbixDocument: Encodable, Sendable {
    public struct Summary: Encodable, Sendable {
        public let time: Int
        public let host: String
        public let profile: String
        public let score: Int?
        public let level: String?
        public let coverage: Double
        public let state: Int32

        enum CodingKeys: String, CodingKey { case time, host, profile, score, level, coverage, state }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(time, forKey: .time)
            try container.encode(host, forKey: .host)
            try container.encode(profile, forKey: .profile)
            try container.encode(score, forKey: .score)
            try container.encode(level, forKey: .level)
            try container.encode(coverage, forKey: .coverage)
            try container.encode(state, forKey: .state)
        }
    }

    public struct Updates: Encodable, Sendable {
        public let pending: Int?
        public let security: Int?

        enum CodingKeys: String, CodingKey { case pending, security }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(pending, forKey: .pending)
            try container.encode(security, forKey: .security)
        }
    }

    public struct DomainScore: Encodable, Sendable {
        public let domain: String
        public let score: Int
        enum CodingKeys: String, CodingKey { case domain = "{#DOMAIN}", score }
    }

    public struct Certificate: Encodable, Sendable {
        public let target: String
        public let daysLeft: Int
        enum CodingKeys: String, CodingKey { case target = "{#TARGET}", daysLeft }
    }

    public struct Backup: Encodable, Sendable {
        public let target: String
        public let newestTimestamp: Int
        public let ageSeconds: Int
        enum CodingKeys: String, CodingKey { case target = "{#TARGET}", newestTimestamp, ageSeconds }
    }

    public struct Rule: Encodable, Sendable {
        public let rule: String
        public let target: String
        public let check: String
        public let status: String
        public let severity: String
        public let state: Int32
        enum CodingKeys: String, CodingKey { case rule = "{#RULE}", target = "{#TARGET}", check = "{#CHECK}", status, severity, state }
    }

    public let report: Summary
    public let results: [String: Int]
    public let updates: Updates
    public let domains: [DomainScore]
    public let certificates: [Certificate]
    public let backups: [Backup]
    public let rules: [Rule]

    /// The document for `report`; `state` is what `MonitoringPlugin` answers for it (no thresholds).
    public init(_ report: Report) {
        let figures = ReportFigures.figures(of: report)
        let summary = Scoring.summarize(report.results)
        self.report = Summary(
            time: Int(report.generatedAt.timeIntervalSince1970.rounded(.down)), host: report.host.hostname, profile: report.agent.profile,
            score: summary.score, level: summary.level?.rawValue, coverage: (summary.coverage * 1000).rounded() / 1000,
            state: MonitoringPlugin().evaluate(report).state.exitCode)
        var counts = Dictionary(uniqueKeysWithValues: Status.allCases.map { ($0.rawValue, 0) })
        for result in report.results { counts[result.status.rawValue, default: 0] += 1 }
        results = counts
        updates = Updates(
            pending: figures.first { $0.kind == .pendingUpdates }?.value, security: figures.first { $0.kind == .securityUpdates }?.value)
        domains = figures.filter { $0.kind == .score && $0.target != nil }.map { DomainScore(domain: $0.target!, score: $0.value) }
        var seenCertificates = Set<String>()
        certificates = figures.filter { $0.kind == .daysLeft && seenCertificates.insert($0.target ?? "").inserted }
            .map { Certificate(target: $0.target ?? "", daysLeft: $0.value) }
        var seenBackups = Set<String>()
        backups = figures.filter { $0.kind == .backupAge && seenBackups.insert($0.target ?? "").inserted }.map {
            Backup(target: $0.target ?? "", newestTimestamp: Int(($0.time ?? report.generatedAt).timeIntervalSince1970.rounded(.down)), ageSeconds: $0.value)
        }
        var rules: [Rule] = []
        var index: [String: Int] = [:]
        for result in report.results {
            let state = PluginState(result).map(\.exitCode) ?? -1
            let rule = Rule(
                rule: result.code, target: result.target, check: result.check, status: result.status.rawValue,
                severity: result.severity.rawValue, state: state)
            let key = result.code + "\u{0}" + result.target
            if let existing = index[key] {
                if Self.rank(state) > Self.rank(rules[existing].state) { rules[existing] = rule }
            } else {
                index[key] = rules.count
                rules.append(rule)
            }
        }
        self.rules = rules
    }

    /// -1 (skip) < OK < WARNING < UNKNOWN < CRITICAL, as `PluginState` orders states.
    static func rank(_ state: Int32) -> Int {
        guard let plugin = PluginState(rawValue: state) else { return -1 }
        return PluginState.allCases.filter { $0 < plugin }.count
    }

    /// The document as UTF-8 JSON, keys sorted, followed by a line feed.
    public func jsonBytes() throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return Array(try encoder.encode(self)) + [0x0A]
    }
}
