import Checks
import FoundationEssentials
import FoundationGaps
import Model
import NIS2

/// Terminal rendering of the organisational (NIS 2) results: the short detail of one item in the
/// result table, and the per-section score sheet under it.
extension ResultTable {
    /// `déclaré « oui », revue dépassée…, contredit par …` for an `org.nis2.*` item result.
    func nis2Detail(_ result: CheckResult) -> String? {
        guard result.code.hasPrefix("org.nis2."), let declared = result.evidence["declared"]?.stringValue else { return nil }
        let english = language == .en
        var parts: [String] = []
        if result.evidence["unanswered"] == true {
            parts.append(english ? "no answer" : "sans réponse")
        } else {
            let label = AnswerStatus(rawValue: declared)?.label(english: english) ?? declared
            parts.append(english ? "declared \"\(label)\"" : "déclaré « \(label) »")
        }
        if let days = result.evidence["daysOverdue"]?.intValue {
            parts.append(english ? "review overdue by \(days) days" : "revue dépassée de \(days) jours")
        }
        if result.evidence["contradicted"] == true, case .array(let failures)? = result.evidence["contradictedBy"] {
            let named = failures.prefix(3).compactMap { failure -> String? in
                guard case .object(let fields) = failure, let code = fields["code"]?.stringValue else { return nil }
                return "\(code) \(fields["target"]?.stringValue ?? "")".trimming(.whitespaces)
            }
            let more = failures.count > 3 ? (english ? " and \(failures.count - 3) more" : " et \(failures.count - 3) autre(s)") : ""
            parts.append(
                (english ? "CONTRADICTED by failing technical checks: " : "CONTREDIT par des contrôles techniques en échec : ")
                    + named.joined(separator: ", ") + more)
        }
        return parts.joined(separator: ", ")
    }

    /// The per-section sheet, or nil when there is no organisational item result.
    func nis2Sheet(_ results: [CheckResult]) -> String? {
        guard let sheet = NIS2ScoreSheet(results) else { return nil }
        let english = language == .en
        let questionnaire = try? Questionnaire.shipped()
        var lines = [english ? "\nNIS 2 — score per measure (Art. 21(2) and Art. 20):" : "\nNIS 2 — score par mesure (art. 21(2) et art. 20) :"]
        for section in sheet.sections {
            let title = questionnaire?.section(section.id)?.title.text(english: english) ?? ""
            let article = (english ? "Art. " : "art. ") + section.article
            let score = section.score.map { "\($0)/100" } ?? (english ? "not scored" : "non noté")
            let done = english ? "\(section.done)/\(section.scored) done" : "\(section.done)/\(section.scored) fait(s)"
            lines.append("  \(article.padded(14)) \(title.padded(52)) \(score.padded(8)) (\(done))")
        }
        if let overall = sheet.overall {
            lines.append(english ? "  Overall: \(overall)/100" : "  Ensemble : \(overall)/100")
        }
        func list(_ label: String, _ items: [CheckResult]) {
            guard !items.isEmpty else { return }
            let titles = items.map { Catalogue.text(for: $0.code, in: language).title }
            lines.append("  \(label) (\(items.count)) : \(titles.joined(separator: " ; "))")
        }
        list(english ? "\"Don't know\", counted as not done" : "« Ne sais pas », compté comme non fait", sheet.unknown)
        list(english ? "No answer" : "Sans réponse", sheet.unanswered)
        list(english ? "Review date past" : "Date de revue dépassée", sheet.overdue)
        list(english ? "Declarations contradicted by this scan" : "Déclarations contredites par ce scan", sheet.contradicted)
        return lines.joined(separator: "\n")
    }
}
