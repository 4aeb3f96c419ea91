import Checks
import Foundation
import NIS2
import Model
import Testing
import TestSupport

/// `org.nis2` over fixture trees, the per-section score sheet and the declaration cross-check.
@Suite struct OrganisationCheckTests {
    static let now = ISO8601.date(from: "2026-11-29T08:00:00Z")!
    static let answersPath = "/etc/cyberctl/nis2-answers.yaml"

    /// Runs the check on a root holding `answers` (nil: no file).
    static func run(_ answers: String?, questionnaire: String? = nil) async throws -> [CheckResult] {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("root")
        if let answers { try directory.write("root" + answersPath, answers) }
        let check = NIS2AnswersCheck(answers: answersPath, questionnaire: questionnaire)
        return await check.run(CheckContext(root: try FileSystemRoot(root), clock: .fixed(now)))
    }

    static func result(_ results: [CheckResult], _ id: String) throws -> CheckResult {
        try #require(results.first { $0.code == "org.nis2.\(id)" })
    }

    @Test func declarationsBecomeStatuses() async throws {
        let results = try await Self.run("""
            answers:
              c.sauvegardes-hors-ligne:
                status: oui
                maturity: 3
                evidence: {document: Procédure de sauvegarde, date: 2026-01-15, owner: DSI mutualisée}
                next_review: 2027-01-15
              a.politique-securite:
                status: oui
                next_review: 2026-10-30
              a.dpo: {status: partiel}
              j.mfa-messagerie: {status: non}
              b.exercice: {status: ne sais pas}
              e.antivirus: {status: sans objet}
            """)
        let questionnaire = try Questionnaire.shipped()
        #expect(results.count == questionnaire.items.count)
        #expect(results.allSatisfy { $0.check == "org.nis2" && $0.domain == .organisation && $0.target == Self.answersPath })

        let backups = try Self.result(results, "c.sauvegardes-hors-ligne")
        #expect(backups.status == .pass)
        #expect(backups.severity == .critical)
        #expect(backups.evidence["declared"] == "oui")
        #expect(backups.evidence["maturity"] == 3)
        #expect(backups.evidence["document"] == "Procédure de sauvegarde")
        #expect(backups.evidence["evidenceDate"] == "2026-01-15")
        #expect(backups.evidence["owner"] == "DSI mutualisée")
        #expect(backups.evidence["article"] == "21(2)(c)")
        #expect(backups.evidence["technicalPrefixes"] == .strings(["backup."]))
        #expect(backups.references.starts(with: ["NIS2-21.2.c", "RECYF-13", "EU-2024/2690-4.2", "ANSSI-HYG-37"]))

        // A "oui" past its review date only warns, and says by how much.
        let policy = try Self.result(results, "a.politique-securite")
        #expect(policy.status == .warn)
        #expect(policy.evidence["reviewOverdue"] == true)
        #expect(policy.evidence["daysOverdue"] == 30)

        #expect(try Self.result(results, "a.dpo").status == .warn)
        #expect(try Self.result(results, "j.mfa-messagerie").status == .fail)
        let unknown = try Self.result(results, "b.exercice")
        #expect(unknown.status == .fail)
        #expect(unknown.evidence["unknown"] == true)
        let notApplicable = try Self.result(results, "e.antivirus")
        #expect(notApplicable.status == .skip)
        #expect(notApplicable.reason == "declared not applicable")
        // No answer is not done.
        let unanswered = try Self.result(results, "art20.elu-referent")
        // Not answered: not evaluated (weighs, earns nothing, lowers coverage), never left out of the score.
        #expect(unanswered.status == .error)
        #expect(unanswered.reason?.contains("no answer") == true)
        #expect(unanswered.evidence["unanswered"] == true)
        #expect(unanswered.severity == .high)
        // ReCyF objective 16 is for essential entities only; 2.B applies to both.
        #expect(try Self.result(results, "a.analyse-risques").evidence["requiredFor"] == "EI/EE")
    }

    @Test func theEntityOfTheFileSaysWhichMeasuresAreObligations() async throws {
        func mandatory(_ entity: String, _ id: String) async throws -> JSONValue? {
            try Self.result(try await Self.run("entity:\n\(entity)\nanswers: {}\n"), id).evidence["mandatory"]
        }
        // An important entity (community of communes) need not meet what ReCyF reserves to essential ones.
        #expect(try await mandatory("  kind: cc", "a.dpo") == true)
        #expect(try await mandatory("  kind: cc", "f.controle-regulier") == true)
        // The small questionnaire's a.two maps only to ReCyF 16 (essential entities only).
        let directory = try TemporaryDirectory()
        let small = try directory.write("q.yaml", Self.smallQuestionnaire)
        for (kind, expected) in [("cc", false), ("region", true), ("metropole", true)] {
            let results = try await Self.run("entity: {kind: \(kind)}\nanswers: {}\n", questionnaire: small)
            #expect(try Self.result(results, "a.two").evidence["mandatory"] == .bool(expected))
            #expect(try Self.result(results, "a.one").evidence["mandatory"] == true)
        }
        #expect(try await mandatory("  kind: commune\n  population: 30001", "a.dpo") == true)
        #expect(try await mandatory("  kind: commune\n  population: 30000", "a.dpo") == false)
        // Undecided (no member-commune fact) or unknown entity: nothing is claimed.
        #expect(try await mandatory("  kind: ca", "a.dpo") == nil)
        #expect(try Self.result(try await Self.run("answers: {}\n"), "a.dpo").evidence["mandatory"] == nil)
        #expect(try Self.result(try await Self.run("entity: {kind: ca, has_commune_over_30000: true}\nanswers: {}\n"), "a.dpo").evidence["entityCategory"] == "essentielle")
    }

    @Test func everyItemHasItsTextInTheCatalogue() throws {
        let questionnaire = try Questionnaire.shipped()
        for item in questionnaire.items {
            let rule = try #require(Catalogue.rule(item.code))
            #expect(rule.domain == .organisation)
            #expect(rule.severity.rawValue == item.weight.rawValue)
            #expect(rule.text(.fr).title == item.title.fr)
            #expect(rule.text(.en).remediation == item.remediation.en)
        }
        #expect(Catalogue.rule("org.nis2.answers") != nil)
        #expect(CheckRegistry.type(withID: "org.nis2") != nil)
    }

    @Test func aMissingAnswersFileLeavesTheOrganisationNotEvaluated() async throws {
        let results = try await Self.run(nil)
        let questionnaire = try Questionnaire.shipped()
        // The cause, then every item unanswered: a missing file weighs what a blank one does.
        #expect(results.count == 1 + questionnaire.items.count)
        #expect(results.first?.code == "org.nis2.answers")
        #expect(results.first?.status == .error)
        #expect(results.first?.reason?.contains("cyberctl assess") == true)
        #expect(results.dropFirst().allSatisfy { $0.status == .error && $0.evidence["unanswered"] == true })
        // The organisation domain is "non évalué": it counts 0 in the overall score.
        #expect(Scoring.summarize(results).notEvaluated == [.organisation])
        // Answering anything never scores worse: a blank file's results are the same items.
        let blank = try await Self.run("answers: {}\n")
        #expect(Set(blank.map(\.code)).isSubset(of: Set(results.map(\.code))))
    }

    @Test func anInvalidAnswersFileIsOneErrorNamingEveryLine() async throws {
        let results = try await Self.run("answers:\n  a.dpo: {status: peut-être}\n  a.zzz: {status: oui}\n")
        #expect(results.count == 1)
        let result = try #require(results.first)
        #expect(result.code == "org.nis2.answers")
        #expect(result.status == .error)
        #expect(result.evidence["failure"] == "invalid")
        guard case .array(let problems)? = result.evidence["problems"] else {
            Issue.record("no problems in \(result.evidence)")
            return
        }
        #expect(problems.count == 2)
        #expect(result.reason?.contains("\(Self.answersPath):2: a.dpo: status \"peut-être\"") == true)
        #expect(result.reason?.contains("\(Self.answersPath):3: unknown item \"a.zzz\"") == true)
    }

    @Test func aFolderInPlaceOfTheFileIsAnError() async throws {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("root")
        _ = try directory.makeDirectory("root" + Self.answersPath)
        let results = await NIS2AnswersCheck(answers: Self.answersPath).run(CheckContext(root: try FileSystemRoot(root), clock: .fixed(Self.now)))
        #expect(results.map(\.status) == [.error])
        #expect(results.first?.evidence["failure"] == "read")
    }

    /// An answers file that is a link to nothing was meant to be there: "could not read", not "not
    /// filled in", so an error naming the link's target rather than a skip.
    @Test func aLinkToNothingInPlaceOfTheFileIsAnError() async throws {
        let directory = try TemporaryDirectory()
        let root = try directory.makeDirectory("root")
        _ = try directory.makeDirectory("root/etc/cyberctl")
        try FileManager.default.createSymbolicLink(
            atPath: directory.url("root" + Self.answersPath), withDestinationPath: "/srv/partage/rssi/nis2-answers.yaml")
        let results = await NIS2AnswersCheck(answers: Self.answersPath).run(CheckContext(root: try FileSystemRoot(root), clock: .fixed(Self.now)))
        #expect(results.map(\.status) == [.error])
        #expect(results.first?.evidence["failure"] == "dangling link")
        #expect(results.first?.reason == "\(Self.answersPath) is a symbolic link to /srv/partage/rssi/nis2-answers.yaml, which does not exist")
    }

    /// A small questionnaire with known weights, so the expected scores follow from the formula.
    static let smallQuestionnaire = """
        version: "t"
        sections:
          - {id: a, article: "21(2)(a)", title: {fr: "A", en: "A"}}
          - {id: b, article: "21(2)(b)", title: {fr: "B", en: "B"}}
          - {id: art20, article: "20", title: {fr: "G", en: "G"}}
        items:
          - {id: a.one, weight: high, title: {fr: "1", en: "one"}, question: {fr: "q", en: "q"}, why: {fr: "w", en: "w"}, remediation: {fr: "r", en: "r"}, recyf: ["2.B EI/EE"], regulation: ["1.1"]}
          - {id: a.two, weight: medium, title: {fr: "2", en: "two"}, question: {fr: "q", en: "q"}, why: {fr: "w", en: "w"}, remediation: {fr: "r", en: "r"}, recyf: ["16 EE"], regulation: ["2.1"]}
          - {id: b.three, weight: low, title: {fr: "3", en: "three"}, question: {fr: "q", en: "q"}, why: {fr: "w", en: "w"}, remediation: {fr: "r", en: "r"}, recyf: ["12 EI/EE"], regulation: ["3.1"]}
          - {id: b.four, weight: critical, title: {fr: "4", en: "four"}, question: {fr: "q", en: "q"}, why: {fr: "w", en: "w"}, remediation: {fr: "r", en: "r"}, recyf: ["12 EI/EE"], regulation: ["3.1"]}
          - {id: art20.five, weight: medium, title: {fr: "5", en: "five"}, question: {fr: "q", en: "q"}, why: {fr: "w", en: "w"}, remediation: {fr: "r", en: "r"}, recyf: ["2.A EI/EE"], regulation: ["1.2"]}
        """

    @Test func scoresPerSectionAndOverallFollowTheOneFormula() async throws {
        let directory = try TemporaryDirectory()
        let questionnaire = try directory.write("q.yaml", Self.smallQuestionnaire)
        let results = try await Self.run("""
            answers:
              a.one: {status: oui}
              a.two: {status: non}
              b.three: {status: partiel}
              b.four: {status: sans objet}
              art20.five: {status: ne sais pas}
            """, questionnaire: questionnaire)
        #expect(results.map(\.code) == ["org.nis2.a.one", "org.nis2.a.two", "org.nis2.b.three", "org.nis2.b.four", "org.nis2.art20.five"])
        #expect(try Self.result(results, "a.two").evidence["requiredFor"] == "EE")
        let sheet = try #require(NIS2ScoreSheet(results))
        // a: high pass (8 of 8) + medium fail (0 of 4) → 8/12 = 67.
        // b: low warn (1 of 2); the critical item is "sans objet", left out → 50.
        // art20: "ne sais pas" counts as not done → 0.
        #expect(sheet.sections.map(\.id) == ["a", "b", "art20"])
        #expect(sheet.sections.map(\.score) == [67, 50, 0])
        #expect(sheet.sections.map(\.article) == ["21(2)(a)", "21(2)(b)", "20"])
        #expect(sheet.sections.map(\.done) == [1, 0, 0])
        #expect(sheet.sections.map(\.scored) == [2, 1, 1])
        // Overall: (8 + 1 + 0) / (8 + 4 + 2 + 4) = 9/18 = 50, the organisation domain score.
        #expect(sheet.overall == 50)
        #expect(Scoring.summarize(results).domains[.organisation] == 50)
        #expect(sheet.unknown.map(\.code) == ["org.nis2.art20.five"])
        #expect(sheet.unanswered.isEmpty)
        // The fix that raises the score most is the heaviest item not done.
        #expect(Scoring.bestFixes(results).first?.result.code == "org.nis2.a.two")
    }

    @Test func noOrganisationalResultMeansNoSheet() {
        #expect(NIS2ScoreSheet([CheckResult(check: "cert.files", target: "/x", code: "cert.expiry", status: .pass, severity: .high)]) == nil)
    }

    // MARK: - Cross-check

    static func declared(_ status: String, result: Status, prefixes: [String], code: String = "org.nis2.c.sauvegardes-hors-ligne") -> CheckResult {
        CheckResult(
            check: "org.nis2", target: answersPath, code: code, status: result, severity: .critical,
            evidence: ["declared": .string(status), "section": "c", "article": "21(2)(c)", "technicalPrefixes": .strings(prefixes)])
    }

    static func technical(_ code: String, _ status: Status, target: String = "/srv/backup") -> CheckResult {
        CheckResult(check: String(code.split(separator: ".")[0]) + ".x", target: target, code: code, status: status, severity: .high)
    }

    @Test func aDeclaredYesContradictedByAFailingRuleIsFlaggedAndWarns() {
        let results = DeclarationCrossCheck.apply([
            Self.technical("backup.age", .fail, target: "/srv/backup/restic"),
            Self.technical("backup.encryption", .pass),
            Self.technical("tls.legacy-protocols", .fail, target: "127.0.0.1:443"),
            Self.declared("oui", result: .pass, prefixes: ["backup."]),
        ])
        let item = results[3]
        #expect(item.status == .warn)
        #expect(item.evidence["contradicted"] == true)
        #expect(item.evidence["contradictedBy"] == [["code": "backup.age", "target": "/srv/backup/restic", "severity": "high"]])
        #expect(item.evidence["technical"] == ["pass": 1, "warn": 0, "fail": 1, "error": 0])
        // Technical results are left as they were.
        #expect(Array(results[0..<3]) == [
            Self.technical("backup.age", .fail, target: "/srv/backup/restic"), Self.technical("backup.encryption", .pass),
            Self.technical("tls.legacy-protocols", .fail, target: "127.0.0.1:443"),
        ])
    }

    @Test func passingOrUndecidedTechnicalResultsSupportWithoutContradicting() {
        let results = DeclarationCrossCheck.apply([
            Self.technical("backup.age", .pass),
            Self.technical("backup.repository", .error),
            Self.technical("backup.size", .warn),
            Self.technical("backups.other", .fail),  // not the "backup." prefix
            Self.declared("oui", result: .pass, prefixes: ["backup."]),
        ])
        let item = results[4]
        #expect(item.status == .pass)
        #expect(item.evidence["contradicted"] == nil)
        // The rule that could not look supports nothing: it is counted apart.
        #expect(item.evidence["technical"] == ["pass": 1, "warn": 1, "fail": 0, "error": 1])
    }

    @Test func onlyAYesCanBeContradicted() {
        for (declared, status) in [("non", Status.fail), ("partiel", .warn), ("ne sais pas", .fail)] {
            let item = DeclarationCrossCheck.apply([
                Self.technical("patch.pending-security", .fail),
                Self.declared(declared, result: status, prefixes: ["patch."], code: "org.nis2.e.mises-a-jour"),
            ])[1]
            #expect(item.status == status)
            #expect(item.evidence["contradicted"] == nil)
            #expect(item.evidence["technical"] == ["pass": 0, "warn": 0, "fail": 1, "error": 0])
        }
        // A "oui" already warned for its review date stays a warn, and is flagged.
        let overdue = DeclarationCrossCheck.apply([
            Self.technical("cert.expiry", .fail, target: "/etc/ssl/old.pem"),
            Self.declared("oui", result: .warn, prefixes: ["tls.", "cert."], code: "org.nis2.h.certificats"),
        ])[1]
        #expect(overdue.status == .warn)
        #expect(overdue.evidence["contradicted"] == true)
    }

    @Test func itemsWithoutTechnicalPrefixesAndOtherResultsAreUntouched() {
        let input = [
            Self.technical("backup.age", .fail),
            CheckResult(check: "org.nis2", target: Self.answersPath, code: "org.nis2.a.dpo", status: .pass, severity: .medium, evidence: ["declared": "oui"]),
        ]
        #expect(DeclarationCrossCheck.apply(input) == input)
    }

    @Test func contradictionsNameAtMostTenFailures() {
        let failures = (1...25).map { Self.technical("cert.expiry", .fail, target: "/etc/ssl/\($0).pem") }
        let item = DeclarationCrossCheck.apply(failures + [Self.declared("oui", result: .pass, prefixes: ["cert."], code: "org.nis2.h.certificats")]).last!
        guard case .array(let named)? = item.evidence["contradictedBy"] else {
            Issue.record("no contradictedBy")
            return
        }
        #expect(named.count == DeclarationCrossCheck.namedLimit)
        #expect(item.evidence["technical"] == ["pass": 0, "warn": 0, "fail": 25, "error": 0])
    }
}
