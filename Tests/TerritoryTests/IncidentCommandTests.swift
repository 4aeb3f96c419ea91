import Foundation
import TerritoryGenerator
import Incidents
import NIS2
import TestSupport
import Testing
@testable import Territory

/// The built `cyberctl`: `csirt` for every département code, and the `incident` commands end to end on
/// a real store filled by `consolidate` from generated signed reports.
@Suite("csirt and incident commands (built binary)")
struct IncidentCommandTests {
    static func departements() -> [String] {
        (1...95).filter { $0 != 20 }.map { String(format: "%02d", $0) } + ["2A", "2B"] + (971...976).map(String.init)
            + ["975", "977", "978", "984", "986", "987", "988", "989"]
    }

    @Test("csirt: every département and collectivity code answers (exit 0); unknown ones exit 64")
    func csirtEveryCode() throws {
        for code in Self.departements() {
            let output = try BuiltBinary.run(["csirt", "--departement", code, "--format", "json"])
            #expect(output.exitCode == 0, "\(code): \(output.stderr)")
            let object = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
            #expect((object?["departements"] as? [String])?.contains(code) == true, "\(code)")
            #expect((object?["anssiMailbox"] as? String)?.hasSuffix("@ssi.gouv.fr") == true)
        }
        let table = try BuiltBinary.run(["csirt", "--departement", "29"])
        #expect(table.stdout.contains("Breizh Cyber") && table.stdout.contains("0 800 200 008") && table.stdout.contains("bretagne@ssi.gouv.fr"))
        #expect(table.stdout.contains("https://club.ssi.gouv.fr/#/declarations") && table.stdout.contains("17Cyber"))
        #expect(table.stdout.contains("2026-06-23"), "source date shown")
        let mayotte = try BuiltBinary.run(["csirt", "--insee", "97611", "--lang", "en"])
        #expect(mayotte.exitCode == 0)
        #expect(mayotte.stdout.contains("none listed by ANSSI") && mayotte.stdout.contains("outre-mer@ssi.gouv.fr"))
        #expect(try BuiltBinary.run(["csirt", "--region", "pays de la loire"]).stdout.contains("0 800 100 200"))
        for bad in [["--departement", "20"], ["--departement", "96"], ["--insee", "123"], ["--region", "Atlantide"]] {
            let output = try BuiltBinary.run(["csirt"] + bad)
            #expect(output.exitCode == 64, "\(bad): \(output.stderr)")
            #expect(output.stderr.contains("attendu"), "\(output.stderr)")
            let english = try BuiltBinary.run(["csirt"] + bad + ["--lang", "en"])
            #expect(english.exitCode == 64 && english.stderr.contains("expected"), "\(english.stderr)")
        }
        // Default: the agent configuration's entity.
        let folder = try TemporaryDirectory(prefix: "cyberctl-csirt")
        let config = try folder.write("agent.yaml", "entity:\n  name: Commune de Bastia\n  insee: 2B033\n")
        let fromConfig = try BuiltBinary.run(["csirt", "--config", config])
        #expect(fromConfig.exitCode == 0, "\(fromConfig.stderr)")
        #expect(fromConfig.stdout.contains("CyberCorsica"))
        #expect(try BuiltBinary.run(["csirt", "--config", folder.url("none.yaml")]).exitCode == 64)
    }

    @Test("incident open/log/show/list/due/close/draft on a consolidated store; due's exit codes; bad input")
    func incidentLifecycle() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-incident")
        let output = try TerritoryGenerator(entities: 2, hostsPerEntity: 2, reports: 4).generate(into: folder.path)
        let db = try StoreUnderTest.current.newLocation(sqlitePath: folder.url("territory.sqlite"))
        let consolidated = try BuiltBinary.run(["consolidate", output.inbox, "--db", db, "--ca", output.caFile])
        #expect(consolidated.exitCode == 0, "\(consolidated.stderr)")
        let siren = TerritoryGenerator.siren(0)
        let host = TerritoryGenerator.hostname(0)
        func cyberctl(_ arguments: [String]) throws -> Command.Output {
            try BuiltBinary.run(["incident"] + arguments + ["--db", db, "--agent-config", folder.url("no-agent.yaml")])
        }
        func at(_ now: String, _ arguments: [String]) throws -> Command.Output {
            try BuiltBinary.run(["incident"] + arguments + ["--db", db, "--now", now])
        }

        // Open on Saturday 28 March 2026 at 10:00 Paris time: the night of the 29th loses an hour.
        let opened = try at("2026-03-28T10:30:00+01:00", [
            "open", "--title", "Rançongiciel", "--aware-at", "2026-03-28 10:00", "--entity", siren, "--personal-data",
            "--significant", "yes", "--hosts", "\(host),poste-accueil", "--format", "json", "--agent-config", folder.url("no-agent.yaml")])
        #expect(opened.exitCode == 0, "\(opened.stderr)")
        #expect(opened.stderr.contains("poste-accueil"), "a host without report is noted")
        let shown = try JSONSerialization.jsonObject(with: Data(opened.stdout.utf8)) as! [String: Any]
        let incident = shown["incident"] as! [String: Any]
        let id = "\(incident["id"] as! Int)"
        #expect(incident["awareAt"] as? String == "2026-03-28T10:00:00+01:00")
        let deadlines = shown["deadlines"] as! [[String: Any]]
        #expect(deadlines.map { $0["stage"] as! String } == ["early-warning", "notification", "cnil", "final"])
        #expect(deadlines[0]["due"] as? String == "2026-03-29T11:00:00+02:00")
        #expect(deadlines[3]["due"] as? String == "2026-04-30T11:00:00+02:00")

        // due: nothing within 1 h at 10:30 on the 28th (exit 0); the early warning is within 24 h (exit 1).
        let quiet = try at("2026-03-28T10:30:00+01:00", ["due", "--within", "1h"])
        #expect(quiet.exitCode == 0, "\(quiet.stdout) \(quiet.stderr)")
        let soon = try at("2026-03-28T10:30:00+01:00", ["due"])
        #expect(soon.exitCode == 1)
        #expect(soon.stdout.contains("Alerte précoce NIS 2") && soon.stdout.contains("2026-03-29 11:00 CEST"))
        // 30 h later the early warning is overdue, flagged, even with --within 0.
        let late = try at("2026-03-29T17:00:00+02:00", ["due", "--within", "0"])
        #expect(late.exitCode == 1)
        #expect(late.stdout.contains("EN RETARD de 6 h"), "\(late.stdout)")
        let show = try at("2026-03-29T17:00:00+02:00", ["show", id])
        #expect(show.stdout.contains("EN RETARD") && show.stdout.contains("poste-accueil"))

        // Logged as sent: no longer due; the rest are.
        let logged = try at("2026-03-29T17:00:00+02:00", ["log", id, "Alerte précoce déposée", "--sent", "early-warning", "--at", "2026-03-29 16:45"])
        #expect(logged.exitCode == 0, "\(logged.stderr)")
        // Due at 11:00, sent at 16:45: late, never read as met.
        #expect(logged.stdout.contains("⚠ envoyé en retard (de 5 h 45 min) le 2026-03-29 16:45 CEST"), "\(logged.stdout)")
        #expect(try at("2026-03-29T17:00:00+02:00", ["due", "--within", "0"]).exitCode == 0)
        for stage in ["notification", "cnil"] {
            #expect(try at("2026-03-30T12:00:00+02:00", ["log", id, "envoyée", "--sent", stage]).exitCode == 0)
        }
        #expect(try at("2026-03-30T12:00:00+02:00", ["due", "--within", "7d"]).exitCode == 0)
        // Final report: one month after the notification as sent (30 March 12:00 → 30 April 12:00).
        let final = try at("2026-04-29T12:00:00+02:00", ["due", "--within", "2d", "--format", "json"])
        #expect(final.exitCode == 1)
        #expect(final.stdout.contains("\"due\" : \"2026-04-30T12:00:00+02:00\""), "\(final.stdout)")

        // Draft: every required field, identity from the store, the host's findings.
        for stage in ["early-warning", "notification", "final", "cnil"] {
            let draft = try at("2026-03-30T12:00:00+02:00", ["draft", id, "--stage", stage])
            #expect(draft.exitCode == 0, "\(draft.stderr)")
            let expected = IncidentDraft.requiredFields(IncidentStage(rawValue: stage)!)
            for field in expected { #expect(draft.stdout.contains(field), "\(stage): \(field)") }
            #expect(draft.stdout.contains(TerritoryGenerator.entityName(0)))
            #expect(draft.stdout.contains("\(host) : dernier rapport"))
            #expect(draft.stdout.contains("poste-accueil : aucun rapport"))
            #expect(draft.stdout.contains("Breizh Cyber"), "regional CSIRT from the entity's département (29)")
        }
        let text = try at("2026-03-30T12:00:00+02:00", ["draft", id, "--stage", "cnil", "--format", "text"])
        #expect(text.stdout.contains("Nature de la violation") && !text.stdout.contains("**"))
        // An unreadable CSIRT directory or agent configuration does not stop the draft, and is said: on stderr with
        // its reason, and in the draft where the national recipient would be.
        let broken = try folder.write("broken-agent.yaml", "entity: [\n")
        let badData = folder.url("bad-nis2-data")
        try FileManager.default.createDirectory(atPath: badData, withIntermediateDirectories: true)
        try Data("version: [\n".utf8).write(to: URL(fileURLWithPath: badData + "/" + CSIRTDirectory.fileName))
        let blind = try BuiltBinary.run(
            ["incident", "draft", id, "--stage", "early-warning", "--db", db, "--now", "2026-03-30T12:00:00+02:00", "--agent-config", broken],
            environment: ProcessInfo.processInfo.environment.merging(["CYBERCTL_NIS2_DATA": badData]) { $1 })
        #expect(blind.exitCode == 0, "\(blind.stderr)")
        #expect(blind.stderr.contains("annuaire des CSIRT illisible") && blind.stderr.contains(CSIRTDirectory.fileName), "\(blind.stderr)")
        #expect(blind.stderr.contains("configuration de l'agent \(broken) illisible"), "\(blind.stderr)")
        #expect(blind.stdout.contains("CERT-FR (ANSSI) : [À compléter]") && blind.stdout.contains("la déclaration NIS 2 reste due"), "\(blind.stdout)")

        // list, close, list --open.
        let second = try at("2026-03-30T12:00:00+02:00", ["open", "--title", "Hameçonnage", "--aware-at", "2026-03-30T09:00Z", "--significant", "no", "--agent-config", folder.url("no-agent.yaml")])
        #expect(second.exitCode == 0)
        #expect(second.stdout.contains("Aucune échéance légale"))
        #expect(try at("2026-04-03T09:00:00+02:00", ["close", id, "--at", "2026-04-02 18:00"]).exitCode == 0)
        // Closed, but its final report is still due (30 April 12:00): `due` keeps saying so.
        let afterClose = try at("2026-04-03T09:00:00+02:00", ["due", "--within", "30d"])
        #expect(afterClose.exitCode == 1)
        #expect(afterClose.stdout.contains("Rapport final NIS 2") && afterClose.stdout.contains("2026-04-30 12:00 CEST"), "\(afterClose.stdout)")
        let open = try at("2026-03-30T12:00:00+02:00", ["list", "--open"])
        #expect(open.stdout.contains("Hameçonnage") && !open.stdout.contains("Rançongiciel"))
        #expect(try at("2026-03-30T12:00:00+02:00", ["list"]).stdout.contains("Rançongiciel"))
        #expect(try at("2026-03-30T12:00:00+02:00", ["close", id]).exitCode == 64, "already closed")

        // The SIREN defaults to the agent configuration's entity.
        let config = try folder.write("agent.yaml", "entity:\n  name: Test\n  siren: \(siren)\n  departement: \"2A\"\n")
        let defaulted = try at("2026-03-30T12:00:00+02:00", ["open", "--title", "Défiguration", "--aware-at", "2026-03-30T08:00Z", "--agent-config", config, "--format", "json"])
        #expect(defaulted.exitCode == 0, "\(defaulted.stderr)")
        #expect(defaulted.stdout.contains("\"siren\" : \"\(siren)\""), "\(defaulted.stdout)")

        // Bad input: times (64), ids (64), unknown incident (66), missing store (66).
        let gap = try cyberctl(["open", "--title", "x", "--aware-at", "2026-03-29 02:30"])
        #expect(gap.exitCode == 64)
        #expect(gap.stderr.contains("cette heure n'existe pas à Paris"), "\(gap.stderr)")
        let gapEnglish = try cyberctl(["open", "--title", "x", "--aware-at", "2026-03-29 02:30", "--lang", "en"])
        #expect(gapEnglish.stderr.contains("does not exist in Europe/Paris"), "\(gapEnglish.stderr)")
        #expect(try cyberctl(["open", "--title", "x", "--aware-at", "hier"]).exitCode == 64)
        #expect(try cyberctl(["open", "--title", "x", "--aware-at", "2099-01-01T00:00Z"]).exitCode == 64, "in the future")
        #expect(try cyberctl(["open", "--title", "x", "--aware-at", "2026-03-01T00:00Z", "--entity", "123456789"]).exitCode == 64)
        #expect(try BuiltBinary.run(["incident", "show", "abc", "--db", db]).exitCode == 64)
        #expect(try BuiltBinary.run(["incident", "show", "999", "--db", db]).exitCode == 66)
        #expect(try BuiltBinary.run(["incident", "due", "--within", "soon", "--db", db]).exitCode == 64)
        #expect(try BuiltBinary.run(["incident", "list", "--db", folder.url("nothing.sqlite")]).exitCode == 66)
        // open writes, but never creates a store: a mistyped --db is refused (66, naming it), nothing is created.
        let stray = try BuiltBinary.run(["incident", "open", "--title", "x", "--aware-at", "2026-03-01T08:00Z", "--db", folder.url("typo.sqlite"),
                                         "--agent-config", folder.url("no-agent.yaml")])
        #expect(stray.exitCode == 66 && stray.stderr.contains(folder.url("typo.sqlite")), "\(stray.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.url("typo.sqlite")))
    }

    @Test("incident update: each change logged, deadlines recomputed and shown; no change asked → 64; unknown incident → 66")
    func incidentUpdate() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-incident-update")
        let output = try TerritoryGenerator(entities: 1, hostsPerEntity: 2, reports: 2).generate(into: folder.path)
        let db = try StoreUnderTest.current.newLocation(sqlitePath: folder.url("territory.sqlite"))
        #expect(try BuiltBinary.run(["consolidate", output.inbox, "--db", db, "--ca", output.caFile]).exitCode == 0)
        let siren = TerritoryGenerator.siren(0)
        func at(_ now: String, _ arguments: [String]) throws -> Command.Output {
            try BuiltBinary.run(["incident"] + arguments + ["--db", db, "--now", now])
        }
        let now = "2026-05-04T12:00:00+02:00"
        let opened = try at(now, [
            "open", "--title", "Messagerie compromise", "--aware-at", "2026-05-04 09:00", "--significant", "unknown",
            "--hosts", TerritoryGenerator.hostname(0), "--agent-config", folder.url("no-agent.yaml"), "--format", "json"])
        #expect(opened.exitCode == 0, "\(opened.stderr)")
        let id = "\((try JSONSerialization.jsonObject(with: opened.stdoutData) as! [String: Any])["incident"].flatMap { ($0 as? [String: Any])?["id"] as? Int } ?? 0)"

        // Awareness was in fact the evening before; personal data found; the entity and a second host named.
        let updated = try at(now, [
            "update", id, "--aware-at", "2026-05-03 20:00", "--personal-data", "--significant", "yes", "--entity", siren.prefix(3) + " " + siren.dropFirst(3),
            "--add-host", TerritoryGenerator.hostname(1), "--reason", "journaux du serveur relus"])
        #expect(updated.exitCode == 0, "\(updated.stderr)")
        #expect(updated.stderr.contains("Prise de connaissance (les échéances sont recalculées) : 2026-05-04 09:00 CEST → 2026-05-03 20:00 CEST"), "\(updated.stderr)")
        #expect(updated.stderr.contains("Significatif (art. 23(3)) : à déterminer → oui"), "\(updated.stderr)")
        #expect(updated.stderr.contains("échéance déplacée — Alerte précoce NIS 2 : 2026-05-05 09:00 CEST → 2026-05-04 20:00 CEST"), "\(updated.stderr)")
        #expect(updated.stderr.contains("nouvelle échéance — Notification de violation de données à la CNIL : 2026-05-06 20:00 CEST"), "\(updated.stderr)")
        // stdout is the incident as `show` prints it, with the recomputed clocks and the history.
        #expect(updated.stdout.contains("2026-05-04 20:00 CEST"), "\(updated.stdout)")
        #expect(updated.stdout.contains("Correction — Données personnelles : non → oui — motif : journaux du serveur relus"), "\(updated.stdout)")
        #expect(updated.stdout.contains("Correction — Entité (SIREN) : aucun → \(siren)"), "\(updated.stdout)")
        #expect(updated.stdout.contains("Correction — Hôtes : \(TerritoryGenerator.hostname(0)) → \(TerritoryGenerator.hostname(0)), \(TerritoryGenerator.hostname(1))"), "\(updated.stdout)")
        // The generated members are communes under 30,000 inhabitants: NIS 2 does not bind them, the note says so.
        #expect(updated.stdout.contains("NIS 2 : non concernée d'après scope.yaml (règle commune-up-to-30000"), "\(updated.stdout)")
        #expect(updated.stdout.contains("délais indicatifs"), "\(updated.stdout)")
        let due = try at(now, ["due", "--within", "7d"])
        #expect(due.exitCode == 1)
        #expect(due.stdout.contains("Alerte précoce NIS 2 (indicatif, voir `incident show \(id)`)"), "\(due.stdout)")
        #expect(due.stdout.contains("Notification de violation de données à la CNIL") && !due.stdout.contains("CNIL (indicatif"), "\(due.stdout)")
        let json = try at(now, ["show", id, "--format", "json"])
        let nis2 = try #require((try JSONSerialization.jsonObject(with: json.stdoutData) as? [String: Any])?["nis2"] as? [String: Any])
        #expect(nis2["category"] as? String == "non-regulee" && nis2["indicative"] as? Bool == true, "\(nis2)")

        // The same values again: nothing changes, nothing is logged.
        let again = try at(now, ["update", id, "--significant", "yes", "--personal-data"])
        #expect(again.exitCode == 0)
        #expect(again.stderr.contains("rien n'a changé"), "\(again.stderr)")
        #expect(again.stdout.components(separatedBy: "Correction — ").count == updated.stdout.components(separatedBy: "Correction — ").count)

        // Not significant after all: the NIS 2 deadlines go, the CNIL one stays; in English on request.
        let notSignificant = try at(now, ["update", id, "--significant", "no", "--remove-host", TerritoryGenerator.hostname(1), "--lang", "en"])
        #expect(notSignificant.exitCode == 0, "\(notSignificant.stderr)")
        #expect(notSignificant.stderr.contains("deadline removed — NIS 2 early warning"), "\(notSignificant.stderr)")
        #expect(notSignificant.stderr.contains("Significant (Art. 23(3)): yes → no"), "\(notSignificant.stderr)")
        #expect(!notSignificant.stdout.contains("NIS 2 early warning") && notSignificant.stdout.contains("CNIL"), "\(notSignificant.stdout)")

        // Bad input.
        let nothing = try at(now, ["update", id])
        #expect(nothing.exitCode == 64)
        #expect(nothing.stderr.contains("rien à corriger"), "\(nothing.stderr)")
        #expect(try at(now, ["update", "999", "--significant", "yes"]).exitCode == 66)
        #expect(try at(now, ["update", id, "--entity", "123456789"]).exitCode == 64)
        #expect(try at(now, ["update", id, "--aware-at", "2099-01-01T00:00Z"]).exitCode == 64)
        let strayHost = try at(now, ["update", id, "--remove-host", "absent"])
        #expect(strayHost.exitCode == 64)
        #expect(strayHost.stderr.contains("absent"), "\(strayHost.stderr)")
    }

    @Test("incident show: NIS 2 standing from the roster when no report; undecided and unknown entities keep binding deadlines")
    func nis2Standing() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-incident-standing")
        let db = try StoreUnderTest.current.newLocation(sqlitePath: folder.url("territory.sqlite"))
        let roster = try folder.write("roster.yaml", """
            territory:
              name: Communauté de communes du Pays d'Iroise
              siren: "242900645"
              kind: cc
            members:
              - name: Communauté de communes du Pays d'Iroise
                siren: "242900645"
                kind: cc
              - name: Commune sans population connue
                siren: "212900195"
                kind: commune
            """)
        let imported = try BuiltBinary.run(["territory", "roster", "import", roster, "--db", db])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        func open(_ entity: String?) throws -> [String: Any] {
            let output = try BuiltBinary.run(["incident", "open", "--title", "t", "--aware-at", "2026-05-04 09:00", "--format", "json", "--db", db,
                                              "--now", "2026-05-04T12:00:00+02:00", "--agent-config", folder.url("no-agent.yaml")] + (entity.map { ["--entity", $0] } ?? []))
            #expect(output.exitCode == 0, "\(output.stderr)")
            return try #require((try JSONSerialization.jsonObject(with: output.stdoutData) as? [String: Any])?["nis2"] as? [String: Any])
        }
        let cc = try open("242900645")
        #expect(cc["category"] as? String == "importante" && cc["indicative"] as? Bool == false, "\(cc)")
        let undecided = try open("212900195")
        #expect(undecided["category"] == nil && undecided["indicative"] as? Bool == false, "\(undecided)")
        #expect((undecided["note"] as? String)?.contains("population") == true, "\(undecided)")
        let nobody = try open(nil)
        #expect(nobody["indicative"] as? Bool == false && (nobody["note"] as? String)?.contains("entité non indiquée") == true, "\(nobody)")
    }
}
