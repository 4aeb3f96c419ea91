import Model
import NIS2

/// Catalogue entries of the `organisation` domain: the answers file itself, and one rule per item
/// of the questionnaire shipped with cyberctl (title, why it matters, what to do — FR and EN).
public enum OrganisationRules {
    static let fixed: [RuleDescription] = [
        RuleDescription(
            code: NIS2AnswersCheck.answersCode, severity: .medium, references: ["NIS2-21.2.a", "NIS2-20"],
            french: RuleText(
                title: "Fichier de réponses NIS 2",
                explanation: "Les réponses au questionnaire organisationnel NIS 2 de la collectivité, lues à chaque scan.",
                remediation: "Remplir le questionnaire avec « cyberctl assess », puis vérifier le fichier avec « cyberctl assess --check »."),
            english: RuleText(
                title: "NIS 2 answers file",
                explanation: "The authority's answers to the NIS 2 organisational questionnaire, read at every scan.",
                remediation: "Fill in the questionnaire with \"cyberctl assess\", then check the file with \"cyberctl assess --check\".")),
        RuleDescription(
            code: NIS2AnswersCheck.questionnaireCode, severity: .medium, references: [],
            french: RuleText(
                title: "Questionnaire NIS 2",
                explanation: "Le questionnaire livré avec cyberctl (Profiles/nis2/questionnaire.yaml) n'a pas pu être lu.",
                remediation: "Réinstaller cyberctl ou corriger le fichier du questionnaire indiqué."),
            english: RuleText(
                title: "NIS 2 questionnaire",
                explanation: "The questionnaire shipped with cyberctl (Profiles/nis2/questionnaire.yaml) could not be read.",
                remediation: "Reinstall cyberctl or fix the questionnaire file named.")),
    ]

    /// The fixed rules, then one per item of the shipped questionnaire (none when it cannot be read:
    /// the table then shows codes instead of titles).
    static let all: [RuleDescription] = fixed + itemRules(try? Questionnaire.shipped())

    static func itemRules(_ questionnaire: Questionnaire?) -> [RuleDescription] {
        guard let questionnaire else { return [] }
        return questionnaire.items.map { item in
            let section = questionnaire.section(item.section)
            return RuleDescription(
                code: item.code, severity: Severity(rawValue: item.weight.rawValue) ?? .medium,
                references: item.referenceIDs(section: section),
                french: RuleText(title: item.title.fr, explanation: item.why.fr, remediation: item.remediation.fr),
                english: RuleText(title: item.title.en, explanation: item.why.en, remediation: item.remediation.en))
        }
    }
}
