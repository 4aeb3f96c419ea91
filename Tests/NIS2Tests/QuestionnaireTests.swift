import Foundation
import NIS2
import Testing
import TestSupport

/// The shipped questionnaire: structure, mappings and the local-authority governance items.
@Suite struct QuestionnaireTests {
    static let questionnaire: Questionnaire = try! Questionnaire.shipped()

    @Test func everyArticle21LetterAndArticle20HasItems() {
        let sections = Self.questionnaire.sections.map(\.id)
        #expect(sections == ["a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "art20"])
        for section in sections {
            #expect(Self.questionnaire.items.contains { $0.section == section }, "no item in \(section)")
        }
        #expect(Self.questionnaire.section("c")?.article == "21(2)(c)")
        #expect(Self.questionnaire.section("art20")?.referenceID == "NIS2-20")
    }

    @Test func theGovernanceItemsForLocalAuthoritiesArePresent() {
        // élu référent, strategy debated in council, mutualisation agreement, DPO, regional CSIRT,
        // incident procedure and its exercise, offline backups, MFA admin and webmail, training of
        // élus and agents in 12 months, inventory of systems and suppliers.
        let expected = [
            "art20.elu-referent", "art20.strategie-deliberee", "d.convention-mutualisation", "a.dpo",
            "b.csirt-regional", "b.procedure-incident", "b.exercice", "c.sauvegardes-hors-ligne",
            "j.mfa-administration", "j.mfa-messagerie", "art20.formation-elus", "g.sensibilisation-agents",
            "i.inventaire-si", "d.inventaire-fournisseurs",
        ]
        for id in expected { #expect(Self.questionnaire.item(id) != nil, "missing \(id)") }
    }

    @Test func everyItemIsFullyMappedAndWritten() {
        // Annex of Implementing Regulation 2024/2690: sections 1–13 and their sub-section counts.
        let annex: [Int: Int] = [1: 2, 2: 3, 3: 6, 4: 3, 5: 2, 6: 10, 7: 3, 8: 2, 9: 3, 10: 4, 11: 7, 12: 5, 13: 3]
        for item in Self.questionnaire.items {
            #expect(item.code == "org.nis2.\(item.id)")
            #expect(item.code.range(of: #"^org(\.[a-z0-9_-]+)+$"#, options: .regularExpression) != nil)
            #expect(!item.recyf.isEmpty, "\(item.id) has no ReCyF objective")
            #expect(!item.regulation.isEmpty, "\(item.id) has no 2024/2690 section")
            for section in item.regulation {
                let parts = section.split(separator: ".").compactMap { Int($0) }
                #expect(parts.count == 2 && (1...(annex[parts[0]] ?? 0)).contains(parts[1]), "\(item.id): no annex section \(section)")
            }
            for objective in item.recyf {
                let number = Int(objective.objective.split(separator: ".").first ?? "") ?? 0
                #expect((1...20).contains(number))
                // Objectives 16–20 apply to essential entities only (ReCyF v2.5).
                #expect(objective.appliesToImportant == (number < 16), "\(item.id): \(objective.label)")
            }
            for text in [item.title, item.question, item.why, item.remediation] {
                #expect(!text.fr.isEmpty && !text.en.isEmpty && text.fr != text.en, "\(item.id): FR and EN expected")
            }
            #expect(!item.why.fr.contains("\n"), "\(item.id): why is one line")
        }
    }

    @Test func technicalEvidenceFeedsTheMatchingLetters() {
        func prefixes(_ section: String) -> Set<String> {
            Set(Self.questionnaire.items.filter { $0.section == section }.flatMap(\.technical))
        }
        #expect(prefixes("c") == ["backup."])
        #expect(prefixes("e") == ["patch."])
        #expect(prefixes("h") == ["tls.", "cert."])
        for section in ["a", "b", "d", "f", "g", "i", "j", "art20"] { #expect(prefixes(section).isEmpty) }
    }

    @Test func aBrokenQuestionnaireNamesEveryProblemWithItsLine() {
        let text = """
            version: "t"
            sections:
              - {id: a, article: "21(2)(a)", title: {fr: "A", en: "A"}}
            items:
              - id: z.unknown-section
                weight: high
              - id: a.ok
                weight: huge
              - id: a.texts
                weight: low
                title: {fr: "T", en: "T"}
                hygiene: [43]
                technical: ["backup"]
            """
        #expect {
            try Questionnaire.parse(text, file: "q.yaml")
        } throws: { error in
            let text = (error as? NIS2InputError)?.description(english: true) ?? ""
            return text.contains("q.yaml:5: item id \"z.unknown-section\"")
                && text.contains("q.yaml:8: item a.ok: weight \"huge\"")
                && text.contains("q.yaml:9: item a.texts: missing key \"question\"")
                && text.contains("q.yaml:12: item a.texts: hygiene \"43\"")
                && text.contains("q.yaml:13: item a.texts: technical \"backup\"")
        }
    }
}
