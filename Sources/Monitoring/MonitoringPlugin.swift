import Agent
import Checks
import FoundationEssentials
import FoundationGaps
import Model

/// `-w`/`-c` as given on the command line, and the kind of figure they apply to (`--metric`).
public struct PluginThresholds: Sendable, Equatable {
    public let metric: FigureKind
    public let warning: ThresholdRange?
    public let critical: ThresholdRange?

    public init(metric: FigureKind, warning: ThresholdRange?, critical: ThresholdRange?) {
        self.metric = metric
        self.warning = warning
        self.critical = critical
    }
}

/// What a plugin run prints and how it exits.
public struct PluginResult: Sendable, Equatable {
    public let state: PluginState
    /// The whole standard output: status line, long output, performance data; ends with a line feed.
    public let text: String
}

/// A scan report as a monitoring plugin's answer (Monitoring Plugins Development Guidelines), for
/// Nagios, Icinga, Centreon, Naemon and Shinken, directly or through NRPE:
///
/// ```
/// CYBERCTL CRITICAL: 1 critique, 1 non vérifié, 5 conformes — pire : cert.expiry /etc/ssl/old.pem | 'score:certificates'=62;;;0;100 'score'=62;;;0;100
/// [CRITICAL] cert.expiry /etc/ssl/old.pem : Expiration du certificat (fail, critical) ; -3 j restants
/// [UNKNOWN] cert.file /etc/ssl/broken.pem : … (error) : no certificate found
/// | 'days_left:/etc/ssl/old.pem'=-3 'days_left:/etc/ssl/ok.pem'=300
/// ```
///
/// - State: the worst over the results (`PluginState(_:)` maps each) and over the thresholds, in the order
///   OK < WARNING < UNKNOWN < CRITICAL. Nothing verified (no result, or only `skip`) is UNKNOWN.
/// - `-w`/`-c` apply to every figure of `thresholds.metric`; they add alerts and never remove one a rule
///   raised (loosening a rule is the profile's job: `warning_days`, `pending_threshold`…).
/// - Status line: the state, the counts, the worst result; performance data of the scores and update
///   counts. Long output: one line per result not passed (worst first), then the per-target performance
///   data (days left per certificate, backup age per set) on a last line starting with `|`.
/// - Bound: at most `maxBytes` bytes in all. The status line is never cut (it stays under 1,024 bytes,
///   NRPE 2's limit); past the bound, the last long-output lines and then the per-target performance
///   data are left out, and a line says how many of each.
public struct MonitoringPlugin: Sendable {
    public var thresholds: PluginThresholds?
    public var language: Language
    /// Bound on the whole output, bytes (4,096 by default; NRPE 2 passes 1,024, NRPE 3 and 4 65,536).
    public var maxBytes: Int

    /// The status line's own bound, whatever `maxBytes` (NRPE 2 cuts its packets at 1,024 bytes).
    public static let statusLineLimit = 1000
    public static let defaultMaxBytes = 4096
    /// The smallest `maxBytes` accepted: a status line and the line saying what was left out.
    public static let minimumMaxBytes = 1024

    public init(thresholds: PluginThresholds? = nil, language: Language = .fr, maxBytes: Int = defaultMaxBytes) {
        self.thresholds = thresholds
        self.language = language
        self.maxBytes = max(maxBytes, Self.minimumMaxBytes)
    }

    /// The answer for a plugin that could not run (bad arguments, unreadable profile, timeout): UNKNOWN
    /// with `message` on the status line, exit 3.
    public static func unknown(_ message: String) -> PluginResult {
        let line = "CYBERCTL UNKNOWN: " + clean(message)
        return PluginResult(state: .unknown, text: cut(line, to: statusLineLimit) + "\n")
    }

    /// The plugin's answer for `report`.
    public func evaluate(_ report: Report) -> PluginResult {
        let french = language == .fr
        var entries: [Entry] = []
        var counts: [PluginState: Int] = [:]
        var skipped = 0
        for result in report.results {
            guard let state = PluginState(result) else {
                skipped += 1
                entries.append(Entry(state: nil, text: "[" + (french ? "sans objet" : "not applicable") + "] " + describe(result)))
                continue
            }
            counts[state, default: 0] += 1
            if state != .ok { entries.append(Entry(state: state, text: "[\(state.word)] " + describe(result))) }
        }
        let figures = ReportFigures.figures(of: report)
        var thresholdState = PluginState.ok
        var thresholdProblem: String?
        if let thresholds {
            let measured = figures.filter { $0.kind == thresholds.metric }
            if measured.isEmpty {
                thresholdProblem = french
                    ? "-w/-c : aucune mesure \(thresholds.metric.rawValue) dans ce contrôle (choisissez --metric parmi \(FigureKind.allCases.map(\.rawValue).joined(separator: ", ")))"
                    : "-w/-c: no \(thresholds.metric.rawValue) figure in this check (choose --metric among \(FigureKind.allCases.map(\.rawValue).joined(separator: ", ")))"
            }
            for figure in measured {
                let value = Double(figure.value)
                let state: PluginState
                let range: String
                if let critical = thresholds.critical, critical.alerts(value) {
                    (state, range) = (.critical, "-c \(critical.text)")
                } else if let warning = thresholds.warning, warning.alerts(value) {
                    (state, range) = (.warning, "-w \(warning.text)")
                } else {
                    continue
                }
                thresholdState = max(thresholdState, state)
                entries.append(Entry(state: state, text: "[\(state.word)] \(figure.kind.rawValue) \(figure.target.map(Self.clean) ?? "") = \(figure.value) (\(range))"))
            }
        }
        var state = counts.keys.max() ?? .unknown
        state = max(state, thresholdState)
        if thresholdProblem != nil { state = max(state, .unknown) }
        // Worst first; the order of the results within a state.
        let order: (Entry) -> Int = { $0.state.map { 3 - $0.badness } ?? 4 }
        entries = entries.enumerated().sorted { (order($0.element), $0.offset) < (order($1.element), $1.offset) }.map(\.element)

        var summary: [String] = []
        let words: [(PluginState, String, String)] = french
            ? [(.critical, "critique", "critiques"), (.unknown, "non vérifié", "non vérifiés"), (.warning, "avertissement", "avertissements"), (.ok, "conforme", "conformes")]
            : [(.critical, "critical", "critical"), (.unknown, "not verified", "not verified"), (.warning, "warning", "warnings"), (.ok, "passed", "passed")]
        for (kind, one, many) in words {
            if let count = counts[kind], count > 0 { summary.append("\(count) \(count == 1 ? one : many)") }
        }
        if skipped > 0 { summary.append("\(skipped) " + (french ? "sans objet" : "not applicable")) }
        var statusText: String
        if counts.isEmpty {
            statusText = report.results.isEmpty
                ? (french ? "aucun résultat : rien n'a été vérifié (voyez --only et le profil)" : "no result: nothing was verified (see --only and the profile)")
                : (french ? "rien n'a été vérifié : " : "nothing was verified: ") + summary.joined(separator: ", ")
        } else {
            statusText = summary.joined(separator: ", ")
            if let worst = entries.first, let worstState = worst.state, worstState != .ok {
                statusText += (french ? " — pire : " : " — worst: ") + Self.cut(String(worst.text.dropFirst(worstState.word.count + 3)), to: 160)
            }
        }
        if let thresholdProblem { statusText += " — " + thresholdProblem }

        // Performance data: scores and update counts on the status line, per-target figures after the long output.
        var headPerf: [String] = []
        var tailPerf: [String] = []
        let kindsWithSeveralTargets = Set(FigureKind.allCases.filter { kind in figures.filter { $0.kind == kind }.count > 1 })
        for figure in figures {
            let datum = performanceDatum(figure, labelTarget: figure.kind == .score || kindsWithSeveralTargets.contains(figure.kind) || figure.kind == .daysLeft || figure.kind == .backupAge)
            switch figure.kind {
            case .score, .securityUpdates, .pendingUpdates: headPerf.append(datum.text)
            case .daysLeft, .backupAge: tailPerf.append(datum.text)
            }
        }
        var statusLine = "CYBERCTL \(state.word): " + Self.cut(Self.clean(statusText), to: 600)
        // The status line keeps whatever performance data fits under its bound; the rest goes after the long output.
        var headKept: [String] = []
        for (index, item) in headPerf.enumerated() {
            let candidate = statusLine.utf8.count + (headKept.isEmpty ? 3 : 1) + item.utf8.count
            if candidate > Self.statusLineLimit {
                tailPerf.insert(contentsOf: headPerf[index...], at: 0)
                break
            }
            headKept.append(item)
        }
        if !headKept.isEmpty { statusLine += " | " + headKept.joined(separator: " ") }
        return PluginResult(state: state, text: assemble(statusLine: statusLine, lines: entries.map(\.text), perf: tailPerf))
    }

    /// The output within `maxBytes`: the status line, then long-output lines while they fit, then the
    /// per-target performance data while it fits, with a line saying what was left out.
    func assemble(statusLine: String, lines: [String], perf: [String]) -> String {
        let perfLine = perf.isEmpty ? "" : "| " + perf.joined(separator: " ") + "\n"
        let whole = statusLine + "\n" + lines.map { $0 + "\n" }.joined() + perfLine
        if whole.utf8.count <= maxBytes { return whole }
        // Room kept for the line that says what was cut.
        let noteRoom = 240
        var used = statusLine.utf8.count + 1 + noteRoom
        var kept: [String] = []
        for line in lines {
            let size = line.utf8.count + 1
            guard used + size <= maxBytes else { break }
            kept.append(line)
            used += size
        }
        var keptPerf: [String] = []
        used += 2
        for item in perf {
            let size = item.utf8.count + 1
            guard used + size <= maxBytes else { break }
            keptPerf.append(item)
            used += size
        }
        let droppedLines = lines.count - kept.count
        let droppedPerf = perf.count - keptPerf.count
        let note = language == .fr
            ? "… non affichés, faute de place (--max-bytes \(maxBytes)) : \(droppedLines) ligne(s) de détail et \(droppedPerf) mesure(s) ; cyberctl scan donne le rapport complet"
            : "… left out for room (--max-bytes \(maxBytes)): \(droppedLines) detail line(s) and \(droppedPerf) figure(s); cyberctl scan gives the whole report"
        return statusLine + "\n" + kept.map { $0 + "\n" }.joined() + note + "\n"
            + (keptPerf.isEmpty ? "" : "| " + keptPerf.joined(separator: " ") + "\n")
    }

    /// The performance data item of `figure`: the user's `-w`/`-c` where they apply to its kind, else
    /// the rule's own thresholds.
    func performanceDatum(_ figure: Figure, labelTarget: Bool) -> PerformanceDatum {
        let base: String
        var unit = ""
        var minimum: Int?
        var maximum: Int?
        switch figure.kind {
        case .daysLeft: base = "days_left"
        case .securityUpdates: base = "security_updates"; minimum = 0
        case .pendingUpdates: base = "pending_updates"; minimum = 0
        case .backupAge: base = "backup_age"; unit = "s"
        case .score: base = "score"; minimum = 0; maximum = 100
        }
        let label = labelTarget && figure.target != nil ? "\(base):\(figure.target!)" : base
        var warning = figure.ruleWarning
        var critical = figure.ruleCritical
        if let thresholds, thresholds.metric == figure.kind {
            warning = thresholds.warning ?? warning
            critical = thresholds.critical ?? critical
        }
        return PerformanceDatum(label: label, value: figure.value, unit: unit, warning: warning, critical: critical, minimum: minimum, maximum: maximum)
    }

    /// `code target : title (status, severity)`, then the figure or the reason when there is one.
    func describe(_ result: CheckResult) -> String {
        let french = language == .fr
        let title = Catalogue.text(for: result.code, in: language).title
        var text = "\(result.code) \(Self.cut(result.target, to: 200)) : \(title) (\(result.status.rawValue), \(result.severity.rawValue))"
        if !french { text = text.replacingAll(" : ", with: ": ") }
        if result.status.isScored {
            let evidence = result.evidence
            if result.code == "cert.expiry", let days = evidence["daysLeft"]?.intValue {
                text += french ? " ; \(days) j restants" : "; \(days) days left"
            } else if result.code.hasPrefix("patch."), result.code.hasSuffix("-updates"), let count = evidence["count"]?.intValue {
                text += french ? " ; \(count) en attente" : "; \(count) pending"
            } else if result.code == "backup.freshness", let hours = ReportFigures.number(evidence["ageHours"]) {
                text += french ? " ; dernière copie il y a \(Int(hours.rounded())) h" : "; newest copy \(Int(hours.rounded())) h old"
            }
        }
        if let reason = result.reason(in: french ? .fr : .en), !reason.isEmpty { text += (french ? " : " : ": ") + Self.cut(reason, to: 300) }
        return Self.clean(text)
    }

    /// One line, safe for the plugin protocol: controls and bidirectional overrides escaped
    /// (`TerminalText.line`), `|` (which starts performance data) replaced by `¦`.
    static func clean(_ text: String) -> String {
        TerminalText.line(text).replacingAll("|", with: "¦")
    }

    /// `text` cut to at most `bytes` UTF-8 bytes on a character boundary, `…` marking the cut.
    static func cut(_ text: String, to bytes: Int) -> String {
        guard text.utf8.count > bytes else { return text }
        var result = ""
        var size = 0
        for character in text {
            let length = character.utf8.count
            guard size + length <= bytes - 3 else { break }
            result.append(character)
            size += length
        }
        return result + "…"
    }

    struct Entry {
        /// nil for a result that does not apply (`skip`).
        let state: PluginState?
        let text: String
    }
}
