import Agent
import Checks
import FoundationEssentials
import Model

/// A report as node_exporter's textfile collector reads it: the Prometheus text exposition format 0.0.4,
/// every family a gauge, no timestamps (the collector stamps its scrape).
///
/// Families, each with a `source` label (the file's name, so several files in one textfile folder never
/// make the same series) and the same HELP and TYPE in every run and every file:
/// - `cyberctl_result{check,rule,target,status,severity}` 1 per result (a rule on a target);
/// - `cyberctl_certificate_expiry_timestamp_seconds{target}`: the certificate's notAfter, Unix time (days left:
///   `(cyberctl_certificate_expiry_timestamp_seconds - time()) / 86400`, true at query time, where a days-left
///   figure would be as old as the scan; promtool's lint also wants seconds as the base unit);
/// - `cyberctl_updates_pending{target}`, `cyberctl_security_updates_pending{target}`;
/// - `cyberctl_backup_newest_timestamp_seconds{target}`: Unix time of the newest copy of a backup set;
/// - `cyberctl_domain_score{domain}` 0–100, `cyberctl_score` 0–100 (absent when nothing was scored);
/// - `cyberctl_results{status}`: how many results have each status (all five always present);
/// - `cyberctl_report_timestamp_seconds`: when the scan ended (Unix time).
///
/// Figures come from verified results only (`ReportFigures`): a check that erred leaves its figure out and
/// shows as `cyberctl_result{status="error"}`.
public enum PrometheusTextfile {
    /// The families in output order, with their HELP text (constant: node_exporter refuses a scrape whose
    /// files disagree on a family's HELP or TYPE).
    static let families: [(name: String, help: String)] = [
        ("cyberctl_result", "One cyberctl rule applied to one target: always 1; the outcome is in the status (pass, warn, fail, error, skip) and severity labels."),
        ("cyberctl_results", "Number of results of the last scan with each status."),
        ("cyberctl_certificate_expiry_timestamp_seconds", "Unix time of the certificate's notAfter date (rule cert.expiry)."),
        ("cyberctl_updates_pending", "Package updates pending, security or not (rule patch.pending-updates)."),
        ("cyberctl_security_updates_pending", "Security updates pending (rule patch.security-updates)."),
        ("cyberctl_backup_newest_timestamp_seconds", "Unix time of the newest copy of a backup set (rule backup.freshness)."),
        ("cyberctl_domain_score", "Score of a domain, 0 to 100 (cyberctl scoring: pass full credit, warn half, fail and error none)."),
        ("cyberctl_score", "Overall score, 0 to 100: the mean of the domain scores."),
        ("cyberctl_report_timestamp_seconds", "Unix time at which the cyberctl scan ended."),
    ]

    /// The textfile's bytes for `report`, every series labelled `source="<source>"`.
    public static func text(for report: Report, source: String) -> String {
        var samples: [String: [String]] = [:]
        func add(_ family: String, _ labels: [(String, String)], _ value: Int) {
            let all = [("source", source)] + labels
            let rendered = all.map { "\($0.0)=\"\(escapeLabelValue($0.1))\"" }.joined(separator: ",")
            samples[family, default: []].append("\(family){\(rendered)} \(value)")
        }
        // The same check, rule and target can be judged twice (a certificate file listed twice); a repeat
        // gets an `occurrence` label, since one series twice breaks the whole scrape.
        var seen: [String: Int] = [:]
        var statusCounts: [Status: Int] = [:]
        for result in report.results {
            let key = "\(result.check)\u{0}\(result.code)\u{0}\(result.target)"
            seen[key, default: 0] += 1
            var labels = [("check", result.check), ("rule", result.code), ("target", result.target), ("status", result.status.rawValue), ("severity", result.severity.rawValue)]
            if let count = seen[key], count > 1 { labels.append(("occurrence", String(count))) }
            add("cyberctl_result", labels, 1)
            statusCounts[result.status, default: 0] += 1
        }
        for status in Status.allCases { add("cyberctl_results", [("status", status.rawValue)], statusCounts[status] ?? 0) }
        var figureSeen: [String: Int] = [:]
        for figure in ReportFigures.figures(of: report) {
            let family: String
            var value = figure.value
            switch figure.kind {
            case .daysLeft:
                guard let notAfter = figure.time else { continue }
                family = "cyberctl_certificate_expiry_timestamp_seconds"
                value = Int(notAfter.timeIntervalSince1970.rounded(.down))
            case .pendingUpdates: family = "cyberctl_updates_pending"
            case .securityUpdates: family = "cyberctl_security_updates_pending"
            case .backupAge:
                family = "cyberctl_backup_newest_timestamp_seconds"
                value = Int((figure.time ?? report.generatedAt).timeIntervalSince1970.rounded(.down))
            case .score: family = figure.target == nil ? "cyberctl_score" : "cyberctl_domain_score"
            }
            var labels: [(String, String)] = []
            if let target = figure.target { labels.append((figure.kind == .score ? "domain" : "target", target)) }
            let key = "\(family)\u{0}\(figure.target ?? "")"
            figureSeen[key, default: 0] += 1
            if let count = figureSeen[key], count > 1 { labels.append(("occurrence", String(count))) }
            add(family, labels, value)
        }
        add("cyberctl_report_timestamp_seconds", [], Int(report.generatedAt.timeIntervalSince1970.rounded(.down)))
        var text = ""
        for (name, help) in families {
            guard let lines = samples[name] else { continue }
            text += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            text += lines.map { $0 + "\n" }.joined()
        }
        return text
    }

    /// Writes the textfile at `folder/<source>.prom` atomically (a temporary file in the same folder, whose
    /// name does not end in `.prom`, renamed over the old one), mode 0644: node_exporter reads the old file
    /// or the new one, never half of one.
    /// - Throws: `AtomicFileError` naming the file and the system's reason.
    @discardableResult
    public static func write(_ report: Report, source: String, folder: String) throws(AtomicFileError) -> String {
        let path = (folder.hasSuffix("/") ? folder : folder + "/") + source + ".prom"
        try AtomicFile.write(Array(text(for: report, source: source).utf8), to: path, mode: 0o644)
        return path
    }

    /// A label value as the exposition format escapes it: backslash, double quote and line feed.
    static func escapeLabelValue(_ value: String) -> String {
        var escaped = String.UnicodeScalarView()
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\\": escaped.append(contentsOf: "\\\\".unicodeScalars)
            case "\"": escaped.append(contentsOf: "\\\"".unicodeScalars)
            case "\n": escaped.append(contentsOf: "\\n".unicodeScalars)
            default: escaped.append(scalar)
            }
        }
        return String(escaped)
    }
}
