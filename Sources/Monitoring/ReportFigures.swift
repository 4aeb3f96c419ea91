import Agent
import Checks
import FoundationEssentials
import Model

/// The kinds of figure a report yields to monitoring, each named as `--metric` takes it.
public enum FigureKind: String, Sendable, CaseIterable {
    /// Whole days until a certificate's notAfter (`cert.expiry`, evidence `daysLeft`); negative once expired.
    case daysLeft = "days-left"
    /// Security updates pending on the host (`patch.security-updates`, evidence `count`).
    case securityUpdates = "security-updates"
    /// Updates pending on the host, security or not (`patch.pending-updates`, evidence `count`).
    case pendingUpdates = "pending-updates"
    /// Seconds from a backup set's newest copy to the scan (`backup.freshness`, evidence `newestAt`).
    case backupAge = "backup-age"
    /// Score 0–100 of a domain (`Scoring`); the overall score has no target.
    case score
}

/// One figure read from a report: what it measures, on which target, its value and the thresholds the
/// rule itself applied where the evidence gives them.
public struct Figure: Sendable, Equatable {
    public let kind: FigureKind
    /// The certificate file, backup set, package database or domain; nil for the overall score.
    public let target: String?
    public let value: Int
    /// The rule's own thresholds, in range syntax (pending updates: `20`, alerting above 20; security
    /// updates: critical `0`, alerting above 0; backup age: critical `~:93600`, above the set's maximum).
    public let ruleWarning: ThresholdRange?
    public let ruleCritical: ThresholdRange?
    /// For a certificate, its notAfter; for a backup, the newest copy's time (the Prometheus textfile exports
    /// these times, from which a rule computes what is left at query time).
    public let time: Date?

    public init(kind: FigureKind, target: String?, value: Int, ruleWarning: ThresholdRange? = nil, ruleCritical: ThresholdRange? = nil, time: Date? = nil) {
        self.kind = kind
        self.target = target
        self.value = value
        self.ruleWarning = ruleWarning
        self.ruleCritical = ruleCritical
        self.time = time
    }
}

/// The figures of a report that monitoring graphs and thresholds: days left per certificate, pending and
/// security updates, age of the newest backup per set, score per domain and overall.
///
/// Figures come only from verified results (pass, warn, fail): a result that erred gives no figure, so a
/// graph shows a gap rather than a made-up zero, and the state says UNKNOWN.
public enum ReportFigures {
    /// Every figure of `report`, in result order, scores last (domains in `Domain` order, then overall).
    public static func figures(of report: Report) -> [Figure] {
        var figures: [Figure] = []
        for result in report.results where result.status.isScored {
            let evidence = result.evidence
            switch result.code {
            case "cert.expiry":
                if let days = evidence["daysLeft"]?.intValue {
                    let notAfter = evidence["notAfter"]?.stringValue.flatMap(ISO8601.date(from:))
                    figures.append(Figure(kind: .daysLeft, target: result.target, value: days, time: notAfter))
                }
            case "patch.security-updates":
                if let count = evidence["count"]?.intValue {
                    figures.append(Figure(kind: .securityUpdates, target: result.target, value: count, ruleCritical: ThresholdRange("0")))
                }
            case "patch.pending-updates":
                if let count = evidence["count"]?.intValue {
                    let threshold = evidence["threshold"]?.intValue.flatMap { ThresholdRange(String($0)) }
                    figures.append(Figure(kind: .pendingUpdates, target: result.target, value: count, ruleWarning: threshold))
                }
            case "backup.freshness":
                if let newest = evidence["newestAt"]?.stringValue.flatMap(ISO8601.date(from:)) {
                    let age = Int(report.generatedAt.timeIntervalSince(newest).rounded(.down))
                    let maximum = number(evidence["maxAgeHours"]).map { ThresholdRange("~:\(Int(($0 * 3600).rounded()))") } ?? nil
                    figures.append(Figure(kind: .backupAge, target: result.target, value: age, ruleCritical: maximum, time: newest))
                }
            default:
                break
            }
        }
        let summary = Scoring.summarize(report.results)
        for domain in Domain.allCases {
            if let score = summary.domains[domain] { figures.append(Figure(kind: .score, target: domain.rawValue, value: score)) }
        }
        if let score = summary.score { figures.append(Figure(kind: .score, target: nil, value: score)) }
        return figures
    }

    static func number(_ value: JSONValue?) -> Double? {
        switch value {
        case .int(let number)?: return Double(number)
        case .double(let number)?: return number
        default: return nil
        }
    }
}
