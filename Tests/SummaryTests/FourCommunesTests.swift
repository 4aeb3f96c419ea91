import Agent
import Checks
import Foundation
import Model
import TerritoryGenerator
@testable import Rendering
import Incidents
import NIS2
@testable import Summary
import Territory
import Testing
import TestSupport

/// Issue 17's scenario: an intercommunalité of four communes, two of which have no backup at all. The
/// pooled formula said "C" and the élus page "Bon niveau… sans urgence majeure"; the territory judged on
/// its members is capped, counts the communes, and says so in plain French.
@Suite("Four communes, two without backup")
struct FourCommunesTests {
    typealias F = SummaryFixture

    static let grouping = Entity(
        name: "Communauté de communes du Pays d'Iroise (test)", siren: TerritoryGenerator.siren(900), kind: "cc", population: 48_000,
        departement: "29", region: "Bretagne")
    static let communes: [Entity] = ["Plougonvelin", "Le Conquet", "Ploumoguer", "Trébabu"].enumerated().map { index, name in
        Entity(name: "Commune de \(name)", siren: TerritoryGenerator.siren(901 + index), insee: String(format: "29%03d", 150 + index),
               kind: "commune", population: 2_000 + 500 * index, departement: "29", region: "Bretagne")
    }
    /// Plougonvelin and Ploumoguer have backups; Le Conquet and Trébabu none.
    static let withoutBackup: Set<String> = ["Commune de Le Conquet", "Commune de Trébabu"]

    /// Results shaped as the checks write them, evidence included.
    static func results(now: Date, backup: Bool) -> [CheckResult] {
        func result(_ code: String, _ status: Status, _ severity: Severity, target: String, evidence: [String: JSONValue] = [:]) -> CheckResult {
            let check = ["tls": "tls.endpoint", "cert": "cert.files", "patch": "patch.packages", "backup": "backup.sets"][code.components(separatedBy: ".").first!]!
            return CheckResult(check: check, target: target, code: code, status: status, severity: severity,
                        evidence: evidence, references: [], durationMs: 2)
        }
        var results = [
            result("tls.legacy-protocols", .pass, .high, target: "127.0.0.1:443", evidence: ["accepted": .strings(["TLSv1.2", "TLSv1.3"])]),
            result("cert.expiry", .pass, .high, target: "/etc/ssl/certs/portail.pem", evidence: [
                "subject": "CN=portail.example.fr", "notAfter": .time(now.addingTimeInterval(200 * 86_400)), "daysLeft": 200,
            ]),
            result("patch.security-updates", .pass, .high, target: "/var/lib/dpkg/status", evidence: ["count": 0, "updates": .array([])]),
            result("patch.os-eol", .pass, .high, target: "/etc/os-release", evidence: [
                "id": "debian", "release": "Debian 13 trixie", "securitySupportEnds": "2028-08-09", "phase": "standard", "extendedSupportEnds": "2030-06-30",
            ]),
        ]
        if backup {
            results += [
                result("backup.present", .pass, .high, target: "/srv/backup/restic", evidence: ["set": "restic", "snapshots": 30]),
                result("backup.separate-storage", .pass, .medium, target: "/srv/backup/restic", evidence: ["backupDevice": "8:17"]),
                result("backup.offline-copy", .pass, .medium, target: "/srv/backup/restic", evidence: ["declared": true, "present": true]),
                result("backup.restore-test", .warn, .medium, target: "/srv/backup/restic", evidence: ["declared": false]),
            ]
        } else {
            // What backup.sets writes when it finds nothing at all.
            results.append(result("backup.present", .fail, .high, target: "backup.sets", evidence: [
                "declaredSets": 0, "discover": true, "foldersLookedAt": .strings(["/var/backups", "/backup", "/srv/backup"]),
            ]))
        }
        return results
    }

    static func roster() -> String {
        var text = """
            territory:
              name: "\(grouping.name!)"
              siren: "\(grouping.siren!)"
              kind: cc
              population: 48000
              departement: "29"
              region: Bretagne
            members:

            """
        for commune in communes {
            text += """
                  - name: "\(commune.name!)"
                    siren: "\(commune.siren!)"
                    insee: "\(commune.insee!)"
                    kind: commune
                    population: \(commune.population!)
                    departement: "29"
                    contacts:
                      maire: {name: "Maire de \(commune.name!.dropFirst(11))", phone: "02 98 00 00 0\(communes.firstIndex(of: commune)!)"}

                """
        }
        return text
    }

    static func territory() throws -> SummaryFixture {
        let fixture = try F()
        for commune in communes {
            try fixture.write(commune, host: "srv-mairie", daysAgo: 1, results: results(now: fixture.now, backup: !withoutBackup.contains(commune.name!)))
        }
        return fixture
    }

    @Test("The store: territory level not above the cap, backups counted 2/4, the élus page names the gap, never 'bon niveau'")
    func judgedOnItsMembers() throws {
        let fixture = try Self.territory()
        try fixture.ingest()
        let store = try fixture.store()
        try store.importRoster(try Roster.parse(Self.roster(), file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "")
        let views = TerritoryViews(store: store, now: fixture.now, language: .fr)
        let status = try views.status()
        let t = status.territory
        #expect(t.name == Self.grouping.name)
        #expect(t.members == 4 && t.entities == 4)
        // Each commune weighs one: two at A (98), two at B (75) by their scores alone…
        let scores = status.entities.map { $0.score.score ?? -1 }.sorted()
        #expect(scores == [75, 75, 98, 98])
        #expect(t.score.score == 87 && t.score.scoreLevel == "B")
        // …but a commune without any backup is capped at E, and so is a territory where half the communes are.
        for row in status.entities where Self.withoutBackup.contains(row.name ?? "") {
            #expect(row.score.level == "E")
            #expect(row.score.caps.first?.rule == "backup.none")
        }
        let cap = try #require(t.cap)
        #expect(cap.capped == 2 && cap.members == 4)
        #expect(t.score.level == "E")
        #expect(Level(rawValue: t.score.level!)!.rank >= Level(rawValue: cap.level)!.rank, "territory level not above the cap")
        #expect(t.distribution["A"] == 2 && t.distribution["E"] == 2)
        // The backups line counts communes: 2/4 without any backup.
        let backups = try #require(t.domains.first { $0.domain == "backups" })
        #expect(backups.members == 4)
        let none = try #require(backups.gaps.first { $0.rule == "backup.none" && $0.state == "gap" })
        #expect(none.members == Self.withoutBackup.sorted())
        let table = ViewTables.status(status, .fr).map(\.text).joined()
        #expect(table.contains("2/4 aucune sauvegarde (Commune de Le Conquet, Commune de Trébabu)"))

        let summary = try SummaryBuilder(views: views, scopeRules: try ScopeRules.shipped()).territory()
        #expect(summary.title == Self.grouping.name)
        #expect(summary.level == "E")
        #expect(summary.gaps.contains("2 communes sur 4 n'ont aucune sauvegarde : Commune de Le Conquet et Commune de Trébabu."))
        #expect(summary.capNote?.contains("limité à E") == true)
        for page in [SummaryRenderer.html(summary), SummaryRenderer.markdown(summary)] {
            let visible = Jargon.visibleText(ofHTML: page).lowercased()
            #expect(!visible.contains("bon niveau"))
            #expect(!visible.contains("sans urgence"))
            #expect(visible.contains("n'ont aucune sauvegarde"))
            #expect(Jargon.violations(in: Jargon.visibleText(ofHTML: page)).isEmpty, "\(Jargon.violations(in: Jargon.visibleText(ofHTML: page)))")
        }
        // Level badges: every background/text pair on the page meets WCAG AA (4.5:1).
        let html = SummaryRenderer.html(summary)
        let styles = try NSRegularExpression(pattern: #"background:(#[0-9a-fA-F]{6});color:(#[0-9a-fA-F]{6})"#)
        let matches = styles.matches(in: html, range: NSRange(html.startIndex..., in: html))
        #expect(matches.count == 1 + 4, "the badge and one per member")
        for match in matches {
            let fill = String(html[Range(match.range(at: 1), in: html)!]), text = String(html[Range(match.range(at: 2), in: html)!])
            #expect((Palette.contrast(fill, text) ?? 0) >= 4.5, "\(fill) / \(text)")
        }
        #expect(summary.members.count == 4)
        #expect(summary.members.filter { $0.gap == "Aucune sauvegarde" }.map(\.name) == Self.withoutBackup.sorted())
    }

    @Test("The same through the built cyberctl: roster import, consolidate, status, summary")
    func endToEnd() throws {
        let fixture = try Self.territory()
        let db = try fixture.newStoreLocation("cli.sqlite")
        let rosterFile = try fixture.folder.write("roster.yaml", Self.roster())
        let check = try BuiltBinary.run(["territory", "roster", "check", rosterFile])
        #expect(check.exitCode == 0, "\(check.stderr)")
        #expect(check.stdout.contains("4 membres"))
        let consolidate = try BuiltBinary.run(["consolidate", fixture.inbox, "--db", db, "--ca", fixture.authority.certificatePath])
        #expect(consolidate.exitCode == 0, "\(consolidate.stderr)")
        let imported = try BuiltBinary.run(["territory", "roster", "import", rosterFile, "--db", db])
        #expect(imported.exitCode == 0, "\(imported.stderr)")
        #expect(imported.stdout.contains("4 avec des rapports, 0 sans aucun rapport"), "\(imported.stdout)")
        // A report from an entity the roster does not list: stored, flagged, not counted.
        let outsider = Entity(name: "Commune de Brest (hors périmètre)", siren: TerritoryGenerator.siren(950), kind: "commune", departement: "29")
        try fixture.write(outsider, host: "srv-brest", daysAgo: 1, results: Self.results(now: fixture.now, backup: false))
        let again = try BuiltBinary.run(["consolidate", fixture.inbox, "--db", db, "--ca", fixture.authority.certificatePath])
        #expect(again.exitCode == 0, "\(again.stderr)")
        #expect(again.stderr.contains("hors périmètre (rangés, non comptés dans le territoire) : Commune de Brest"), "\(again.stderr)")
        let status = try BuiltBinary.run(["territory", "status", "--db", db, "--format", "json"])
        #expect(status.exitCode == 0, "\(status.stderr)")
        let view = try JSONDecoder().decode(StatusView.self, from: Data(status.stdout.utf8))
        #expect(view.territory.score.level == "E")
        #expect(view.territory.outOfPerimeter == 1 && view.territory.entities == 4)
        #expect(view.entities.first { $0.siren == outsider.siren }?.inPerimeter == false)
        #expect(view.territory.domains.first { $0.domain == "backups" }?.gaps.first?.members.count == 2)
        let markdown = try BuiltBinary.run(["summary", "--territory", "--db", db, "--format", "markdown"])
        #expect(markdown.exitCode == 0, "\(markdown.stderr)")
        #expect(markdown.stdout.contains("2 communes sur 4 n'ont aucune sauvegarde"))
        #expect(!markdown.stdout.lowercased().contains("bon niveau"))
        let shown = try BuiltBinary.run(["territory", "roster", "show", "--db", db])
        #expect(shown.stdout.contains("Maire : Maire de Plougonvelin, 02 98 00 00 00"), "\(shown.stdout)")
        // An incident at Trébabu: its draft names the maire from the roster; the élus page counts it, overdue.
        let trebabu = Self.communes[3]
        let opened = try BuiltBinary.run([
            "incident", "open", "--db", db, "--title", "Messagerie compromise", "--entity", trebabu.siren!,
            "--aware-at", IncidentClock.iso(fixture.now.addingTimeInterval(-50 * 3600)), "--significant", "yes",
        ])
        #expect(opened.exitCode == 0, "\(opened.stderr)")
        let draft = try BuiltBinary.run(["incident", "draft", "1", "--db", db, "--stage", "early-warning"])
        #expect(draft.exitCode == 0, "\(draft.stderr)")
        #expect(draft.stdout.contains("Maire : Maire de Trébabu, 02 98 00 00 03"), "\(draft.stdout)")
        let withIncident = try BuiltBinary.run(["summary", "--territory", "--db", db, "--format", "markdown"])
        #expect(withIncident.stdout.contains("1 incident est en cours de traitement depuis le"), "\(withIncident.stdout)")
        #expect(withIncident.stdout.contains("n'a pas été faite dans le délai légal"))
    }
}
