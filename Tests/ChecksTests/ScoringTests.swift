import Checks
import Foundation
import NIS2
import Model
import Testing
import TestSupport

@Suite struct ScoringTests {
    static func result(_ code: String, _ status: Status, _ severity: Severity) -> CheckResult {
        CheckResult(check: "x", target: "t", code: code, status: status, severity: severity)
    }

    @Test func domainScoresWeighBySeverityAndOverallIsTheirMean() {
        let results = [
            Self.result("cert.expiry", .pass, .high),         // 8 of 8
            Self.result("cert.key-strength", .fail, .high),   // 0 of 8
            Self.result("cert.self-signed", .warn, .medium),  // 2 of 4
            Self.result("tls.hsts", .pass, .low),             // 2 of 2
            Self.result("tls.legacy-protocols", .error, .high),  // weighs 8, earns nothing
            Self.result("tls.compression", .skip, .high),        // left out
        ]
        let summary = Scoring.summarize(results)
        #expect(summary.domains[.certificates] == 50)  // 10 / 20
        #expect(summary.domains[.tls] == 20)           // 2 / 10
        #expect(summary.score == 35)
        #expect(summary.level == .e)
        #expect(summary.coverage == 0.667)
        #expect(summary.notEvaluated.isEmpty)
    }

    @Test("A rule that could not look never scores better than one that looked and failed")
    func errorNeverBeatsFail() {
        let base = [Self.result("patch.os-eol", .pass, .high), Self.result("tls.hsts", .pass, .low)]
        for severity in Severity.allCases {
            for code in ["patch.security-updates", "tls.legacy-protocols", "backup.present"] {
                let failed = Scoring.summarize(base + [Self.result(code, .fail, severity)])
                let erred = Scoring.summarize(base + [Self.result(code, .error, severity)])
                let unseen = Scoring.summarize(base)
                #expect(erred.score! <= failed.score!, "\(code) \(severity)")
                #expect(erred.score! <= unseen.score!, "\(code) \(severity): an error must not look like nothing to check")
                #expect(erred.coverage < failed.coverage)
            }
        }
    }

    @Test("A domain whose every rule erred is not evaluated: no domain score, 0 in the overall score")
    func domainWhoseRulesAllErredIsNotEvaluated() {
        let results = [
            Self.result("tls.legacy-protocols", .pass, .high),
            Self.result("tls.hsts", .pass, .low),
            Self.result("patch.security-updates", .error, .high),
            Self.result("patch.pending-updates", .error, .medium),
            Self.result("backup.present", .skip, .high),  // does not apply: no domain at all
        ]
        let summary = Scoring.summarize(results)
        #expect(summary.domains == [.tls: 100])
        #expect(summary.notEvaluated == [.patches])
        #expect(summary.score == 50)  // (100 + 0) / 2, not 100
        #expect(summary.level == .d)
        // The report's JSON keeps its published shape (cyberctl.report/1): the list is derived, not encoded.
        let json = String(decoding: try! JSONEncoder().encode(summary), as: UTF8.self)
        #expect(!json.contains("notEvaluated"))
    }

    @Test("Fixes are ranked with the errors weighing: the domain not evaluated still counts 0")
    func bestFixesWithErrors() {
        let results = [
            Self.result("tls.legacy-protocols", .fail, .high),
            Self.result("patch.security-updates", .error, .high),
        ]
        let fixes = Scoring.bestFixes(results)
        // tls 0 → 100; patches not evaluated (0): overall 0 → 50.
        #expect(fixes.map(\.scoreAfter) == [50])
    }

    @Test func levelsFollowTheDocumentedBands() {
        #expect([100, 90, 89, 75, 74, 60, 59, 40, 39, 0].map { Scoring.level(forScore: $0) } == [.a, .a, .b, .b, .c, .c, .d, .d, .e, .e])
    }

    @Test func nothingScoredMeansNoScore() {
        let summary = Scoring.summarize([Self.result("cert.file", .error, .medium)])
        #expect(summary.score == nil)
        #expect(summary.level == nil)
        #expect(summary.coverage == 0)
        #expect(summary.notEvaluated == [.certificates])
    }

    @Test func bestFixesRankByScoreGain() {
        let results = [
            Self.result("cert.expiry", .fail, .critical),
            Self.result("cert.key-strength", .pass, .high),
            Self.result("tls.hsts", .warn, .low),
            Self.result("tls.legacy-protocols", .pass, .high),
        ]
        let fixes = Scoring.bestFixes(results, limit: 2)
        #expect(fixes.map(\.result.code) == ["cert.expiry", "tls.hsts"])
        // certificates 8/24 → 24/24, tls 9/10: overall (33.3 + 90) / 2 = 61.7 → (100 + 90) / 2 = 95.
        #expect(fixes[0].scoreAfter == 95)
        #expect(fixes[0].gain == 33)
    }
}

@Suite struct ISO8601Tests {
    @Test func formatsAndParsesUTCSeconds() {
        let date = Date(timeIntervalSince1970: 1_795_852_800.75)
        #expect(ISO8601.string(from: date) == "2026-11-28T08:00:00Z")
        #expect(ISO8601.date(from: "2026-11-28T08:00:00Z") == Date(timeIntervalSince1970: 1_795_852_800))
        #expect(ISO8601.string(from: Date(timeIntervalSince1970: -62_135_596_800)) == "0001-01-01T00:00:00Z")
        // Against Foundation's formatter, from 1900 to year 9999's last second, and read back.
        let reference = ISO8601DateFormatter()
        reference.timeZone = TimeZone(identifier: "UTC")
        var generator = SystemRandomNumberGenerator()
        let seconds = [-2_208_988_800, 0, 253_402_300_799] + (0..<2_000).map { _ in Int.random(in: -2_208_988_800...253_402_300_799, using: &generator) }
        for second in seconds {
            let date = Date(timeIntervalSince1970: TimeInterval(second))
            #expect(ISO8601.string(from: date) == reference.string(from: date), "\(second)")
            #expect(ISO8601.date(from: ISO8601.string(from: date)) == date, "\(second)")
        }
        for bad in ["2026-11-28 08:00:00Z", "2026-13-28T08:00:00Z", "2026-11-28T08:00:00+01:00", "", "2026-11-28T08:00:0xZ"] {
            #expect(ISO8601.date(from: bad) == nil, "\(bad)")
        }
    }
}

@Suite struct ReferenceCatalogueTests {
    @Test func everyReferenceACatalogueRuleCitesIsKnown() {
        for rule in Catalogue.rules.values {
            for id in rule.references {
                #expect(ReferenceCatalogue.entry(for: id) != nil, "\(rule.code) cites \(id), which has no title")
            }
        }
    }

    @Test func familiesGiveTitles() {
        #expect(ReferenceCatalogue.entry(for: "NIS2-21.2.c")?.title.contains("sauvegardes") == true)
        #expect(ReferenceCatalogue.entry(for: "RECYF-2.B")?.title.contains("gouvernance") == true)
        #expect(ReferenceCatalogue.entry(for: "ANSSI-HYG-37")?.title.contains("mesure 37") == true)
        #expect(ReferenceCatalogue.entry(for: "EU-2024/2690-4.2")?.title.contains("4.2") == true)
        #expect(ReferenceCatalogue.entry(for: "ANSSI-HYG-43") == nil)
        #expect(ReferenceCatalogue.entry(for: "NIS2-21.2.k") == nil)
    }
}


@Suite struct QuestionnaireReferenceTests {
    @Test func everyQuestionnaireReferenceHasATitle() throws {
        let questionnaire = try Questionnaire.load(path: BuiltBinary.packageRoot + "/Profiles/nis2/questionnaire.yaml")
        for item in questionnaire.items {
            let section = questionnaire.sections.first { $0.id == item.id.split(separator: ".").first.map(String.init) }
            for id in item.referenceIDs(section: section) {
                #expect(ReferenceCatalogue.entry(for: id) != nil, "\(item.id) cites \(id), which has no title")
            }
        }
    }
}
