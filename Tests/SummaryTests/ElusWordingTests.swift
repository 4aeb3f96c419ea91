import Checks
import Foundation
@testable import Summary
import Territory
import Testing

/// The élus page's wording is a function of the facts: each row is a fact pattern and the sentences it
/// must produce (caps present or not, trend up/down/stable, incidents open or none, members silent).
@Suite("Élus wording rules")
struct ElusWordingTests {
    static let four = ElusFacts.Scope.territory(noun: .commune, members: 4)
    static let noBackup = ElusFacts.Gap(rule: .backupNone, state: .gap, who: ["Le Conquet", "Trébabu"])
    static let up = ElusFacts.Trend(direction: .up, since: "3 décembre 2026", previousScore: 60, score: 66, previousLevel: "C", level: "C")
    static let down = ElusFacts.Trend(direction: .down, since: "3 décembre 2026 à 9 h 30", previousScore: 80, score: 70, previousLevel: "B", level: "C")
    static let stable = ElusFacts.Trend(direction: .stable, since: "1er décembre 2026", previousScore: 91, score: 92, previousLevel: "A", level: "A")

    struct Row: Sendable, CustomTestStringConvertible {
        var name: String
        var facts: ElusFacts
        var meaning: String
        var capNote: String?
        var gaps: [String]
        var trend: String
        var incidents: String
        var silence: [String]
        var organisation: String?
        var testDescription: String { name }
    }

    static let rows: [Row] = [
        Row(name: "territory, no cap, up, no incident, nobody silent",
            facts: ElusFacts(scope: four, level: .b, scoreLevel: .b, trend: up),
            meaning: "Bon niveau : quelques points restent à corriger, sans urgence majeure.", capNote: nil, gaps: [],
            trend: "En progrès depuis le contrôle du 3 décembre 2026 (note 60 → 66 sur 100).",
            incidents: "Aucun incident n'est en cours de traitement.", silence: [], organisation: nil),
        Row(name: "territory, two communes without backup: capped at E, named, never 'bon niveau'",
            facts: ElusFacts(scope: four, level: .e, scoreLevel: .b, gaps: [noBackup], trend: down),
            meaning: PlainFrench.meaning(of: .e),
            capNote: "La note seule donnerait le niveau B ; le niveau est limité à E tant que les manques ci-dessous ne sont pas réglés.",
            gaps: ["2 communes sur 4 n'ont aucune sauvegarde : Le Conquet et Trébabu."],
            trend: "En recul depuis le contrôle du 3 décembre 2026 à 9 h 30 (note 80 → 70 sur 100, niveau B → C).",
            incidents: "Aucun incident n'est en cours de traitement.", silence: [], organisation: nil),
        Row(name: "a gap never reads 'bon', even if the level given were B",
            facts: ElusFacts(scope: four, level: .b, scoreLevel: .b, gaps: [ElusFacts.Gap(rule: .osEndOfLife, state: .gap, who: ["Trébabu"])]),
            meaning: PlainFrench.meaning(of: .c), capNote: nil,
            gaps: ["1 commune sur 4 utilise un serveur dont le système n'est plus suivi par son éditeur : Trébabu."],
            trend: "Premier bilan : l'évolution apparaîtra au prochain contrôle.",
            incidents: "Aucun incident n'est en cours de traitement.", silence: [], organisation: nil),
        Row(name: "open incident on a good level: the incident comes first, no 'sans urgence'",
            facts: ElusFacts(scope: four, level: .b, scoreLevel: .b, trend: stable,
                             incidents: .init(open: 1, since: "2 décembre 2026", overdue: true)),
            meaning: "Bon niveau de protection, mais un incident est en cours de traitement : il passe avant tout le reste.", capNote: nil, gaps: [],
            trend: "Stable depuis le contrôle du 1er décembre 2026 (note 91 → 92 sur 100).",
            incidents: "1 incident est en cours de traitement depuis le 2 décembre 2026. Une déclaration obligatoire aux autorités n'a pas été faite dans le délai légal.",
            silence: [], organisation: nil),
        Row(name: "several incidents within their deadlines",
            facts: ElusFacts(scope: four, level: .c, scoreLevel: .c, incidents: .init(open: 3, since: "1er novembre 2026", overdue: false)),
            meaning: PlainFrench.meaning(of: .c), capNote: nil, gaps: [],
            trend: "Premier bilan : l'évolution apparaîtra au prochain contrôle.",
            incidents: "3 incidents sont en cours de traitement, le plus ancien depuis le 1er novembre 2026. Les déclarations obligatoires aux autorités sont dans les délais.",
            silence: [], organisation: nil),
        Row(name: "members silent: never, and not for a while",
            facts: ElusFacts(scope: .territory(noun: .commune, members: 2), level: .c, scoreLevel: .a, neverReported: ["Ploumoguer", "Plougonvelin"],
                             silent: ["Le Conquet"], silentAfterDays: 7),
            meaning: PlainFrench.meaning(of: .c),
            capNote: "La note seule donnerait le niveau A ; le niveau est limité à C tant que les manques ci-dessous ne sont pas réglés.", gaps: [],
            trend: "Premier bilan : l'évolution apparaîtra au prochain contrôle.", incidents: "Aucun incident n'est en cours de traitement.",
            silence: [
                "2 communes n'ont jamais envoyé de contrôle : Ploumoguer et Plougonvelin. Le niveau ne peut pas les prendre en compte.",
                "1 commune n'a pas envoyé de contrôle depuis plus de 7 jours : Le Conquet. Sa situation a pu changer.",
            ], organisation: nil),
        Row(name: "one member never reported, one questionnaire missing: singular agreement (la, son)",
            facts: ElusFacts(scope: .territory(noun: .commune, members: 2), level: .c, scoreLevel: .c, neverReported: ["Ploumoguer"],
                             organisationNotEvaluated: ["Trébabu"]),
            meaning: PlainFrench.meaning(of: .c), capNote: nil, gaps: [],
            trend: "Premier bilan : l'évolution apparaîtra au prochain contrôle.", incidents: "Aucun incident n'est en cours de traitement.",
            silence: ["1 commune n'a jamais envoyé de contrôle : Ploumoguer. Le niveau ne peut pas la prendre en compte."],
            organisation: "1 commune sur 2 n'a pas rempli le questionnaire d'organisation de la sécurité numérique : Trébabu. Son organisation n'est pas évaluée et compte pour zéro."),
        Row(name: "unverified backups and questionnaire not answered, collectivités",
            facts: ElusFacts(scope: .territory(noun: .collectivite, members: 3), level: .c, scoreLevel: .c,
                             gaps: [ElusFacts.Gap(rule: .backupNone, state: .unverified, who: ["CC du Pays"])],
                             organisationNotEvaluated: ["CC du Pays", "Trébabu"]),
            meaning: PlainFrench.meaning(of: .c), capNote: nil,
            gaps: ["Les sauvegardes de 1 collectivité sur 3 n'ont pas pu être vérifiées : CC du Pays."],
            trend: "Premier bilan : l'évolution apparaîtra au prochain contrôle.", incidents: "Aucun incident n'est en cours de traitement.", silence: [],
            organisation: "2 collectivités sur 3 n'ont pas rempli le questionnaire d'organisation de la sécurité numérique : CC du Pays et Trébabu. Leur organisation n'est pas évaluée et compte pour zéro."),
        Row(name: "many members under a gap: four named, the rest counted",
            facts: ElusFacts(scope: .territory(noun: .commune, members: 10), level: .e, scoreLevel: .e,
                             gaps: [ElusFacts.Gap(rule: .securityUpdateLate, state: .gap, who: ["A", "B", "C", "D", "E", "F"])]),
            meaning: PlainFrench.meaning(of: .e), capNote: nil,
            gaps: ["6 communes sur 10 ont des correctifs de sécurité en attente depuis plus de 30 jours : A, B, C, D et 2 autres (voir le tableau des membres)."],
            trend: "Premier bilan : l'évolution apparaîtra au prochain contrôle.", incidents: "Aucun incident n'est en cours de traitement.", silence: [], organisation: nil),
        Row(name: "entity: no backup on one server of two, old report, questionnaire partly answered",
            facts: ElusFacts(scope: .entity, level: .e, scoreLevel: .c,
                             gaps: [ElusFacts.Gap(rule: .backupNone, state: .gap, who: ["srv-fichiers"], outOf: 2),
                                    ElusFacts.Gap(rule: .certificateExpired, state: .gap, who: ["srv-web"], outOf: 2)],
                             silent: ["Commune de Plouzané"], silentAfterDays: 7, lastReport: "20 novembre 2026", unansweredItems: 3),
            meaning: PlainFrench.meaning(of: .e),
            capNote: "La note seule donnerait le niveau C ; le niveau est limité à E tant que les manques ci-dessous ne sont pas réglés.",
            gaps: ["Aucune sauvegarde n'a été trouvée sur 1 des 2 serveurs.", "Un certificat de sécurité est expiré (site, messagerie ou autre service d'un serveur)."],
            trend: "Premier bilan : l'évolution apparaîtra au prochain contrôle.", incidents: "Aucun incident n'est en cours de traitement.",
            silence: ["Le dernier contrôle date du 20 novembre 2026, il y a plus de 7 jours : la situation a pu changer depuis."],
            organisation: "3 questions du questionnaire d'organisation sont restées sans réponse : ces points ne sont pas évalués et comptent pour zéro."),
        Row(name: "entity: questionnaire missing, security updates not verified, nothing received yet",
            facts: ElusFacts(scope: .entity, level: nil, scoreLevel: nil,
                             gaps: [ElusFacts.Gap(rule: .securityUpdateLate, state: .unverified, who: ["srv-1"], outOf: 1)],
                             organisationNotEvaluated: ["Commune de Trébabu"]),
            meaning: "Aucun contrôle exploitable n'a encore été reçu : le niveau ne peut pas être établi.", capNote: nil,
            gaps: ["L'installation des correctifs de sécurité n'a pas pu être vérifiée."],
            trend: "Premier bilan : l'évolution apparaîtra au prochain contrôle.", incidents: "Aucun incident n'est en cours de traitement.", silence: [],
            organisation: "Le questionnaire d'organisation de la sécurité numérique n'a pas été rempli : l'organisation n'est pas évaluée et compte pour zéro."),
    ]

    @Test("Fact pattern → sentences", arguments: rows)
    func sentences(_ row: Row) {
        let text = ElusWording.text(row.facts)
        #expect(text.meaning == row.meaning)
        #expect(text.capNote == row.capNote)
        #expect(text.gaps == row.gaps)
        #expect(text.trend == row.trend)
        #expect(text.incidents == row.incidents)
        #expect(text.silence == row.silence)
        #expect(text.organisation == row.organisation)
        // No sentence reassures while a gap applies or an incident is open, and none uses jargon.
        let all = [text.meaning, text.capNote ?? "", text.trend, text.incidents, text.organisation ?? ""] + text.gaps + text.silence
        if !row.facts.gaps.isEmpty || row.facts.incidents.open > 0 {
            #expect(!all.contains { $0.lowercased().contains("sans urgence") })
            #expect(!all.contains { $0.hasPrefix("Bon niveau :") || $0.hasPrefix("Très bon niveau :") })
        }
        for sentence in all { #expect(Jargon.violations(in: sentence).isEmpty, "\(sentence)") }
    }

    @Test("Every cap rule and state has a sentence for a territory and for an entity")
    func everyRuleWorded() {
        for rule in CapRule.allCases {
            for state in [CapState.gap, .unverified] {
                for scope in [Self.four, ElusFacts.Scope.entity] {
                    let sentence = ElusWording.gap(ElusFacts.Gap(rule: rule, state: state, who: ["X"], outOf: 1), scope: scope)
                    #expect(sentence.hasSuffix("."))
                    #expect(Jargon.violations(in: sentence).isEmpty, "\(sentence)")
                    #expect(!sentence.contains("  "))
                }
            }
        }
    }
}
