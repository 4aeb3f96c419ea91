import Agent
import Checks
import Foundation
import Incidents
import Model
import TestSupport
import Testing
@testable import Territory
import Trust

/// Issue 18, `territory alerts`: every kind of alert from a real store filled with real signed reports (real CA,
/// real agent certificates), a roster and incidents, read by the built binary; exit 1 when something is due,
/// 0 when nothing is, never 0 when a part could not be read.
@Suite("territory alerts")
struct AlertsTests {
    typealias F = TerritoryFixture

    static let sirenC = "212902001"

    /// Plouzané (A) and Lanvéoc (B), with their contacts.
    static let rosterOfAAndB = """
        territory:
          name: Communauté de communes de test
          siren: "242900645"
        silent_after_days: 7
        members:
          - name: Commune de Plouzané
            siren: "212901896"
            contacts:
              dgs: {name: Jeanne Martin, email: dgs@plouzane.fr}
          - name: Commune de Lanvéoc
            siren: "213502388"
            contacts:
              maire: {name: Paul Le Gall, phone: "02 98 00 00 00"}

        """

    /// A, B and a member that never reports (C).
    static let roster = rosterOfAAndB + """
          - name: Commune sans rien
            siren: "212902001"
        """

    static func iso(_ date: Date) -> JSONValue { .string(ISO8601.string(from: date)) }

    /// A store with one alert of every kind (and things that are not due: a certificate in 200 days, a valid
    /// agent certificate, a sent early warning).
    static func everything() throws -> F {
        let fixture = try F()
        let now = fixture.now
        try fixture.write("a.json", daysAgo: 2, results: [
            F.result("cert.expiry", .fail, .high, target: "/etc/ssl/old.pem", evidence: ["notAfter": iso(now.addingTimeInterval(-3.5 * 86_400)), "subject": .string("CN=old")]),
            F.result("tls.cert.expiry", .warn, .high, target: "www.plouzane.fr:443", evidence: ["notAfter": iso(now.addingTimeInterval(10.5 * 86_400))]),
            F.result("cert.expiry", .pass, .high, target: "/etc/ssl/far.pem", evidence: ["notAfter": iso(now.addingTimeInterval(200 * 86_400))]),
            // A certificate the check could not read: its end is unknown, which is an alert, not "not expiring".
            CheckResult(
                check: "cert.files", target: "/etc/ssl/unreadable.pem", code: "cert.expiry", status: .error, severity: .high,
                references: ["NIS2-21.2.h"], reason: FileAccessError.permissionDenied("/etc/ssl/unreadable.pem").localizedText, durationMs: 1),
            // A file a service names that could not be read at all: no cert.expiry result exists for it.
            CheckResult(
                check: "cert.files", target: "/etc/dovecot/private/dovecot.pem", code: "cert.file", status: .error, severity: .high,
                references: ["NIS2-21.2.h"], reason: FileAccessError.notFound("/etc/dovecot/private/dovecot.pem").localizedText, durationMs: 1),
        ])
        // Lanvéoc's only host last reported 20 days ago: silent (7 days + 1 of grace).
        try fixture.write("b.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 20, results: [F.result("tls.hsts", .pass, .medium)])
        // Agent certificates: one expired 9 days ago (report signed while valid), one expiring in 10 days.
        _ = try SignerCertificateTests.signedReport(
            fixture, host: "srv-old", issued: now.addingTimeInterval(-39 * 86_400), days: 30, signedAt: now.addingTimeInterval(-20 * 86_400), name: "old.json")
        _ = try SignerCertificateTests.signedReport(
            fixture, host: "srv-soon", issued: now.addingTimeInterval(-39 * 86_400), days: 49, signedAt: now.addingTimeInterval(-2 * 86_400), name: "soon.json")
        // A newer report of srv-mairie altered after signing: refused, while the older one keeps speaking for the host.
        let altered = try fixture.write("a-newer.json", daysAgo: 1, results: [F.result("backup.present", .fail, .critical)])
        try Data(try String(contentsOfFile: altered, encoding: .utf8).replacingOccurrences(of: "\"fail\"", with: "\"pass\"").utf8)
            .write(to: URL(fileURLWithPath: altered))
        // A report stored from another folder, whose agent key is then revoked as compromised: withdrawn by the next
        // consolidation (its file is not in the inbox: nothing reads it again).
        let stolen = try fixture.reportBytes(host: "srv-vole", daysAgo: 1, results: [F.result("tls.hsts", .pass, .medium)])
        let stolenPath = try fixture.folder.write("vole/r.json", Data(stolen))
        let thief = try fixture.signer(siren: F.sirenA, host: "srv-vole")
        try fixture.folder.write("vole/r.json.p7s", Data(try thief.sign(stolen, signingTime: now.addingTimeInterval(-86_400 + 60))))
        #expect(try fixture.ingest([stolenPath]).stored == 1)
        try fixture.authority.revoke(serial: thief.certificate.serialNumberHex, reason: .keyCompromise, now: now)
        try fixture.authority.refreshCRL(now: now)
        let summary = try fixture.ingest()
        #expect(summary.stored == 4 && summary.rejected == 1, "\(summary)")
        #expect(summary.withdrawn.map(\.host) == ["srv-vole"], "\(summary.withdrawn)")
        let store = try fixture.store()
        try store.importRoster(try Roster.parse(roster, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "00")
        // Aware 30 h ago, significant, personal data: early warning sent; notification and CNIL due in 42 h; final report in a month.
        let id = try store.openIncident(
            NewIncident(title: "Rançongiciel à la mairie", siren: F.sirenA, awareAt: now.addingTimeInterval(-30 * 3600), personalData: true, significant: .yes),
            now: now.addingTimeInterval(-29 * 3600))
        try store.logIncident(id, text: "alerte précoce envoyée", stage: .earlyWarning, at: now.addingTimeInterval(-28 * 3600))
        // An older one whose early warning was never sent: overdue.
        _ = try store.openIncident(
            NewIncident(title: "Messagerie compromise", awareAt: now.addingTimeInterval(-26 * 3600), significant: .yes), now: now.addingTimeInterval(-25 * 3600))
        return fixture
    }

    static func alerts(_ arguments: [String], db: String) throws -> Command.Output {
        try BuiltBinary.run(["territory", "alerts", "--db", db] + arguments)
    }

    @Test("One alert of each kind, JSON shape, exit 1; French table and Markdown; the window moves what is due")
    func everyKind() throws {
        let fixture = try Self.everything()
        let db = fixture.storeLocation
        // 20 days: far from the final reports (one calendar month after the notification deadline).
        let json = try Self.alerts(["--format", "json", "--lang", "en", "--within", "20d"], db: db)
        #expect(json.exitCode == 1, "\(json.stderr)")
        let view = try JSONDecoder().decode(AlertsView.self, from: Data(json.stdout.utf8))
        #expect(view.errors.isEmpty)
        #expect(view.windowDays == 20)
        func of(_ kind: AlertsView.Kind) -> [AlertsView.Alert] { view.alerts.filter { $0.kind == kind } }
        #expect(of(.certificateExpired).map(\.subject) == ["/etc/ssl/old.pem"])
        #expect(of(.certificateExpired).first?.days == -4, "3.5 days ago: whole days rounded down, as `territory certificates`")
        #expect(of(.certificateExpiring).map(\.subject) == ["www.plouzane.fr:443"])
        #expect(of(.certificateExpiring).first?.days == 10)
        #expect(!view.alerts.contains { $0.subject == "/etc/ssl/far.pem" })
        #expect(of(.certificateUnverified).map(\.subject) == ["/etc/dovecot/private/dovecot.pem", "/etc/ssl/unreadable.pem"])
        #expect(of(.certificateUnverified).last?.detail.contains("permission denied") == true, "\(of(.certificateUnverified))")
        #expect(of(.certificateUnverified).first?.detail.contains("no such file") == true, "\(of(.certificateUnverified))")
        #expect(of(.memberSilent).map(\.siren) == [F.sirenB])
        #expect(of(.memberSilent).first?.days == 20)
        #expect(of(.memberNeverReported).map(\.siren) == [Self.sirenC])
        #expect(of(.agentCertificateExpired).map(\.host) == ["srv-old"])
        #expect(of(.agentCertificateExpiring).map(\.host) == ["srv-soon"])
        #expect(!view.alerts.contains { $0.host == "srv-mairie" && $0.kind == .agentCertificateExpiring }, "a 400-day agent certificate is not due")
        #expect(of(.incidentOverdue).map(\.subject) == ["INC-2"], "the unsent early warning of incident 2")
        #expect(of(.incidentOverdue).first?.detail.contains("early warning") == true, "\(of(.incidentOverdue))")
        // Incident 1: notification (72 h) and CNIL (72 h) within 20 days; the final report (one month after the
        // notification deadline) is beyond; the early warning was sent. Incident 2: its notification.
        #expect(of(.incidentDue).map(\.subject).sorted() == ["INC-1", "INC-1", "INC-2"], "\(of(.incidentDue).map(\.detail))")
        #expect(of(.incidentDue).contains { $0.detail.contains("GDPR") || $0.detail.contains("RGPD") })
        #expect(of(.memberWithoutContact).map(\.siren) == [Self.sirenC])
        // srv-old's latest report is 20 days old while Plouzané's other hosts report: the member is not silent, the host is.
        // srv-vole has no trusted report left (its only one withdrawn): silent too, undated, for as long as it stays so.
        #expect(of(.hostSilent).map(\.host) == ["srv-old", "srv-vole"], "\(of(.hostSilent))")
        #expect(of(.hostSilent).first?.days == 20)
        #expect(of(.hostSilent).last?.days == nil && of(.hostSilent).last?.detail.contains("no trusted report") == true, "\(of(.hostSilent))")
        #expect(of(.reportRefused).map { URL(fileURLWithPath: $0.subject).lastPathComponent } == ["a-newer.json"])
        #expect(of(.reportRefused).first?.siren == nil && of(.reportRefused).first?.detail.contains("content-mismatch") == true)
        #expect(of(.reportWithdrawn).map(\.host) == ["srv-vole"], "\(of(.reportWithdrawn))")
        #expect(of(.reportWithdrawn).first?.siren == F.sirenA && of(.reportWithdrawn).first?.detail.contains("keyCompromise") == true)
        #expect(of(.reportWithdrawn).first?.detail.contains("not evaluated") == true, "\(of(.reportWithdrawn))")
        #expect(view.counts.count == AlertsView.Kind.allCases.count)
        // crl-stale and crl-missing exclude each other for one CA: CRLStateAlertsTests has them.
        // no-reports: a store with reports has none (nothingDue has it).
        #expect(AlertsView.Kind.allCases.filter { ![.crlStale, .crlMissing, .noReports].contains($0) }.allSatisfy { (view.counts[$0.rawValue] ?? 0) > 0 }, "\(view.counts)")
        #expect(view.counts["no-reports"] == 0)
        #expect(view.counts["crl-stale"] == 0 && view.counts["crl-missing"] == 0, "no CRL state recorded by a library ingest")
        // Past first.
        #expect([.agentCertificateExpired, .memberSilent, .hostSilent].contains(view.alerts.first?.kind), "\(view.alerts.map(\.kind))")
        let raw = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        #expect(Set(raw.keys) == ["now", "windowDays", "alerts", "counts", "errors"])
        let first = try #require((raw["alerts"] as? [[String: Any]])?.first)
        #expect(Set(first.keys).isSuperset(of: ["kind", "subject", "detail"]))

        // 8 weeks bring the final reports of both incidents in; 0 keeps only what is past (and the undated).
        let wide = try JSONDecoder().decode(AlertsView.self, from: Data(try Self.alerts(["--format", "json", "--within", "8sem"], db: db).stdout.utf8))
        #expect(wide.alerts.filter { $0.kind == .incidentDue }.count == 5)
        #expect(wide.alerts.contains { $0.subject == "/etc/ssl/far.pem" } == false)
        let none = try JSONDecoder().decode(AlertsView.self, from: Data(try Self.alerts(["--format", "json", "--within", "0"], db: db).stdout.utf8))
        #expect(none.counts["certificate-expiring"] == 0 && none.counts["incident-deadline-due"] == 0)
        #expect(none.counts["certificate-expired"] == 1 && none.counts["member-silent"] == 1 && none.counts["member-without-contact"] == 1)

        let table = try Self.alerts([], db: db)
        #expect(table.exitCode == 1)
        for text in ["Certificat expiré", "Certificat expirant", "Membre silencieux", "Membre sans rapport", "Certificat d'agent expiré",
                     "Certificat d'agent expirant", "Déclaration en retard", "Déclaration à faire", "Membre sans contact", "Commune sans rien",
                     "muet depuis 20 j", "échu depuis 4 j", "Rapport retiré (signataire révoqué)", "retiré il y a 0 j"] {
            #expect(table.stdout.contains(text), "\(text)\n\(table.stdout)")
        }
        let markdown = try Self.alerts(["--format", "markdown", "--lang", "en"], db: db)
        #expect(markdown.exitCode == 1)
        #expect(markdown.stdout.contains("| Alert |") && markdown.stdout.contains("Member without contact"), "\(markdown.stdout)")
    }

    @Test("A server left without any trusted report stays a host-silent alert after its report-withdrawn alert has aged out, as the status counts it")
    func withdrawnServerStaysNamed() throws {
        let fixture = try Self.everything()
        let store = try fixture.store()
        // The withdrawal recorded 20 days ago: past the silence horizon (7 + 1 days), its own alert is gone.
        try store.write { db in try db.execute(sql: "UPDATE report_withdrawal SET withdrawnAt = withdrawnAt - ?", arguments: [20 * 86_400]) }
        let view = try TerritoryViews(store: store, now: fixture.now, language: .en).alerts(withinDays: 30).view
        #expect(!view.alerts.contains { $0.kind == .reportWithdrawn }, "\(view.alerts.filter { $0.kind == .reportWithdrawn })")
        let silent = view.alerts.filter { $0.kind == .hostSilent }
        #expect(silent.map(\.host) == ["srv-old", "srv-vole"], "\(silent)")
        #expect(silent.last?.detail.contains("cyberctl enroll") == true && silent.last?.date == nil, "\(silent)")
        // The status counts the same two servers for Plouzané.
        let row = try #require(try TerritoryViews(store: store, now: fixture.now).status().entities.first { $0.siren == F.sirenA })
        #expect(row.staleHosts == silent.count)
    }

    @Test("territory status shows the servers a member's newest report would hide: silent for 20 days, or left without a trusted report")
    func statusNamesSilentServers() throws {
        let fixture = try Self.everything()
        let db = fixture.storeLocation
        let view = try TerritoryViews(store: try fixture.store(), now: fixture.now, language: .fr).status()
        // Plouzané reports (srv-mairie, 1 day) but srv-old last reported 20 days ago and srv-vole's only report was withdrawn.
        let plouzane = try #require(view.entities.first { $0.siren == F.sirenA })
        #expect(!plouzane.stale && plouzane.staleHosts == 2, "\(plouzane)")
        // Lanvéoc is silent as a whole: its one server counts too.
        #expect(view.territory.staleHosts == view.entities.filter(\.inPerimeter).reduce(0) { $0 + $1.staleHosts })
        #expect(view.territory.staleHosts == 3, "\(view.entities.map { ($0.siren, $0.staleHosts) })")
        let table = try BuiltBinary.run(["territory", "status", "--db", db])
        #expect(table.exitCode == 0, "\(table.stderr)")
        let row = try #require(table.stdout.split(separator: "\n").first { $0.contains("Plouzané") })
        #expect(row.contains("⚠ 2 serveurs silencieux"), "\(row)")
        #expect(table.stdout.contains("Hôtes silencieux"), "\(table.stdout)")
        let english = try BuiltBinary.run(["territory", "status", "--db", db, "--lang", "en"])
        #expect(english.stdout.contains("⚠ 2 servers silent"), "\(english.stdout)")
        // The CSV a spreadsheet filters on: the member is not "à jour", and says how many.
        let csv = try BuiltBinary.run(["territory", "status", "--db", db, "--format", "csv"])
        let lines = csv.stdout.split(separator: "\r\n").map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
        let headers = try #require(lines.first)
        let line = try #require(lines.first { $0.contains(F.sirenA) })
        let column = try #require(headers.firstIndex(of: "Hôtes silencieux"))
        #expect(line[column] == "2" && line.contains("serveur silencieux"), "\(line)")
        let html = try BuiltBinary.run(["territory", "status", "--db", db, "--format", "html"])
        #expect(html.stdout.contains("<b>3</b>Hôtes silencieux (&gt; 7 j)"), "\(html.stdout.prefix(3000))")
    }

    @Test("Nothing due: exit 0 and says so; the same store with a silent member: exit 1")
    func nothingDue() throws {
        let fixture = try F()
        // Before any report, the store verifies nothing: never "nothing to report".
        _ = try fixture.store()
        let empty = try Self.alerts(["--format", "json", "--lang", "en"], db: fixture.storeLocation)
        #expect(empty.exitCode == 1, "\(empty.stdout)\(empty.stderr)")
        let emptyView = try JSONDecoder().decode(AlertsView.self, from: Data(empty.stdout.utf8))
        #expect(emptyView.alerts.map(\.kind) == [.noReports] && emptyView.alerts.first?.detail.contains("nothing was verified") == true, "\(emptyView.alerts)")
        #expect(try Self.alerts([], db: fixture.storeLocation).stdout.contains("Aucun rapport dans la base"))
        try fixture.write("a.json", daysAgo: 1, results: [
            F.result("cert.expiry", .pass, .high, target: "/etc/ssl/far.pem", evidence: ["notAfter": Self.iso(fixture.now.addingTimeInterval(200 * 86_400))]),
        ])
        #expect(try fixture.ingest().stored == 1)
        let table = try Self.alerts(["--within", "60j"], db: fixture.storeLocation)
        #expect(table.exitCode == 0, "\(table.stdout)\(table.stderr)")
        #expect(table.stdout.contains("Rien à signaler d'ici 60 j"), "\(table.stdout)")
        let json = try Self.alerts(["--format", "json"], db: fixture.storeLocation)
        #expect(json.exitCode == 0)
        let view = try JSONDecoder().decode(AlertsView.self, from: Data(json.stdout.utf8))
        #expect(view.alerts.isEmpty && view.errors.isEmpty)
        // The same report replayed 10 days later: the entity is silent.
        let later = ISO8601.string(from: fixture.now.addingTimeInterval(10 * 86_400))
        let silent = try Self.alerts(["--now", later, "--lang", "en"], db: fixture.storeLocation)
        #expect(silent.exitCode == 1, "\(silent.stdout)")
        #expect(silent.stdout.contains("Member silent"), "\(silent.stdout)")
    }

    @Test("Missing store 66 (not created), bad options 64, an unreadable part is an error (never 0), the others still shown")
    func errors() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-alerts")
        let missing = folder.url("none.sqlite")
        let absent = try Self.alerts([], db: missing)
        #expect(absent.exitCode == 66, "\(absent.stderr)")
        #expect(absent.stderr.contains(missing))
        #expect(!FileManager.default.fileExists(atPath: missing))
        let fixture = try Self.everything()
        let db = fixture.storeLocation
        #expect(try Self.alerts(["--within", "soon"], db: db).exitCode == 64)
        #expect(try Self.alerts(["--within", "36h"], db: db).exitCode == 64)
        #expect(try Self.alerts(["--format", "html"], db: db).exitCode == 64)
        #expect(try Self.alerts(["--csv-dialect", "excel-fr"], db: db).exitCode == 64, "a dialect without --format csv")
        #expect(try Self.alerts(["--domain", "tls"], db: db).exitCode == 64, "alerts belong to no check domain")
        let help = try BuiltBinary.run(["territory", "alerts", "--help"])
        let helpText = help.stdout.split(whereSeparator: \.isWhitespace).joined(separator: " ")  // --help wraps lines
        #expect(helpText.contains("timer systemd") && helpText.contains("1 au moins une alerte"), "\(help.stdout)")

        // The incidents' log becomes unreadable: the other parts are shown, the incidents part is named, exit ≠ 0 and ≠ 1.
        try fixture.store().write { try $0.execute(sql: "DROP TABLE incident_log") }
        let broken = try Self.alerts(["--format", "json", "--lang", "en"], db: db)
        #expect(broken.exitCode != 0 && broken.exitCode != 1, "\(broken.exitCode) \(broken.stderr)")
        #expect(broken.stderr.contains("incidents"), "\(broken.stderr)")
        let view = try JSONDecoder().decode(AlertsView.self, from: Data(broken.stdout.utf8))
        #expect(view.errors.map(\.part) == [.incidents])
        #expect(view.counts["certificate-expired"] == 1 && view.counts["incident-deadline-due"] == 0)
        let table = try Self.alerts([], db: db)
        #expect(table.exitCode == broken.exitCode)
        #expect(table.stdout.contains("Parties illisibles"), "\(table.stdout)")
    }
}
