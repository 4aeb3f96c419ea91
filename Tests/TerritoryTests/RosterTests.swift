import Agent
import Foundation
@testable import Rendering
import TestSupport
import Testing
@testable import Territory

/// The declared roster: parsing with every problem at its line, storage, and what the views make of it.
@Suite("Territory roster")
struct RosterTests {
    typealias F = TerritoryFixture

    static let valid = """
        territory:
          name: Communauté de communes de la Presqu'île
          siren: "200066777"
          kind: cc
          departement: "29"
          region: Bretagne
          contacts:
            president: {name: Anne Le Gall, phone: "02 98 00 00 01", email: presidence@cc-presquile.bzh}
        silent_after_days: 14
        members:
          - name: Commune de Plouzané
            siren: "212901896"
            insee: "29212"
            kind: commune
            population: 13000
            departement: "29"
            contacts:
              maire: {name: Jeanne Martin, phone: "+33 2 98 00 00 02", email: maire@plouzane.fr}
              dgs: {email: dgs@plouzane.fr}
              dpo: {name: Centre de gestion du Finistère, email: dpo@cdg29.bzh}
          - name: Commune de Lanvéoc
            siren: "213502388"
            insee: "29120"
            kind: commune
            population: 2000
        """

    @Test("A valid roster: the grouping, the threshold, members in order with their contacts")
    func parsesValid() throws {
        let roster = try Roster.parse(Self.valid, file: "roster.yaml")
        #expect(roster.territory.name == "Communauté de communes de la Presqu'île")
        #expect(roster.territory.contact(.president)?.phone == "02 98 00 00 01")
        #expect(roster.silentAfterDays == 14)
        #expect(roster.members.map(\.siren) == ["212901896", "213502388"])
        let plouzane = roster.members[0]
        #expect(plouzane.insee == "29212" && plouzane.population == 13000 && plouzane.kind == "commune")
        #expect(plouzane.contact(.maire) == Roster.Contact(role: .maire, name: "Jeanne Martin", phone: "+33 2 98 00 00 02", email: "maire@plouzane.fr"))
        #expect(plouzane.contact(.dgs)?.line == "dgs@plouzane.fr")
        #expect(plouzane.contact(.eluReferent) == nil)
        #expect(roster.sirens == ["200066777", "212901896", "213502388"])
        #expect(roster.member("200066777")?.name == roster.territory.name, "the grouping is found too")
    }

    @Test("A SIREN typed with spaces (and no-break spaces) is stored compact; the same SIREN written two ways is a duplicate; a spaced SIREN with a bad Luhn key is still refused")
    func spacedSIRENs() throws {
        let spaced = Self.valid
            .replacingOccurrences(of: "siren: \"200066777\"", with: "siren: 200 066 777")
            .replacingOccurrences(of: "siren: \"212901896\"", with: "siren: \"212\u{00A0}901\u{00A0}896\"")
            .replacingOccurrences(of: "siren: \"213502388\"", with: "siren: \"213\u{202F}502\u{202F}388\"")
        let roster = try Roster.parse(spaced, file: "roster.yaml")
        #expect(roster.territory.siren == "200066777")
        #expect(roster.members.map(\.siren) == ["212901896", "213502388"])
        #expect(roster.member("212901896")?.name == "Commune de Plouzané")

        let twice = Self.valid.replacingOccurrences(of: "siren: \"213502388\"", with: "siren: 212 901 896")
        let duplicate = try #require(throws: RosterError.self) { try Roster.parse(twice, file: "roster.yaml") }
        #expect(duplicate.problems.contains { $0.englishMessage.contains("SIREN 212901896 is already listed") }, "\(duplicate.problems)")

        let badKey = Self.valid.replacingOccurrences(of: "siren: \"213502388\"", with: "siren: 213 502 389")
        let refused = try #require(throws: RosterError.self) { try Roster.parse(badKey, file: "roster.yaml") }
        #expect(refused.problems.contains { $0.englishMessage.contains("found \"213 502 389\"") }, "as typed: \(refused.problems)")
    }

    @Test("Every problem is reported with its file and line, in file order")
    func reportsEveryProblem() throws {
        let text = """
            territory:
              name: CC test
              siren: "123456789"
            colour: blue
            members:
              - name: Commune A
                siren: "212901896"
                insee: "2921"
                population: beaucoup
              - siren: "213502388"
              - name: Commune A bis
                siren: "212901896"
              - name: Commune C
                siren: "200067254"
                kind: village
                contacts:
                  maire: {phone: "abc", email: "pas une adresse"}
                  tresorier: {name: X}
                  dgs: {}
            silent_after_days: 0
            """
        let error = try #require(throws: RosterError.self) { try Roster.parse(text, file: "r.yaml") }
        let lines = error.problems.map { "\($0.line ?? 0): \($0.englishMessage)" }
        #expect(error.problems.allSatisfy { $0.file == "r.yaml" && $0.kind == .invalidData })
        #expect(error.exitCode == 65)
        let expected: [(Int, String)] = [
            (3, "territory key \"siren\": expected 9 digits with a valid Luhn check digit"),
            (4, "unknown key \"colour\" in territory roster"),
            (8, "members[0] key \"insee\""),
            (9, "members[0] key \"population\": expected a whole number"),
            (10, "members[1]: missing required key \"name\""),
            (12, "members[2]: SIREN 212901896 is already listed at line 6"),
            (15, "members[3] key \"kind\": expected one of commune"),
            (17, "members[3] contacts.maire key \"phone\""),
            (17, "members[3] contacts.maire key \"email\""),
            (18, "members[3] contacts: unknown role \"tresorier\""),
            (19, "members[3] contacts.dgs: expected at least one of name, phone, email"),
            (20, "silent_after_days: expected a whole number of days from 1 to 365"),
        ]
        #expect(error.problems.count == expected.count, "\(lines)")
        for (line, fragment) in expected {
            #expect(error.problems.contains { $0.line == line && $0.englishMessage.contains(fragment) }, "line \(line): \(fragment) — got \(lines)")
        }
        #expect(error.description.split(separator: "\n").first?.hasPrefix("r.yaml:3:") == true)
    }

    @Test("Domains: DNS names per entity, normalised, stored and read back; bad ones at their line")
    func domains() throws {
        let text = """
            territory:
              name: CC de la Presqu'île
              siren: "200066777"
              domains: [CC-Presquile.BZH.]
            members:
              - name: Commune de Plouzané
                siren: "212901896"
                domains:
                  - plouzane.fr
                  - mairie.plouzane.fr
              - name: Commune de Lanvéoc
                siren: "213502388"
            """
        let roster = try Roster.parse(text, file: "d.yaml")
        #expect(roster.territory.domains == ["cc-presquile.bzh"])
        #expect(roster.members.map(\.domains) == [["plouzane.fr", "mairie.plouzane.fr"], []])
        let fixture = try F()
        let store = try fixture.store()
        try store.importRoster(roster, sourcePath: "/srv/d.yaml", sha256: "00")
        #expect(try store.roster() == roster)

        let bad = """
            territory:
              name: CC de la Presqu'île
              siren: "200066777"
              domains: cc-presquile.bzh
            members:
              - name: Commune de Plouzané
                siren: "212901896"
                domains:
                  - plouzane
                  - plouzane.fr
                  - bad_name.fr
                  - PLOUZANE.fr
                  - {a: b}
            """
        let error = try #require(throws: RosterError.self) { try Roster.parse(bad, file: "b.yaml") }
        let lines = error.problems.map { "\($0.line ?? 0): \($0.englishMessage)" }
        let expected: [(Int, String)] = [
            (4, "territory key \"domains\": expected a list of domain names"),
            (9, "members[0] key \"domains\": \"plouzane\": expected a domain name with at least two labels"),
            (11, "members[0] key \"domains\": \"bad_name.fr\": expected letters, digits and hyphens"),
            (12, "members[0] key \"domains\": plouzane.fr is listed twice"),
            (13, "members[0] key \"domains\": expected a domain name"),
        ]
        #expect(error.problems.count == expected.count, "\(lines)")
        for (line, fragment) in expected {
            #expect(error.problems.contains { $0.file == "b.yaml" && $0.line == line && $0.englishMessage.contains(fragment) }, "line \(line): \(fragment) — got \(lines)")
        }
    }

    @Test("Syntax errors, a missing file and missing sections")
    func fileLevelErrors() throws {
        let syntax = try #require(throws: RosterError.self) { try Roster.parse("territory: [\n", file: "s.yaml") }
        #expect(syntax.problems.first?.englishMessage.hasPrefix("YAML syntax") == true)
        #expect(syntax.problems.first?.line != nil)
        let missing = try #require(throws: RosterError.self) { try Roster.load(path: "/nonexistent/roster.yaml") }
        #expect(missing.exitCode == 66)
        let empty = try #require(throws: RosterError.self) { try Roster.parse("silent_after_days: 7\n", file: "e.yaml") }
        #expect(empty.problems.map(\.englishMessage).contains { $0.contains("missing required key \"territory\"") })
        #expect(empty.problems.map(\.englishMessage).contains { $0.contains("missing required key \"members\"") })
    }

    @Test("Import replaces the stored roster; the views count roster members, flag silence and reports from outside")
    func storedAndJudged() throws {
        let fixture = try F()
        // Plouzané reports; Lanvéoc (in the roster) never does; a third commune reports without being listed.
        let outsider = "217500016"
        try fixture.write("a.json", host: "srv-1", daysAgo: 1, results: F.mixed(0))
        try fixture.write("x.json", siren: outsider, host: "srv-x", daysAgo: 1, results: F.mixed(1))
        _ = try fixture.ingest()
        let store = try fixture.store()
        #expect(try store.entitiesOutOfPerimeter() == nil, "no roster: every entity is a member")
        try store.importRoster(try Roster.parse(Self.valid, file: "roster.yaml"), sourcePath: "/srv/roster.yaml", sha256: "00")
        #expect(try store.roster()?.members.count == 2)
        #expect(try store.rosterImport()?.sourcePath == "/srv/roster.yaml")
        let status = try fixture.views().status()
        #expect(status.territory.name == "Communauté de communes de la Presqu'île")
        #expect(status.territory.rosterDeclared)
        #expect(status.territory.members == 2, "Plouzané and Lanvéoc; the grouping does not report and is not listed")
        #expect(status.territory.entities == 1)
        #expect(status.territory.neverReported == 1)
        #expect(status.neverReported.map(\.name) == ["Commune de Lanvéoc"])
        #expect(status.territory.outOfPerimeter == 1)
        let row = try #require(status.entities.first { $0.siren == outsider })
        #expect(!row.inPerimeter)
        // What consolidate says after ingest, read without the status view: the same entities.
        let outside = try #require(try store.entitiesOutOfPerimeter())
        #expect(outside.map(\.siren) == status.entities.filter { !$0.inPerimeter }.map(\.siren) && outside.first?.name == row.name)
        #expect(status.entities.first?.siren == F.sirenA, "members first")
        // The territory is judged on its members only: Plouzané's score, capped for the silent member.
        let plouzane = try #require(status.entities.first { $0.siren == F.sirenA })
        #expect(status.territory.score.score == plouzane.score.score)
        #expect(status.territory.cap?.neverReported == 1)
        let text = ViewTables.status(status, .fr).map(\.text).joined()
        #expect(text.contains("(hors périmètre)"))
        #expect(text.contains("⚠ jamais de rapport"))
        #expect(text.contains("Communauté de communes de la Presqu'île"))
        // Importing again replaces it.
        var smaller = try Roster.parse(Self.valid, file: "roster.yaml")
        smaller.members.removeLast()
        try store.importRoster(smaller, sourcePath: "/srv/roster2.yaml", sha256: "01")
        #expect(try fixture.views().status().territory.neverReported == 0)
        #expect(try store.roster()?.members.map(\.siren) == ["212901896"])
    }

    @Test("Silence: a weekly agent is not flagged at exactly 7 days, it is after 8 days (one day of grace)")
    func silenceGrace() throws {
        let now = 1_800_000_000
        #expect(!TerritoryJudgement.isSilent(newest: now - 7 * 86_400, now: now, days: 7))
        #expect(!TerritoryJudgement.isSilent(newest: now - 7 * 86_400 - 6 * 3600, now: now, days: 7), "a weekly run six hours late")
        #expect(!TerritoryJudgement.isSilent(newest: now - 8 * 86_400, now: now, days: 7))
        #expect(TerritoryJudgement.isSilent(newest: now - 8 * 86_400 - 1, now: now, days: 7))
        let fixture = try F()
        try fixture.write("a.json", host: "srv-1", daysAgo: 7, results: F.mixed(0))
        try fixture.write("b.json", siren: F.sirenB, host: "srv-2", daysAgo: 9, results: F.mixed(0))
        _ = try fixture.ingest()
        let status = try fixture.views().status()
        #expect(status.entities.first { $0.siren == F.sirenA }?.stale == false)
        #expect(status.entities.first { $0.siren == F.sirenB }?.stale == true)
        #expect(status.territory.staleEntities == 1)
    }
}
