import Agent
import Foundation
import Incidents
import TerritoryGenerator
import TestSupport
import Testing
@testable import Territory

/// False reassurances of the incident follow-up, through the built `cyberctl` on a real store: a send or a closing
/// dated in the future, a report sent after its deadline, and a report whose entity facts contradict the roster.
@Suite("incident commands: no false reassurance (built binary)")
struct IncidentReassuranceTests {
    /// A store holding only a roster with one commune (`212900195`, 3 000 inhabitants, Finistère).
    static func store(_ folder: TemporaryDirectory) throws -> String {
        let db = try StoreUnderTest.current.newLocation(sqlitePath: folder.url("territory.sqlite"))
        let roster = try folder.write("roster.yaml", """
            territory: {name: CC Test, siren: "242900645", kind: cc, departement: "29", region: Bretagne}
            members:
              - {name: Commune Test, siren: "212900195", kind: commune, population: 3000, departement: "29"}
            """)
        let imported = try BuiltBinary.run(["territory", "roster", "import", roster, "--db", db])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        return db
    }

    static func json(_ output: Command.Output) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any], "\(output.stdout) \(output.stderr)")
    }

    static func deadline(_ shown: [String: Any], _ stage: String) throws -> [String: Any] {
        try #require((shown["deadlines"] as? [[String: Any]])?.first { $0["stage"] as? String == stage }, "\(shown)")
    }

    @Test("incident log --at: a send in the future is refused (64) and the deadline stays due; 5 minutes of skew allowed; a send before awareness refused")
    func futureSendRefused() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-incident-future-send")
        let db = try Self.store(folder)
        let now = "2026-05-04T12:00:00+02:00"
        func cyberctl(_ arguments: [String]) throws -> Command.Output {
            try BuiltBinary.run(["incident"] + arguments + ["--db", db, "--now", now])
        }
        let opened = try cyberctl(["open", "--title", "Rançongiciel", "--aware-at", "2026-05-04 10:00", "--entity", "212900195", "--significant", "yes",
                                   "--agent-config", folder.url("no-agent.yaml")])
        #expect(opened.exitCode == 0, "\(opened.stderr)")

        let future = try cyberctl(["log", "1", "alerte envoyée", "--sent", "early-warning", "--at", "2026-05-07 12:00"])
        #expect(future.exitCode == 64, "\(future.stdout) \(future.stderr)")
        #expect(future.stderr.contains("--at 2026-05-07 12:00 CEST est dans le futur (il est 2026-05-04 12:00 CEST)"), "\(future.stderr)")
        let english = try cyberctl(["log", "1", "sent", "--sent", "early-warning", "--at", "2026-05-07 12:00", "--lang", "en"])
        #expect(english.exitCode == 64 && english.stderr.contains("is in the future"), "\(english.stderr)")
        // Nothing was written: the early warning is still pending and `due` still lists it.
        let shown = try Self.json(try cyberctl(["show", "1", "--format", "json"]))
        #expect(try Self.deadline(shown, "early-warning")["state"] as? String == "pending")
        #expect(((shown["incident"] as? [String: Any])?["log"] as? [Any])?.count == 1, "only the opening entry")
        let due = try cyberctl(["due", "--within", "48h"])
        #expect(due.exitCode == 1 && due.stdout.contains("Alerte précoce NIS 2"), "\(due.stdout)")

        // Before the awareness: refused too.
        let before = try cyberctl(["log", "1", "alerte envoyée", "--sent", "early-warning", "--at", "2026-05-04 09:00"])
        #expect(before.exitCode == 64 && before.stderr.contains("antérieur à la prise de connaissance"), "\(before.stderr)")
        // Within the clock-skew tolerance (4 minutes ahead): accepted, and sent on time.
        let skew = try cyberctl(["log", "1", "alerte envoyée", "--sent", "early-warning", "--at", "2026-05-04T12:04:00+02:00"])
        #expect(skew.exitCode == 0, "\(skew.stderr)")
        #expect(skew.stdout.contains("envoyé le 2026-05-04 12:04 CEST"), "\(skew.stdout)")
        #expect(try BuiltBinary.run(["incident", "due", "--within", "0", "--db", db, "--now", now]).exitCode == 0)
    }

    @Test("a report sent after its deadline is late: text, JSON state and delay, GDPR Art. 33(1) reasons; no longer due")
    func lateSendShownLate() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-incident-late")
        let db = try Self.store(folder)
        let now = "2026-12-07T18:00:00+01:00"
        func cyberctl(_ arguments: [String]) throws -> Command.Output {
            try BuiltBinary.run(["incident"] + arguments + ["--db", db, "--now", now])
        }
        // Aware 3 December 18:00: early warning due the 4th, notification and CNIL the 6th; sent the 7th.
        #expect(try cyberctl(["open", "--title", "Fuite", "--aware-at", "2026-12-03 18:00", "--entity", "212900195", "--significant", "yes",
                              "--personal-data", "--agent-config", folder.url("no-agent.yaml")]).exitCode == 0)
        #expect(try cyberctl(["log", "1", "alerte précoce envoyée", "--sent", "early-warning", "--at", "2026-12-04 12:00"]).exitCode == 0, "on time")
        for stage in ["notification", "cnil"] {
            #expect(try cyberctl(["log", "1", "envoyée", "--sent", stage]).exitCode == 0)
        }
        let text = try cyberctl(["show", "1"])
        #expect(text.stdout.contains("envoyé le 2026-12-04 12:00 CET"), "on time: sent\n\(text.stdout)")
        let lines = text.stdout.split(separator: "\n")
        let cnilRow = try #require(lines.first { $0.contains("Notification de violation de données à la CNIL") && $0.contains("RGPD") })
        #expect(cnilRow.contains("2026-12-06 18:00 CET") && cnilRow.contains("⚠ envoyé en retard (de 1 j) le 2026-12-07 18:00 CET"), "\(cnilRow)")
        let notificationRow = try #require(lines.first { $0.contains("Notification d'incident NIS 2") })
        #expect(notificationRow.contains("envoyé en retard (de 1 j)"), "\(notificationRow)")
        #expect(text.stdout.contains("accompagnée des motifs du retard (RGPD art. 33(1))"), "\(text.stdout)")
        #expect(!text.stdout.contains("envoyé le 2026-12-07"), "a late send never reads as met\n\(text.stdout)")

        let shown = try Self.json(try cyberctl(["show", "1", "--format", "json"]))
        let early = try Self.deadline(shown, "early-warning"), cnil = try Self.deadline(shown, "cnil")
        #expect(early["state"] as? String == "submitted" && early["lateBy"] == nil, "\(early)")
        #expect(cnil["state"] as? String == "late" && cnil["lateBy"] as? Int == 86_400, "\(cnil)")
        #expect(cnil["remaining"] as? String == "envoyé avec 1 j de retard", "\(cnil)")
        #expect(cnil["due"] as? String == "2026-12-06T18:00:00+01:00", "the deadline stays visible")
        let englishText = try cyberctl(["show", "1", "--lang", "en"])
        #expect(englishText.stdout.contains("sent late (by 1 d)") && englishText.stdout.contains("reasons for the delay"), "\(englishText.stdout)")

        // Sent, even if late: `due` does not list it; the CNIL draft asks for the reasons of the delay.
        #expect(try cyberctl(["due", "--within", "7d"]).exitCode == 0)
        let draft = try cyberctl(["draft", "1", "--stage", "cnil", "--format", "text", "--agent-config", folder.url("no-agent.yaml")])
        #expect(draft.stdout.contains("Motifs du retard : [À compléter]") && draft.stdout.contains("envoyé en retard (de 1 j)"), "\(draft.stdout)")
    }

    @Test("incident close --at: in the future or before the awareness refused (64), nothing changed; the deadlines stay")
    func closeRefused() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-incident-close")
        let db = try Self.store(folder)
        let now = "2026-05-04T12:00:00+02:00"
        func cyberctl(_ arguments: [String]) throws -> Command.Output {
            try BuiltBinary.run(["incident"] + arguments + ["--db", db, "--now", now])
        }
        #expect(try cyberctl(["open", "--title", "A", "--aware-at", "2026-05-04 10:00", "--entity", "212900195", "--significant", "yes",
                              "--agent-config", folder.url("no-agent.yaml")]).exitCode == 0)
        let before = try Self.json(try cyberctl(["show", "1", "--format", "json"]))

        let future = try cyberctl(["close", "1", "--at", "2026-07-03 12:00"])
        #expect(future.exitCode == 64 && future.stderr.contains("est dans le futur"), "\(future.stderr)")
        let early = try cyberctl(["close", "1", "--at", "2026-04-24 12:00"])
        #expect(early.exitCode == 64 && early.stderr.contains("la clôture serait antérieure à la prise de connaissance (2026-05-04 10:00 CEST)"), "\(early.stderr)")
        let after = try Self.json(try cyberctl(["show", "1", "--format", "json"]))
        #expect((after["incident"] as? [String: Any])?["closedAt"] == nil, "still open")
        #expect(try Self.deadline(after, "final")["due"] as? String == "2026-06-07T10:00:00+02:00")
        #expect(try Self.deadline(after, "final")["title"] as? String == (try Self.deadline(before, "final")["title"] as? String), "progress report kept")

        let closed = try cyberctl(["close", "1", "--at", "2026-05-04 11:30"])
        #expect(closed.exitCode == 0 && closed.stdout.contains("clos le 2026-05-04 11:30 CEST"), "\(closed.stdout) \(closed.stderr)")
        // Nor can a correction move the awareness after the closing.
        let moved = try cyberctl(["update", "1", "--aware-at", "2026-05-04 11:45"])
        #expect(moved.exitCode == 64 && moved.stderr.contains("serait postérieure à la clôture de l'incident 1 (2026-05-04 11:30 CEST)"), "\(moved.stderr)")
        #expect(try cyberctl(["update", "1", "--aware-at", "2026-05-04 09:30"]).exitCode == 0, "earlier is a correction like any other")
    }

    @Test("the roster wins over a report's entity facts (NIS 2 standing, due, draft's CSIRT, élus pages), and the disagreement is said")
    func rosterWinsOverReport() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-incident-identity")
        // One entity whose signed reports say: commune, Finistère (29), Bretagne, a few hundred inhabitants.
        let output = try TerritoryGenerator(entities: 1, hostsPerEntity: 1, reports: 1).generate(into: folder.path)
        let db = try StoreUnderTest.current.newLocation(sqlitePath: folder.url("territory.sqlite"))
        let consolidated = try BuiltBinary.run(["consolidate", output.inbox, "--db", db, "--ca", output.caFile])
        #expect(consolidated.exitCode == 0, "\(consolidated.stderr)")
        let siren = TerritoryGenerator.siren(0)
        let noAgent = folder.url("no-agent.yaml")
        func cyberctl(_ arguments: [String]) throws -> Command.Output {
            try BuiltBinary.run(["incident"] + arguments + ["--db", db, "--now", "2026-05-04T12:00:00+02:00"])
        }
        #expect(try cyberctl(["open", "--title", "A", "--aware-at", "2026-05-04 10:00", "--entity", siren, "--significant", "yes",
                              "--agent-config", noAgent]).exitCode == 0)

        // No roster yet: the report's identity is used, nothing to contradict.
        let reportOnly = try Self.json(try cyberctl(["show", "1", "--format", "json"]))
        #expect((reportOnly["nis2"] as? [String: Any])?["indicative"] as? Bool == true, "a small commune by its report: \(reportOnly)")
        #expect((reportOnly["identityDisagreements"] as? [Any])?.isEmpty == true)
        #expect(try cyberctl(["draft", "1", "--stage", "early-warning", "--agent-config", noAgent]).stdout.contains("Breizh Cyber"))

        // The roster declares it a CA of 120,000 inhabitants in Corse-du-Sud.
        let roster = try folder.write("roster.yaml", """
            territory: {name: Syndicat Test, siren: "242900645", kind: syndicat, departement: "2A", region: Corse}
            members:
              - {name: CA du Pays, siren: "\(siren)", kind: ca, population: 120000, departement: "2A", region: Corse, contacts: {president: {name: X, email: p@x.fr}}}
            """)
        let imported = try BuiltBinary.run(["territory", "roster", "import", roster, "--db", db])
        #expect(imported.exitCode == 0, "\(imported.stderr)")

        let shown = try Self.json(try cyberctl(["show", "1", "--format", "json"]))
        let nis2 = try #require(shown["nis2"] as? [String: Any])
        #expect(nis2["indicative"] as? Bool == false, "the roster's CA is not 'non concernée': \(nis2)")
        #expect(!((nis2["note"] as? String) ?? "").contains("indicatif"), "\(nis2)")
        let disagreements = try #require(shown["identityDisagreements"] as? [[String: Any]])
        #expect(disagreements.map { $0["field"] as? String } == ["kind", "population", "departement", "region"], "\(disagreements)")
        #expect(disagreements.first?["roster"] as? String == "ca" && disagreements.first?["report"] as? String == "commune")
        let text = try cyberctl(["show", "1"])
        #expect(text.stdout.contains("Attention : le dernier rapport de l'entité \(siren) contredit le périmètre déclaré (type : ca au périmètre, commune dans le rapport"),
                "\(text.stdout)")
        #expect(text.stdout.contains("c'est le périmètre qui est retenu"))

        let due = try cyberctl(["due"])
        #expect(due.exitCode == 1 && due.stdout.contains("Alerte précoce NIS 2") && !due.stdout.contains("indicatif"), "\(due.stdout)")
        #expect(due.stderr.contains("contredit le périmètre"), "\(due.stderr)")

        let draft = try cyberctl(["draft", "1", "--stage", "early-warning", "--agent-config", noAgent])
        #expect(draft.exitCode == 0, "\(draft.stderr)")
        #expect(draft.stdout.contains("CyberCorsica") && draft.stdout.contains("corse@ssi.gouv.fr"), "\(draft.stdout)")
        #expect(!draft.stdout.contains("Breizh Cyber") && !draft.stdout.contains("bretagne@ssi.gouv.fr"), "\(draft.stdout)")
        #expect(draft.stdout.contains("**Département** : 2A") && draft.stdout.contains("**Type** : ca") && draft.stdout.contains("**Entité** : CA du Pays"))
        #expect(draft.stderr.contains("contredit le périmètre"), "\(draft.stderr)")

        // The élus pages read the same identity and say the same disagreement.
        let page = try BuiltBinary.run(["summary", "--entity", siren, "--db", db, "--format", "markdown"])
        #expect(page.exitCode == 0, "\(page.stderr)")
        #expect(page.stdout.contains("CyberCorsica") && page.stdout.contains("CA du Pays"), "\(page.stdout)")
        #expect(page.stdout.contains("décrit l'entité autrement que le périmètre déclaré par le RSSI (type : ca au périmètre, commune dans le rapport"), "\(page.stdout)")
        let territory = try BuiltBinary.run(["summary", "--territory", "--db", db, "--format", "markdown"])
        #expect(territory.exitCode == 0, "\(territory.stderr)")
        #expect(territory.stdout.contains("Pour 1 membre(s) (CA du Pays), le dernier contrôle reçu décrit l'entité autrement"), "\(territory.stdout)")
    }
}

/// `ResolvedIdentity`, the one rule for an entity's identity: the roster first, the report fills its gaps.
@Suite("Roster identity over reports (ResolvedIdentity)")
struct RosterIdentityTests {
    @Test("roster fields win; empty ones come from the report; differences in case, accents, spaces and hyphens are not disagreements")
    func resolve() {
        let member = Roster.Member(name: "Commune d'Ajaccio", siren: "212900195", kind: "commune", departement: "2A", region: "Île-de-France")
        let reported = Entity(
            name: "Mairie", siren: "212900195", insee: "2A004", kind: "Commune", population: 70_000, departement: "2a", region: "ile de france")
        let same = ResolvedIdentity(member: member, reported: reported)
        #expect(same.disagreements.isEmpty, "\(same.disagreements)")
        #expect(same.entity.name == "Commune d'Ajaccio" && same.entity.kind == "commune" && same.entity.departement == "2A")
        #expect(same.entity.population == 70_000 && same.entity.insee == "2A004", "gaps filled from the report")
        #expect(same.inRoster && same.reported)

        let other = ResolvedIdentity(member: member, reported: Entity(siren: "212900195", kind: "ca", departement: "29"))
        #expect(other.entity.kind == "commune" && other.entity.departement == "2A")
        #expect(other.disagreements == [
            IdentityDisagreement(field: "kind", roster: "commune", report: "ca"),
            IdentityDisagreement(field: "departement", roster: "2A", report: "29"),
        ])
        #expect(IdentityDisagreement.warning(other.disagreements, siren: "212900195", english: true)
            .contains("(kind: commune in the roster, ca in the report; département: 2A in the roster, 29 in the report); the roster is used"))

        let outside = ResolvedIdentity(member: nil, reported: reported)
        #expect(outside.entity == reported && outside.disagreements.isEmpty && !outside.inRoster)
        let declaredOnly = ResolvedIdentity(member: member, reported: nil)
        #expect(declaredOnly.entity == member.entity && declaredOnly.disagreements.isEmpty && !declaredOnly.reported)
    }
}
