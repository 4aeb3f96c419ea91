import Agent
import Checks
import Foundation
import NIS2
@testable import Summary
import Model
import Territory
import Testing
import TestSupport

/// The summary's content, from a real store built by ingesting real signed reports.
@Suite("Summary content")
struct SummaryBuilderTests {
    typealias F = SummaryFixture

    @Test("Entity: level and score from the one formula, trend, priorities from Scoring.bestFixes in plain words, NIS 2, CSIRT")
    func entity() throws {
        let fixture = try F.territory()
        let summary = try fixture.builder().entity(F.plouzane.siren!)
        let expected = Scoring.summarize(F.weak)
        #expect(summary.title == "Commune de Plouzané")
        #expect(summary.score == expected.score)
        #expect(summary.level == expected.level?.rawValue)
        #expect(summary.meaning == PlainFrench.meaning(of: expected.level!))
        // Trend: the report a month ago scored lower.
        let before = try #require(Scoring.summarize(F.weaker).score)
        #expect(before < expected.score!)
        #expect(summary.trend.direction == .up)
        #expect(summary.trend.previousScore == before)
        #expect(summary.trend.sentence.hasPrefix("En progrès depuis le contrôle du "))
        // Priorities: the best fixes' rules, translated, duplicates merged, at most three.
        // The council's own actions (the élu référent, failing in the report) are decisions, not priorities.
        let best = Scoring.bestFixes(F.weak, limit: 20).filter { PlainFrench.action(for: $0.result.code).who != .council }
        #expect(Scoring.bestFixes(F.weak, limit: 1).first?.result.code == "org.nis2.art20.elu-referent")
        #expect(summary.priorities.count == 3)
        #expect(summary.priorities.first?.action == PlainFrench.action(for: best[0].result.code).action)
        #expect(summary.priorities.first?.codes.contains(best[0].result.code) == true)
        #expect(!summary.priorities.contains { $0.who == Actor.council.french })
        #expect(Set(summary.priorities.map(\.action)).count == 3)
        for priority in summary.priorities {
            #expect(!priority.who.isEmpty && !priority.effort.isEmpty && !priority.cost.isEmpty)
        }
        // 13 000 inhabitants: not regulated as a commune (shipped scope table).
        #expect(summary.nis2.category == "non-regulee")
        #expect(summary.nis2.label == "Non concernée en tant que collectivité")
        // Decisions from the results: the offline copy fails; the agent reported no élu référent (org.nis2 result),
        // so the decision is firm and the questionnaire is not asked for.
        let decisions = summary.decisions.map(\.decision)
        #expect(decisions.contains { $0.hasPrefix("Financer une copie des sauvegardes hors ligne") })
        #expect(decisions.contains("Désigner un élu référent pour la sécurité numérique"))
        #expect(!decisions.contains { $0.hasPrefix("Demander à la direction de remplir le questionnaire") })
        // Lanvéoc's agent reported nothing organisational: the référent "si ce n'est pas déjà fait", and the questionnaire.
        let lanveoc = try fixture.builder().entity(F.lanveoc.siren!).decisions.map(\.decision)
        #expect(lanveoc.contains("Désigner un élu référent pour la sécurité numérique, si ce n'est pas déjà fait"))
        #expect(lanveoc.contains { $0.hasPrefix("Demander à la direction de remplir le questionnaire") })
        #expect(!lanveoc.contains { $0.hasPrefix("Financer une copie des sauvegardes") }, "its offline copy passes")
        #expect(summary.decisions.count <= 5)
        // Finistère → Bretagne → Breizh Cyber.
        #expect(summary.csirt.name.hasPrefix("Breizh Cyber"))
        #expect(summary.csirt.phone == "0 800 200 008")
        #expect(summary.members.isEmpty)
    }

    @Test("End of support: replacing servers is asked only once support has ended; during Debian LTS or Ubuntu ESM, a planned upgrade")
    func endOfSupportDecisions() throws {
        let fixture = try SummaryFixture()
        // patch.os-eol as the check writes it: warn/medium in an extended phase, fail/high once support has ended.
        try fixture.write(F.plouzane, daysAgo: 1, results: [F.result("patch.os-eol", .warn, .medium, target: "/etc/os-release")])
        try fixture.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 1, results: [F.result("patch.os-eol", .fail, .high, target: "/etc/os-release")])
        try fixture.ingest()
        let replace = "Inscrire au budget le remplacement des serveurs qui ne sont plus suivis par leur éditeur"
        let plan = "Planifier la mise à niveau des serveurs dont le système arrive en fin de support"
        let extended = try fixture.builder().entity(F.plouzane.siren!).decisions
        #expect(!extended.contains { $0.decision == replace }, "\(extended)")
        let planned = try #require(extended.first { $0.decision == plan }, "\(extended)")
        #expect(planned.why.contains("des correctifs de sécurité arrivent encore") && planned.why.contains("LTS de Debian"))
        let ended = try fixture.builder().entity(F.lanveoc.siren!).decisions.map(\.decision)
        #expect(ended.contains(replace) && !ended.contains(plan), "\(ended)")
        // The territory: one member's support has ended, so the replacement is on the council's list.
        let territory = try fixture.builder().territory().decisions.map(\.decision)
        #expect(territory.contains(replace), "\(territory)")

        // A territory whose only finding is an extended phase: a planned upgrade, no replacement.
        let calm = try SummaryFixture()
        try calm.write(F.plouzane, daysAgo: 1, results: [F.result("patch.os-eol", .warn, .medium, target: "/etc/os-release")])
        try calm.ingest()
        let calmDecisions = try calm.builder().territory().decisions.map(\.decision)
        #expect(calmDecisions.contains(plan) && !calmDecisions.contains(replace), "\(calmDecisions)")
    }

    @Test("Nothing verified is not 'nothing to fix': the page says no priority can be given; partly verified says so")
    func noPrioritiesFollowCoverage() throws {
        func erred(_ code: String) -> CheckResult {
            CheckResult(check: "test.check", target: "t", code: code, status: .error, severity: .high, reason: .init(fr: "lecture de t impossible", en: "cannot read t"), durationMs: 3)
        }
        let fixture = try SummaryFixture()
        try fixture.write(F.plouzane, daysAgo: 1, results: [erred("tls.legacy-protocols"), erred("backup.present"), erred("patch.security-updates")])
        try fixture.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 1, results: [F.result("tls.hsts", .pass, .medium), erred("backup.present")])
        try fixture.ingest()
        let blind = try fixture.builder().entity(F.plouzane.siren!)
        #expect(blind.priorities.isEmpty)
        #expect(blind.noPriorities.contains("n'ont rien pu vérifier"), "\(blind.noPriorities)")
        #expect(!SummaryRenderer.markdown(blind).contains("Aucun point à corriger n'a été relevé par les derniers contrôles"))
        #expect(SummaryRenderer.markdown(blind).contains(blind.noPriorities))
        let partly = try fixture.builder().entity(F.lanveoc.siren!)
        if partly.priorities.isEmpty {
            #expect(partly.noPriorities.contains("parmi ce qui a pu être vérifié"), "\(partly.noPriorities)")
        }
        #expect(SummaryBuilder.noPrioritiesSentence(coverage: 1, findings: false, gaps: false, unverified: false)
            == "Aucun point à corriger n'a été relevé par les derniers contrôles.")
        #expect(SummaryBuilder.noPrioritiesSentence(coverage: 0.5, findings: false, gaps: false, unverified: false).contains("parmi ce qui a pu être vérifié"))
        #expect(SummaryBuilder.noPrioritiesSentence(coverage: 1, findings: false, gaps: false, unverified: true).contains("parmi ce qui a pu être vérifié"))
        #expect(SummaryBuilder.noPrioritiesSentence(coverage: 1, findings: true, gaps: false, unverified: false).contains("décision du conseil"))
    }

    @Test("A system out of support is the only gap: its remedy is the council's, and the page never says there is nothing to fix")
    func endOfSupportOnlyIsNoReassurance() throws {
        let fixture = try SummaryFixture()
        try fixture.write(F.plouzane, daysAgo: 1, results: [
            F.result("tls.hsts", .pass, .medium), F.result("backup.present", .pass, .critical),
            F.result("patch.security-updates", .pass, .high),
            F.result("patch.os-eol", .fail, .high),
        ])
        try fixture.ingest()
        let page = try fixture.builder().entity(F.plouzane.siren!)
        #expect(page.priorities.isEmpty, "\(page.priorities.map(\.action))")
        #expect(page.noPriorities.contains("demandent une décision du conseil"), "\(page.noPriorities)")
        let markdown = SummaryRenderer.markdown(page)
        #expect(!markdown.contains("Aucun point à corriger"), "\(markdown)")
    }

    @Test("Entity: an intercommunalité is an entité importante and gets the Art. 20 decisions; answers drive the decisions")
    func answersDriveDecisions() throws {
        let fixture = try F.territory()
        let plain = try fixture.builder().entity(F.cc.siren!)
        #expect(plain.nis2.category == "importante")
        #expect(plain.nis2.implications.contains("article 20"))
        #expect(plain.decisions.contains { $0.decision.hasPrefix("Approuver par délibération") })
        #expect(plain.decisions.contains { $0.decision.hasPrefix("Inscrire les élus de l'exécutif à une formation") })

        let text = """
            questionnaire: "1"
            updated: 2026-11-20
            entity:
              siren: "\(F.cc.siren!)"
              kind: cc
            answers:
              art20.elu-referent: {status: oui}
              art20.strategie-deliberee: {status: oui}
              art20.formation-elus: {status: non}
              c.sauvegardes-hors-ligne: {status: oui}
              d.convention-mutualisation: {status: oui}
            """
        let answers = try AnswersFile.parse(text, file: "answers.yaml", questionnaire: try Questionnaire.shipped(), today: CalendarDay(fixture.now))
        let summary = try fixture.builder(answers: answers).entity(F.cc.siren!)
        let decisions = summary.decisions.map(\.decision)
        #expect(!decisions.contains { $0.hasPrefix("Désigner un élu référent") }, "answered oui")
        #expect(!decisions.contains { $0.hasPrefix("Approuver par délibération") }, "answered oui")
        #expect(decisions.contains { $0.hasPrefix("Inscrire les élus de l'exécutif à une formation") }, "answered non")
        // The offline copy still fails in the report: the technical finding wins over the declaration.
        #expect(decisions.contains { $0.hasPrefix("Financer une copie des sauvegardes hors ligne") })
        #expect(!decisions.contains { $0.hasPrefix("Demander à la direction de remplir le questionnaire") })

        // Answers of another entity are refused.
        #expect(throws: InputError.self) { try fixture.builder(answers: answers).entity(F.plouzane.siren!) }
    }

    @Test("Territory: the intercommunalité's page, then its member communes with level and trend")
    func territory() throws {
        let fixture = try F.territory()
        let summary = try fixture.builder().territory()
        #expect(summary.scope == .territory)
        #expect(summary.title == F.cc.name)
        // Each member weighs one (the communauté de communes reports too, so it is a member).
        let scores = [F.weak, F.good, F.weak].map { Scoring.summarize($0).score! }
        #expect(summary.score == Int((Double(scores.reduce(0, +)) / 3).rounded()))
        #expect(summary.nis2.category == "importante")
        #expect(summary.members.map(\.name) == [F.cc.name!, "Commune de Lanvéoc", "Commune de Plouzané"])
        #expect(summary.members.allSatisfy { $0.reported })
        #expect(summary.incidents == "Aucun incident n'est en cours de traitement.")
        let plouzane = try #require(summary.members.first { $0.siren == F.plouzane.siren })
        #expect(plouzane.trend == .up)
        #expect(plouzane.level == Scoring.summarize(F.weak).level?.rawValue)
        let lanveoc = try #require(summary.members.first { $0.siren == F.lanveoc.siren })
        #expect(lanveoc.trend == .first)
        #expect(lanveoc.level == Scoring.summarize(F.good).level?.rawValue)
        #expect(summary.csirt.name.hasPrefix("Breizh Cyber"))
        #expect(!summary.priorities.isEmpty)
    }

    @Test("Unknown SIREN: missing, not a crash")
    func unknownEntity() throws {
        let fixture = try F.territory()
        #expect(throws: InputError.self) { try fixture.builder().entity("356000000") }
    }

    @Test("CSIRT lookup through the shipped directory: by région name (accents and case ignored), by département, overseas, none")
    func csirt() {
        #expect(RegionalCSIRT.contact(region: "provence alpes cote d'azur", departement: nil)?.name.hasPrefix("Urgence Cyber région Sud") == true)
        #expect(RegionalCSIRT.contact(region: nil, departement: "2A")?.region == "Corse")
        #expect(RegionalCSIRT.contact(region: nil, departement: "59")?.phone == "0 806 700 111")
        #expect(RegionalCSIRT.contact(region: "Martinique", departement: nil)?.name.hasPrefix("CSIRT-ATLANTIC") == true)
        #expect(RegionalCSIRT.contact(region: nil, departement: "976") == nil, "Mayotte: no regional centre listed")
        #expect(RegionalCSIRT.contact(region: nil, departement: nil) == nil)
        // Every metropolitan département has a centre.
        for number in 1...95 where number != 20 {
            let code = String(format: "%02d", number)
            #expect(RegionalCSIRT.contact(region: nil, departement: code) != nil, "département \(code)")
        }
    }

    @Test("French dates and trend bands; the previous report, with its time when it is the same day")
    func wording() throws {
        #expect(SummaryBuilder.frenchDate("2026-11-01") == "1er novembre 2026")
        #expect(SummaryBuilder.frenchDate("2026-02-28T10:00:00Z") == "28 février 2026")
        func point(_ at: String, _ score: Int, _ level: String) -> TrendPoint {
            TrendPoint(at: at, score: score, level: level, scoreLevel: level, coverage: 1, hosts: 1, host: "srv", siren: nil, caps: [])
        }
        let points = [point("2026-10-01T08:00:00Z", 60, "C"), point("2026-11-01T08:00:00Z", 61, "C")]
        let stable = SummaryBuilder.trendFacts(points, score: 61, level: "C")
        #expect(stable.direction == .stable)
        #expect(stable.since == "1er octobre 2026")
        #expect(SummaryBuilder.trendFacts([points[1], point("2026-11-20T08:00:00Z", 50, "D")], score: 50, level: "D").direction == .down)
        #expect(SummaryBuilder.trendFacts(Array(points.prefix(1)), score: 60, level: "C").direction == .first)
        // Two reports the same day: the progress between them, the previous one named with its time (Paris).
        let sameDay = SummaryBuilder.trendFacts(
            [point("2026-12-03T08:30:00Z", 60, "C"), point("2026-12-03T15:10:00Z", 70, "C")], score: 70, level: "C")
        #expect(sameDay.direction == .up)
        #expect(sameDay.since == "3 décembre 2026 à 9 h 30")
        #expect(ElusWording.trend(sameDay) == "En progrès depuis le contrôle du 3 décembre 2026 à 9 h 30 (note 60 → 70 sur 100).")
        // A server added (1 → 2): the higher mean is no progress; neither up nor down, said as such.
        var added = point("2026-12-05T08:00:00Z", 75, "C")
        added.hosts = 2
        let perimeter = SummaryBuilder.trendFacts([points[1], added], score: 75, level: "C")
        #expect(perimeter.direction == .perimeter && perimeter.previousHosts == 1 && perimeter.hosts == 2)
        #expect(ElusWording.trend(perimeter) == "Depuis le contrôle du 1er novembre 2026, les serveurs contrôlés ont changé (de 1 serveur à 2 serveurs) : "
            + "la note n'est pas comparable d'un contrôle à l'autre (note 61 → 75 sur 100), ce n'est ni un progrès ni un recul en soi.")
        #expect(SummaryRenderer.arrow(perimeter.direction) == "≠ serveurs contrôlés différents")
    }
}
