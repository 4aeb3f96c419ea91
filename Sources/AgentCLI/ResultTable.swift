import Agent
import Checks
import FoundationEssentials
import FoundationGaps

#if canImport(Glibc)
import Glibc
import Model
#endif

/// The terminal view of a report: results grouped by domain, then the score line and the fixes
/// that would raise the score most.
public struct ResultTable {
    public let language: Language
    /// Also list passing results (otherwise they are counted per domain).
    public let showPasses: Bool

    public init(language: Language, showPasses: Bool) {
        self.language = language
        self.showPasses = showPasses
    }

    public func render(_ report: Report) -> String {
        var lines: [String] = []
        let french = language == .fr
        lines.append(
            french
                ? "cyberctl \(report.agent.version) — \(report.host.hostname) — profil \(report.agent.profile) — \(PeopleTime.string(from: report.generatedAt))"
                : "cyberctl \(report.agent.version) — \(report.host.hostname) — profile \(report.agent.profile) — \(PeopleTime.string(from: report.generatedAt))")
        // From the results, not the report's summary: a decoded summary does not carry the domains not evaluated.
        let summary = Scoring.summarize(report.results)
        lines.append(renderResults(report.results, summary: summary))
        if let sheet = nis2Sheet(report.results) { lines.append(sheet) }
        lines.append(scoreLine(summary))
        // A fix that would not move the score by a whole point is not worth a line here.
        let fixes = Scoring.bestFixes(report.results).filter { $0.gain >= 1 }
        if !fixes.isEmpty {
            lines.append(french ? "À corriger en premier :" : "Fix first:")
            for (rank, fix) in fixes.enumerated() {
                let title = Catalogue.text(for: fix.result.code, in: language).title
                lines.append("  \(rank + 1). \(title) — \(fix.result.target) (+\(fix.gain) → \(fix.scoreAfter))")
                // What to do, from the catalogue: the finding alone does not say how to fix it.
                let remediation = Catalogue.remediation(for: fix.result, in: language)
                if !remediation.isEmpty { lines.append("     → \(remediation)") }
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// Results by domain; passes counted unless `showPasses`.
    public func renderResults(_ results: [CheckResult], summary: ScoreSummary?) -> String {
        var lines: [String] = []
        let grouped = Dictionary(grouping: results) { $0.domain }
        for domain in Domain.allCases {
            guard let domainResults = grouped[domain], !domainResults.isEmpty else { continue }
            var score = summary?.domains[domain].map { " — \($0)/100" } ?? ""
            if summary?.notEvaluated.contains(domain) == true {
                let unverified = domainResults.filter { $0.status == .error }.count
                score = language == .fr
                    ? " — non évalué : \(unverified) contrôle(s) n'ont pas pu être faits (compte 0 dans le score)"
                    : " — not evaluated: \(unverified) check(s) could not be done (counts 0 in the score)"
            }
            lines.append("")
            lines.append("■ \(domainName(domain))\(score)")
            let shown = domainResults
                .filter { showPasses || $0.status != .pass }
                .sorted { (statusRank($0.status), $0.severity, $0.target) > (statusRank($1.status), $1.severity, $1.target) }
            // Many results that erred for one same reason (every item of a missing answers file, every
            // rule of an unreachable endpoint) are one line: the reason and how many.
            var shared: [String: Int] = [:]
            for result in shown where result.status == .error { if let reason = result.reason(in: language) { shared[reason, default: 0] += 1 } }
            var folded = Set<String>()
            for result in shown {
                if result.status == .error, let reason = result.reason(in: language), let count = shared[reason], count >= 3 {
                    guard folded.insert(reason).inserted else { continue }
                    let what = language == .fr ? "\(count) contrôles" : "\(count) checks"
                    lines.append("  \(statusLabel(.error).padded(9)) \(String(repeating: " ", count: 8)) \(what) — \(reason)")
                    continue
                }
                let title = Catalogue.text(for: result.code, in: language).title
                var line = "  \(statusLabel(result.status).padded(9)) "
                    + "\(severityLabel(result.severity).padded(8)) "
                    + "\(title) — \(result.target)"
                if let detail = detail(result) { line += " (\(detail))" }
                lines.append(line)
            }
            let passes = domainResults.filter { $0.status == .pass }.count
            if !showPasses && passes > 0 {
                lines.append(language == .fr ? "  \(passes) contrôle(s) conforme(s)" : "  \(passes) passing result(s)")
            }
        }
        if results.isEmpty {
            lines.append(language == .fr ? "\nAucun résultat : rien à contrôler n'a été trouvé." : "\nNo results: nothing to check was found.")
        }
        return lines.joined(separator: "\n")
    }

    public func scoreLine(_ summary: ScoreSummary) -> String {
        let coverage = Int((summary.coverage * 100).rounded())
        guard let score = summary.score, let level = summary.level else {
            return language == .fr ? "\nScore : non évalué (aucun résultat vérifié)" : "\nScore: not evaluated (no verified result)"
        }
        var line = language == .fr
            ? "\nScore global : \(score)/100 — niveau \(level.rawValue) — couverture \(coverage) %"
            : "\nOverall score: \(score)/100 — level \(level.rawValue) — coverage \(coverage)%"
        if !summary.notEvaluated.isEmpty {
            let names = summary.notEvaluated.map(domainName).joined(separator: ", ")
            line += language == .fr ? "\nNon évalué (compte 0) : \(names)" : "\nNot evaluated (counts 0): \(names)"
        }
        return line
    }

    /// A short fact from the evidence or the reason.
    public func detail(_ result: CheckResult) -> String? {
        if let organisational = nis2Detail(result) { return organisational }
        // One line per result: a multi-line reason (every problem of an answers file) is folded.
        if let reason = result.reason(in: language) {
            return reason.split(whereSeparator: \.isNewline).map { $0.trimming(.whitespaces) }.joined(separator: " ; ")
        }
        let evidence = result.evidence
        switch result.code {
        case "cert.expiry":
            guard let days = evidence["daysLeft"]?.intValue, let notAfter = evidence["notAfter"]?.stringValue else { return nil }
            if days < 0 { return language == .fr ? "expiré depuis le \(notAfter.prefix(10))" : "expired on \(notAfter.prefix(10))" }
            return language == .fr ? "\(days) jours restants, jusqu'au \(notAfter.prefix(10))" : "\(days) days left, until \(notAfter.prefix(10))"
        case "cert.key-strength":
            guard let type = evidence["keyType"]?.stringValue, let bits = evidence["keyBits"]?.intValue else { return nil }
            return "\(type) \(bits) bits"
        case "cert.signature-algorithm":
            return evidence["signatureAlgorithm"]?.stringValue
        case "patch.os-eol":
            return EndOfSupportText.detail(result, language)
        case let code where code.hasPrefix("backup."):
            return backupDetail(result)
        case "tls.legacy-protocols", "tls.weak-ciphers", "tls.forward-secrecy", "tls.dh-params", "tls.cert.trust",
             "tls.cert.hostname", "tls.cert.expiry", "tls.cert.key-strength", "tls.cert.signature-algorithm", "tls.hsts":
            return tlsDetail(result)
        default:
            return nil
        }
    }

    /// A short fact for the backup rules (`backup.freshness`: age against the maximum, …).
    public func backupDetail(_ result: CheckResult) -> String? {
        let evidence = result.evidence
        let french = language == .fr
        func hours(_ key: String) -> String? {
            guard case .double(let value)? = evidence[key] else { return nil }
            return BackupUnits.describe(value * 3600, in: language)
        }
        switch result.code {
        case "backup.present":
            if let count = evidence["count"]?.intValue, let expected = evidence["expectedCount"]?.intValue, count < expected {
                return french ? "\(count) copies sur \(expected) attendues" : "\(count) of \(expected) expected copies"
            }
            if result.status == .fail { return french ? "aucune copie trouvée" : "no copy found" }
            return evidence["count"]?.intValue.map { french ? "\($0) copie(s)" : "\($0) copies" }
        case "backup.freshness":
            guard let age = hours("ageHours"), let maximum = hours("maxAgeHours") else { return nil }
            if case .int(let stale)? = evidence["staleSeriesCount"] {
                return french ? "\(stale) série(s) arrêtée(s) ; dernière copie il y a \(age)" : "\(stale) series stopped; newest copy \(age) old"
            }
            return french ? "dernière copie il y a \(age), maximum \(maximum)" : "newest copy \(age) old, maximum \(maximum)"
        case "backup.size":
            if evidence["empty"] == .bool(true) { return french ? "dernière copie vide" : "newest copy empty" }
            if case .double(let change)? = evidence["sizeChangePercent"], result.status == .warn {
                return french ? "\(Int(change)) % par rapport à la copie précédente" : "\(Int(change))% against the previous copy"
            }
            return evidence["sizeBytes"]?.intValue.map { ByteCount.file(Int64($0)) }
        case "backup.separate-storage":
            if let remote = evidence["remote"]?.stringValue { return remote }
            guard case .array(let same)? = evidence["sameDeviceAs"] else { return nil }
            let paths = same.compactMap(\.stringValue).joined(separator: ", ")
            return french ? "même système de fichiers que \(paths)" : "same filesystem as \(paths)"
        case "backup.job-status":
            guard let outcome = evidence["result"]?.stringValue else { return nil }
            let code = evidence["execMainStatus"]?.intValue.map { french ? ", code de sortie \($0)" : ", exit status \($0)" } ?? ""
            return "Result=\(outcome)\(code)"
        case "backup.offline-copy", "backup.restore-test":
            if evidence["declared"] == .bool(false) || evidence["present"] == .bool(false) { return french ? "aucune déclaration" : "none declared" }
            return evidence["ageDays"]?.intValue.map { french ? "il y a \($0) jours" : "\($0) days ago" }
        default:
            return nil
        }
    }

    /// The short fact behind a TLS result: what was accepted, the weak suites, the size, the problem.
    public func tlsDetail(_ result: CheckResult) -> String? {
        let evidence = result.evidence
        func names(_ value: JSONValue?, key: String) -> [String] {
            guard case .array(let items)? = value else { return [] }
            return items.compactMap { item in
                if case .object(let object) = item { return object[key]?.stringValue }
                return item.stringValue
            }
        }
        switch result.code {
        case "tls.legacy-protocols":
            let accepted = names(evidence["accepted"], key: "")
            return accepted.isEmpty ? nil : accepted.joined(separator: ", ")
        case "tls.weak-ciphers":
            let weak = names(evidence["weak"], key: "openssl")
            guard !weak.isEmpty else { return nil }
            return weak.prefix(6).joined(separator: ", ") + (weak.count > 6 ? " +\(weak.count - 6)" : "")
        case "tls.forward-secrecy":
            let without = names(evidence["withoutForwardSecrecy"], key: "openssl")
            return without.isEmpty ? nil : without.prefix(6).joined(separator: ", ")
        case "tls.dh-params":
            return evidence["dhBits"]?.intValue.map { bits in
                "DH \(bits) bits" + (evidence["dhSuite"]?.stringValue.map { " (\($0))" } ?? "")
            }
        case "tls.cert.trust":
            return evidence["problem"]?.stringValue ?? evidence["verifyError"]?.stringValue
        case "tls.cert.hostname":
            return evidence["name"]?.stringValue.map { "\($0): \(evidence["match"]?.stringValue ?? "?")" }
        case "tls.cert.expiry":
            guard let days = evidence["daysLeft"]?.intValue, let subject = evidence["subject"]?.stringValue else { return nil }
            return language == .fr ? "\(subject) : \(days) jours" : "\(subject): \(days) days"
        case "tls.cert.key-strength":
            guard let type = evidence["keyType"]?.stringValue, let bits = evidence["keyBits"]?.intValue else { return nil }
            return "\(type) \(bits) bits"
        case "tls.cert.signature-algorithm":
            return evidence["signatureAlgorithm"]?.stringValue
        case "tls.hsts":
            if let problem = evidence["problem"]?.stringValue { return problem }
            return evidence["maxAge"]?.intValue.map { "max-age=\($0)" }
        default:
            return nil
        }
    }

    public func domainName(_ domain: Domain) -> String {
        switch (domain, language) {
        case (.tls, .fr): return "Chiffrement des échanges (TLS)"
        case (.tls, .en): return "Transport encryption (TLS)"
        case (.certificates, .fr): return "Certificats"
        case (.certificates, .en): return "Certificates"
        case (.patches, .fr): return "Mises à jour"
        case (.patches, .en): return "Patches"
        case (.backups, .fr): return "Sauvegardes"
        case (.backups, .en): return "Backups"
        case (.organisation, .fr): return "Organisation (NIS 2)"
        case (.organisation, .en): return "Organisation (NIS 2)"
        case (.exposition, .fr): return "Noms de domaine vus d'Internet"
        case (.exposition, .en): return "Domain names as seen from the Internet"
        }
    }

    public func statusLabel(_ status: Status) -> String { status.label(language) }

    public func severityLabel(_ severity: Severity) -> String { severity.label(language) }

    private func statusRank(_ status: Status) -> Int {
        switch status {
        case .fail: return 4
        case .error: return 3
        case .warn: return 2
        case .skip: return 1
        case .pass: return 0
        }
    }
}

/// JSON shape of the ad hoc check commands (`cyberctl cert`, `cyberctl tls`).
public struct AdHocOutput: Encodable {
    public let results: [CheckResult]
    public let summary: ScoreSummary
}

/// Writes the JSON of `emitAdHocResults` (same shape, same layout) while results arrive, so a long
/// run (`cyberctl tls` over hundreds of endpoints) holds no result after writing it.
public struct StreamingAdHocJSON {
    public init() {}

    private var tally = ScoreTally()
    private var started = false
    private let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }()

    /// `json` with every line after the first indented by `spaces`, as UTF-8 bytes appended to
    /// `output` (byte by byte: Foundation's `replacingOccurrences` took 12 % of a 200-endpoint run's CPU).
    public static func appendIndented(_ json: Data, by spaces: Int, to output: inout [UInt8]) {
        var lineStart = false
        for byte in json {
            // Blank lines (JSONEncoder's empty arrays and objects) stay blank.
            if lineStart && byte != UInt8(ascii: "\n") { output.append(contentsOf: repeatElement(UInt8(ascii: " "), count: spaces)) }
            output.append(byte)
            lineStart = byte == UInt8(ascii: "\n")
        }
    }

    public mutating func write(_ results: [CheckResult]) {
        var chunk: [UInt8] = []
        for result in results {
            tally.add(status: result.status, severity: result.severity, domain: result.domain)
            chunk += Array((started ? ",\n    " : "{\n  \"results\" : [\n    ").utf8)
            Self.appendIndented((try? encoder.encode(result)) ?? Data("{}".utf8), by: 4, to: &chunk)
            started = true
        }
        if !chunk.isEmpty { Self.writeEscaped(chunk) }
    }

    /// Writes JSON text to stdout with C1 and bidirectional characters as `\uXXXX` (the same JSON value;
    /// a certificate subject served by a remote TLS server reaches the terminal escaped, as `emit` does).
    public static func writeEscaped(_ chunk: [UInt8]) {
        writeStandard(Array(TerminalText.block(String(decoding: chunk, as: UTF8.self)).utf8), to: STDOUT_FILENO)
    }

    /// Closes the results array and writes the summary.
    public func finish() {
        var chunk = Array(((started ? "\n  ],\n" : "{\n  \"results\" : [\n\n  ],\n") + "  \"summary\" : ").utf8)
        Self.appendIndented((try? encoder.encode(tally.summary)) ?? Data("{}".utf8), by: 2, to: &chunk)
        chunk += Array("\n}\n".utf8)
        Self.writeEscaped(chunk)
    }
}

/// Prints the results of an ad hoc check (`cert`, `tls`) in the chosen format, with their score.
public func emitAdHocResults(_ results: [CheckResult], options: RunOptions) {
    let summary = Scoring.summarize(results)
    switch options.format {
    case .json:
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        let data = (try? encoder.encode(AdHocOutput(results: results, summary: summary))) ?? Data()
        emit(String(decoding: data, as: UTF8.self) + "\n")
    case .table:
        let table = ResultTable(language: options.lang, showPasses: options.all)
        emit(table.renderResults(results, summary: summary) + "\n" + table.scoreLine(summary) + "\n")
    }
}
