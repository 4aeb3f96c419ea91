import Foundation
import NIS2
import Testing
import TestSupport

/// Answers files: a good one read back exactly, and every kind of mistake named with its line.
@Suite struct AnswersFileTests {
    static let questionnaire: Questionnaire = try! Questionnaire.shipped()
    static let today = CalendarDay("2026-11-29")!

    func problems(_ text: String) -> [String] {
        do {
            _ = try AnswersFile.parse(text, file: "answers.yaml", questionnaire: Self.questionnaire, today: Self.today)
            return []
        } catch {
            return error.problems.map { problem in problem.line.map { "\($0): \(problem.englishMessage)" } ?? problem.englishMessage }
        }
    }

    @Test func aCompleteFileIsReadAndWrittenBackUnchanged() throws {
        let text = """
            questionnaire: "1"
            updated: 2026-11-20
            entity:
              name: "Commune d'Essai \\"Test\\""
              siren: "212900195"
              kind: ca
              population: 45000
              has_commune_over_30000: false
            answers:
              c.sauvegardes-hors-ligne:
                status: oui
                maturity: 4
                evidence:
                  document: Procédure de sauvegarde v3
                  date: 2026-02-01
                  owner: Service informatique mutualisé
                next_review: 2027-02-01
                comment: "Copie hors ligne: disque en coffre,\\nchangé le lundi"
              a.dpo: {status: partiel}
              b.exercice: {status: NE_SAIS_PAS}
              e.antivirus: {status: sans-objet}
              j.mfa-messagerie: {status: non, maturity: 1}
            """
        let file = try AnswersFile.parse(text, file: "answers.yaml", questionnaire: Self.questionnaire, today: Self.today)
        #expect(file.entity.kind == "ca")
        #expect(file.entity.hasCommuneOver30000 == false)
        #expect(file.entity.name == "Commune d'Essai \"Test\"")
        let backups = try #require(file.answers["c.sauvegardes-hors-ligne"])
        #expect(backups.status == .oui)
        #expect(backups.maturity == 4)
        #expect(backups.evidence?.date == CalendarDay("2026-02-01"))
        #expect(backups.nextReview == CalendarDay("2027-02-01"))
        #expect(backups.comment == "Copie hors ligne: disque en coffre,\nchangé le lundi")
        #expect(file.answers["b.exercice"]?.status == .neSaisPas)
        #expect(file.answers["e.antivirus"]?.status == .sansObjet)
        #expect(file.answers.count == 5)

        let written = file.yaml(questionnaire: Self.questionnaire)
        var reread = try AnswersFile.parse(written, file: "written.yaml", questionnaire: Self.questionnaire, today: Self.today)
        // Lines differ between the two texts; everything else is the same.
        for key in reread.answers.keys { reread.answers[key]?.line = file.answers[key]?.line }
        #expect(reread == file)
        #expect(written.contains("  # 21(2)(c) — Les données et applications essentielles"))
    }

    @Test func syntaxErrorsAndWrongShapesHaveLines() {
        let syntax = problems("answers:\n  a.dpo: {status: oui\n  b.exercice: {status: non}\n")
        #expect(syntax.count == 1)
        #expect(syntax.first?.range(of: #"^[0-9]+: YAML syntax: "#, options: .regularExpression) != nil, "\(syntax)")
        #expect(problems("- a\n- b\n") == ["1: expected a mapping with questionnaire, updated, entity and answers"])
        #expect(problems("") == ["empty document: expected a YAML mapping"])
        #expect(problems("answers:\n  a.dpo: {status: oui}\n  a.dpo: {status: non}\n").first?.contains("duplicate key a.dpo") == true)
        #expect(problems("answers: [a.dpo]\n") == ["1: answers: expected a mapping of item ids to answers"])
        #expect(problems("answers:\n  a.dpo: oui\n") == ["2: a.dpo: expected a mapping with at least status: (oui, partiel, non, ne sais pas, sans objet)"])
        #expect(problems("answer:\n  a.dpo: {status: oui}\n") == ["1: unknown key \"answer\" in answers file; expected one of: questionnaire, updated, entity, answers"])
    }

    @Test func unknownItemsGetASuggestion() {
        #expect(problems("answers:\n  a.dpo: {status: oui}\n  c.sauvegarde-hors-ligne: {status: oui}\n")
            == ["3: unknown item \"c.sauvegarde-hors-ligne\"; did you mean \"c.sauvegardes-hors-ligne\"?"])
        #expect(problems("answers:\n  firewall: {status: oui}\n").first?.contains("cyberctl assess --list") == true)
    }

    @Test func statusMistakes() {
        #expect(problems("answers:\n  a.dpo: {maturity: 2}\n") == ["2: a.dpo: missing key \"status\": expected oui, partiel, non, ne sais pas or sans objet"])
        #expect(problems("answers:\n  a.dpo:\n    status: peut-être\n") == ["3: a.dpo: status \"peut-être\": expected one of oui, partiel, non, ne sais pas, sans objet"])
        // YAML 1.1 booleans are not statuses.
        #expect(problems("answers:\n  a.dpo: {status: yes}\n").first?.contains("status \"yes\"") == true)
        #expect(problems("answers:\n  a.dpo:\n    status: sans objet\n") == ["3: a.dpo: \"sans objet\" is not accepted for this item: every entity must answer it"])
        #expect(problems("answers:\n  a.dpo:\n    status: oui\n    statut: non\n") == ["4: unknown key \"statut\" in a.dpo; expected one of: status, maturity, evidence, next_review, comment"])
    }

    @Test func maturityMistakes() {
        for bad in ["0", "6", "trois", "2.5"] {
            #expect(problems("answers:\n  a.dpo:\n    status: oui\n    maturity: \(bad)\n") == ["4: a.dpo: maturity \"\(bad)\": expected a whole number from 1 to 5"])
        }
        #expect(problems("answers:\n  b.exercice:\n    status: ne sais pas\n    maturity: 3\n") == ["4: b.exercice: maturity given with status \"ne sais pas\": remove it or give another status"])
    }

    @Test func evidenceAndDateMistakes() {
        #expect(problems("answers:\n  a.dpo:\n    status: oui\n    evidence: arrêté du maire\n") == ["4: a.dpo evidence: expected a mapping with document, date and owner"])
        #expect(problems("answers:\n  a.dpo:\n    status: oui\n    evidence:\n      doc: arrêté\n") == ["5: unknown key \"doc\" in a.dpo.evidence; expected one of: document, date, owner"])
        for bad in ["2026-13-01", "2026-02-30", "12/03/2026", "demain", "2026-3-1"] {
            #expect(problems("answers:\n  a.dpo:\n    status: oui\n    evidence:\n      date: \(bad)\n") == ["5: a.dpo.evidence.date \"\(bad)\": expected a date as YYYY-MM-DD, e.g. 2026-03-12"])
        }
        #expect(problems("answers:\n  a.dpo:\n    status: oui\n    evidence:\n      date: 2026-11-30\n") == ["5: a.dpo evidence date 2026-11-30 is in the future (today is 2026-11-29)"])
        #expect(problems("answers:\n  a.dpo:\n    status: oui\n    evidence:\n      date: 2026-06-01\n    next_review: 2026-05-01\n") == ["6: a.dpo: next_review 2026-05-01 is before the evidence date 2026-06-01"])
        #expect(problems("answers:\n  a.dpo:\n    status: oui\n    next_review: bientôt\n") == ["4: a.dpo.next_review \"bientôt\": expected a date as YYYY-MM-DD, e.g. 2026-03-12"])
        #expect(problems("updated: hier\nanswers: {}\n") == ["1: updated \"hier\": expected a date as YYYY-MM-DD, e.g. 2026-03-12"])
    }

    @Test func entityMistakes() {
        #expect(problems("entity:\n  kind: mairie\n") == ["2: entity kind \"mairie\": expected one of commune, cc, ca, cu, metropole, departement, region, syndicat"])
        #expect(problems("entity:\n  population: -3\n") == ["2: entity population: expected a whole number of inhabitants (0 or more)"])
        #expect(problems("entity:\n  siren: 12345\n") == ["2: entity siren \"12345\": expected 9 digits"])
        #expect(problems("entity:\n  has_commune_over_30000: peut-être\n") == ["2: entity has_commune_over_30000: expected true or false"])
        #expect(problems("entity: Commune\n") == ["1: entity: expected a mapping (name, siren, kind, population, has_commune_over_30000)"])
    }

    @Test func everyProblemIsReportedInLineOrder() {
        let found = problems("""
            answers:
              a.dpo:
                status: peut-être
              b.exercice:
                status: oui
                maturity: 9
              zzz: {status: oui}
            """)
        #expect(found.count == 3)
        #expect(found.map { $0.split(separator: ":").first.map(String.init) ?? "" } == ["3", "6", "7"])
    }

    @Test func aFileThatIsNotTextOrMissing() throws {
        let directory = try TemporaryDirectory()
        let binary = directory.url("bin.yaml")
        try Data([0xFF, 0xFE, 0x00, 0x41]).write(to: URL(fileURLWithPath: binary))
        #expect {
            try AnswersFile.load(path: binary, questionnaire: Self.questionnaire, today: Self.today)
        } throws: { ($0 as? NIS2InputError)?.description(english: true) == "\(binary): answers file is not UTF-8 text" }
        #expect {
            try AnswersFile.load(path: directory.url("absent.yaml"), questionnaire: Self.questionnaire, today: Self.today)
        } throws: { ($0 as? NIS2InputError)?.exitCode == 66 }
    }

    @Test func aListOrMappingWhereTextIsExpectedIsRefusedAtItsLine() {
        #expect(problems("answers:\n  a.dpo:\n    status: oui\n    evidence:\n      document: [PSSI, charte]\n")
            == ["5: a.dpo.evidence.document: expected a text value, found a list"])
        #expect(problems("answers:\n  a.dpo:\n    status: oui\n    evidence:\n      owner: {service: DSI}\n")
            == ["5: a.dpo.evidence.owner: expected a text value, found a mapping"])
        #expect(problems("answers:\n  a.dpo:\n    status: oui\n    comment:\n      - un\n      - deux\n")
            == ["4: a.dpo.comment: expected a text value, found a list"])
        #expect(problems("entity:\n  name: [Commune]\n") == ["2: entity.name: expected a text value, found a list"])
        #expect(problems("questionnaire: {v: 1}\nanswers: {}\n") == ["1: questionnaire: expected a text value, found a mapping"])
    }

    @Test func textWithLineSeparatorsAndControlsIsWrittenBackExactly() throws {
        var file = AnswersFile(entity: AnswerEntity(name: "Commune \u{85}NEL \u{2028}LS \u{2029}PS \u{202E}RLO \u{1B}[2J \u{9B}CSI \u{FEFF}BOM"))
        file.answers["a.dpo"] = Answer(
            itemID: "a.dpo", status: .oui,
            evidence: AnswerEvidence(document: "Arrêté\u{2028}n° 12\r\n\ttab", owner: "DGS \\ \"quote\" \u{7F}"),
            comment: "ligne 1\u{85}ligne 2")
        let written = file.yaml(questionnaire: Self.questionnaire)
        #expect(!written.unicodeScalars.contains { [0x85, 0x2028, 0x2029, 0x202E, 0x1B, 0x9B].contains($0.value) }, "escaped in the file")
        var reread = try AnswersFile.parse(written, file: "written.yaml", questionnaire: Self.questionnaire, today: Self.today)
        for key in reread.answers.keys { reread.answers[key]?.line = nil }
        #expect(reread == file)
    }

    @Test func anAnswersFileOverTheProfilesSizeBoundIsRefusedUnread() throws {
        let directory = try TemporaryDirectory()
        let big = try directory.write("big.yaml", "answers: {}\n" + String(repeating: "# commentaire\n", count: 80_000))
        #expect {
            try AnswersFile.load(path: big, questionnaire: Self.questionnaire, today: Self.today)
        } throws: { error in
            let description = (error as? NIS2InputError)?.description(english: true) ?? ""
            return description.contains(big) && description.contains("1048576") && (error as? NIS2InputError)?.exitCode == 65
        }
    }

    @Test func calendarDays() {
        #expect(CalendarDay("2024-02-29") != nil)
        #expect(CalendarDay("2025-02-29") == nil)
        #expect(CalendarDay("2026-01-01")!.days(until: CalendarDay("2026-03-01")!) == 59)
        #expect(CalendarDay("2026-11-29")!.adding(days: 365).description == "2027-11-29")
    }
}
