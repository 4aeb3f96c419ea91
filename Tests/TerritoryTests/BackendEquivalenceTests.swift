import Agent
import Checks
import Foundation
import Incidents
import Model
import Rendering
import TerritoryGenerator
import TestSupport
import Testing
@testable import Territory
import Trust

/// Issue 20: one scenario, stored in a SQLite file and in a PostgreSQL database in the same run, gives the same JSON
/// from every view, byte for byte (`ViewJSON`, as `cyberctl … --format json` prints it). Runs in both passes: it
/// always makes one store of each engine.
///
/// The scenario is chosen to find where the engines could differ: entities and hosts whose scores tie (ORDER BY
/// ties), names that differ only in case and accents (text ordering), several reports per host (trend, latest),
/// certificates expired, expiring and unreadable, agent certificates expired and expiring, refused files of three
/// kinds, a roster with a member that never reported, incidents open, overdue and closed.
@Suite("The same views on SQLite and PostgreSQL")
struct BackendEquivalenceTests {
    typealias F = TerritoryFixture

    static let sirenC = TerritoryGenerator.siren(5)
    static let sirenD = TerritoryGenerator.siren(6)

    static let roster = """
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
          - name: commune d'Écrouves
            siren: "\(sirenC)"
          - name: Commune de crozon
            siren: "\(sirenD)"
          - name: Commune sans rien
            siren: "212902001"
        """

    static func iso(_ date: Date) -> JSONValue { .string(ISO8601.string(from: date)) }

    /// Certificates of every state, for the certificates and alerts views.
    static func certificates(_ now: Date) -> [CheckResult] {
        [
            F.result("cert.expiry", .fail, .high, target: "/etc/ssl/old.pem", evidence: ["notAfter": iso(now.addingTimeInterval(-3.5 * 86_400)), "subject": .string("CN=old")]),
            F.result("tls.cert.expiry", .warn, .high, target: "www.plouzane.fr:443", evidence: ["notAfter": iso(now.addingTimeInterval(10.5 * 86_400))]),
            F.result("tls.cert.expiry", .warn, .high, target: "mail.plouzane.fr:993", evidence: ["notAfter": iso(now.addingTimeInterval(10.5 * 86_400))]),
            F.result("cert.expiry", .pass, .high, target: "/etc/ssl/far.pem", evidence: ["notAfter": iso(now.addingTimeInterval(200 * 86_400))]),
            CheckResult(
                check: "cert.files", target: "/etc/ssl/unreadable.pem", code: "cert.expiry", status: .error, severity: .high,
                references: ["NIS2-21.2.h"], reason: FileAccessError.permissionDenied("/etc/ssl/unreadable.pem").localizedText, durationMs: 1),
        ]
    }

    /// The signed inbox of the scenario, in `fixture`'s folder.
    static func writeInbox(_ fixture: F) throws {
        let now = fixture.now
        // Plouzané: three reports of srv-mairie (a trend), one of srv-2 with certificates, one host in upper case.
        try fixture.write("a1.json", host: "srv-mairie", daysAgo: 30, results: F.mixed(1))
        try fixture.write("a2.json", host: "srv-mairie", daysAgo: 10, results: F.mixed(0))
        try fixture.write("a3.json", host: "srv-mairie", daysAgo: 1, results: F.mixed(1))
        try fixture.write("a4.json", host: "srv-2", daysAgo: 2, results: certificates(now) + F.mixed(0))
        try fixture.write("a5.json", host: "SRV-Backup", daysAgo: 3, results: F.mixed(0))
        // Lanvéoc: silent for 20 days; a second host whose report has the same instant as Écrouves' (a tie).
        try fixture.write("b1.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 20, results: [F.result("tls.hsts", .pass, .medium)])
        try fixture.write("b2.json", siren: F.sirenB, host: "srv-b2", daysAgo: 4, results: F.mixed(0))
        // Écrouves and Crozon: the same results as Lanvéoc's srv-b2, the same day: their scores tie.
        try fixture.write("c1.json", siren: sirenC, host: "srv-mairie", daysAgo: 4, results: F.mixed(0), entityName: "commune d'Écrouves")
        try fixture.write("d1.json", siren: sirenD, host: "srv-b2", daysAgo: 4, results: F.mixed(0), entityName: "Commune de crozon")
        try fixture.write("d2.json", siren: sirenD, host: "SRV-E", daysAgo: 4, results: F.mixed(0), entityName: "Commune de crozon")
        // Refused: unsigned (twice), a stored id with other bytes, altered after signing.
        try fixture.write("refused/unsigned.json", daysAgo: 1, results: F.mixed(0), sign: false)
        // Refused at the same instant: listed by path, where byte order and a French collation differ (Z before a).
        try fixture.write("refused/Zeta.json", daysAgo: 1, results: F.mixed(1), sign: false)
        let id = UUID().uuidString.lowercased()
        try fixture.write("refused/first.json", siren: sirenD, host: "srv-z", daysAgo: 5, results: F.mixed(1), id: id, entityName: "Commune de crozon")
        try fixture.write("refused/conflict.json", siren: sirenD, host: "srv-z", daysAgo: 2, results: F.mixed(0), id: id, entityName: "Commune de crozon")
        let original = try fixture.write("refused/original.json", siren: F.sirenB, host: "srv-t", daysAgo: 6, results: F.mixed(0))
        let tampered = try String(contentsOfFile: original, encoding: .utf8).replacingOccurrences(of: "\"srv-t\"", with: "\"srv-u\"")
        try fixture.folder.write("inbox/refused/tampered.json", tampered)
        try FileManager.default.copyItem(atPath: original + ".p7s", toPath: fixture.folder.url("inbox/refused/tampered.json.p7s"))
        // Agent certificates: one expired 9 days ago (report signed while valid), one expiring in 10 days.
        _ = try SignerCertificateTests.signedReport(
            fixture, host: "srv-old", issued: now.addingTimeInterval(-39 * 86_400), days: 30, signedAt: now.addingTimeInterval(-20 * 86_400), name: "old.json")
        _ = try SignerCertificateTests.signedReport(
            fixture, host: "srv-soon", issued: now.addingTimeInterval(-39 * 86_400), days: 49, signedAt: now.addingTimeInterval(-2 * 86_400), name: "soon.json")
        try fixture.authority.refreshCRL(now: now)
    }

    /// Ingests the inbox into `store` at the fixture's instant, then the roster and the incidents.
    static func fill(_ store: TerritoryStore, from fixture: F) throws -> IngestSummary {
        let now = fixture.now
        let summary = try Ingest(store: store, verifier: try fixture.verifier(), batchSize: 3, workers: 1, clock: { now }).run(try Inbox.discover([fixture.inbox]))
        try store.importRoster(try Roster.parse(roster, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "00", now: now)
        let first = try store.openIncident(
            NewIncident(title: "Rançongiciel à la mairie", siren: F.sirenA, awareAt: now.addingTimeInterval(-30 * 3600), personalData: true,
                        significant: .yes, hosts: ["srv-mairie", "poste-accueil", "srv_a", "srv1"]),
            now: now.addingTimeInterval(-29 * 3600))
        try store.logIncident(first, text: "alerte précoce envoyée", stage: .earlyWarning, at: now.addingTimeInterval(-28 * 3600))
        _ = try store.openIncident(
            NewIncident(title: "Messagerie compromise", awareAt: now.addingTimeInterval(-26 * 3600), significant: .yes), now: now.addingTimeInterval(-25 * 3600))
        let closed = try store.openIncident(NewIncident(title: "Hameçonnage", siren: sirenC, awareAt: now.addingTimeInterval(-9 * 86_400)), now: now.addingTimeInterval(-9 * 86_400))
        try store.closeIncident(closed, at: now.addingTimeInterval(-8 * 86_400))
        return summary
    }

    /// Every view of `store` at `now`, by name, as `--format json` prints it.
    static func views(_ store: TerritoryStore, now: Date) throws -> [(String, String)] {
        let fr = TerritoryViews(store: store, now: now, language: .fr)
        let en = TerritoryViews(store: store, now: now, language: .en)
        var views: [(String, () throws -> String)] = [
            ("status.fr", { try ViewJSON.encode(fr.status(fixes: 3)) }),
            ("status.en", { try ViewJSON.encode(en.status(fixes: 10)) }),
            ("status.filtered", { try ViewJSON.encode(fr.status(fixes: 0, filter: ViewFilter(entities: [F.sirenB, sirenD], domain: .tls))) }),
            ("findings.fr", { try ViewJSON.encode(fr.findings()) }),
            ("findings.top", { try ViewJSON.encode(en.findings(top: 3, minimumSeverity: .high)) }),
            ("findings.filtered", { try ViewJSON.encode(en.findings(filter: ViewFilter(entities: [sirenC, sirenD]))) }),
            ("certificates", { try ViewJSON.encode(fr.certificates(expiringWithinDays: 60)) }),
            ("certificates.all", { try ViewJSON.encode(en.certificates(expiringWithinDays: 36_500)) }),
            ("agents", { try ViewJSON.encode(fr.agentCertificates(expiringWithinDays: 500)) }),
            ("trend", { try ViewJSON.encode(fr.trend()) }),
            ("trend.filtered", { try ViewJSON.encode(fr.trend(filter: ViewFilter(entities: [F.sirenA]))) }),
            ("rejected", { try ViewJSON.encode(fr.rejected(includeResolved: true)) }),
            ("rejected.en", { try ViewJSON.encode(en.rejected()) }),
            ("alerts", { try ViewJSON.encode(fr.alerts(withinDays: 30, filter: ViewFilter()).view) }),
            ("alerts.en", { try ViewJSON.encode(en.alerts(withinDays: 60, filter: ViewFilter(entities: [F.sirenA])).view) }),
            ("incidents", { try ViewJSON.encode(store.incidents()) }),
        ]
        for siren in [F.sirenA, F.sirenB, sirenC, sirenD] {
            views.append(("entity \(siren)", { try ViewJSON.encode(fr.entity(siren)) }))
        }
        for host in ["srv-mairie", "SRV-MAIRIE", "srv-b2", "srv-backup", "srv-e"] {
            views.append(("host \(host)", { try ViewJSON.encode(en.host(host)) }))
        }
        return try views.map { name, view in (name, try view()) }
    }

    /// - Parameter collation: the PostgreSQL database's default collation: byte order (`C`, as the test databases),
    ///   or ICU's French one (`fr-FR`), which a database made on a French system would have.
    @Test("Every view's JSON is the same bytes from a SQLite store and a PostgreSQL store filled alike", arguments: ["C", "fr-FR"])
    func sameViews(collation: String) throws {
        let fixture = try F(store: .sqlite)
        try Self.writeInbox(fixture)
        let sqlite = try fixture.store()
        let postgres = try TerritoryStore(location: try PostgresCluster.shared().createDatabase(prefix: "same", icuLocale: collation == "C" ? nil : collation))
        #expect(sqlite.dialect == .sqlite && postgres.dialect == .postgresql)
        // The database does sort as asked: byte order puts upper case first; French ICU does not.
        let upperFirst = try postgres.read { db in try db.fetchOne(Bool.self, sql: "SELECT 'SRV-E' < 'srv-b2'") }
        #expect(upperFirst == (collation == "C"))
        let onSQLite = try Self.fill(sqlite, from: fixture)
        let onPostgres = try Self.fill(postgres, from: fixture)
        #expect(onSQLite.stored == 14 && onSQLite.rejected == 4, "\(onSQLite)")
        var (a, b) = (onSQLite, onPostgres)
        (a.seconds, b.seconds) = (0, 0)
        #expect(try ViewJSON.encode(a) == ViewJSON.encode(b), "the same ingest summary")
        let alerts = try TerritoryViews(store: postgres, now: fixture.now, language: .fr).alerts(withinDays: 30, filter: ViewFilter())
        #expect(alerts.failures.isEmpty, "\(alerts.failures)")
        let expected = try Self.views(sqlite, now: fixture.now)
        let actual = try Self.views(postgres, now: fixture.now)
        #expect(expected.map(\.0) == actual.map(\.0))
        for ((name, a), (_, b)) in zip(expected, actual) {
            #expect(a == b, "\(name) differs between SQLite and PostgreSQL")
            if a != b {
                let left = a.split(separator: "\n", omittingEmptySubsequences: false)
                let right = b.split(separator: "\n", omittingEmptySubsequences: false)
                if let line = zip(left, right).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
                    Issue.record("\(name) line \(line.offset + 1): SQLite \(line.element.0) ≠ PostgreSQL \(line.element.1)")
                } else {
                    Issue.record("\(name): \(left.count) lines on SQLite, \(right.count) on PostgreSQL")
                }
            }
        }
        // The scenario does hold what it is meant to compare.
        let status = try TerritoryViews(store: sqlite, now: fixture.now, language: .fr).status()
        #expect(status.entities.count == 4)
        let tied = [Self.sirenC, Self.sirenD].compactMap { siren in status.entities.first { $0.siren == siren }?.score }
        // Their scores and levels tie (their caps name their own hosts).
        #expect(tied.count == 2 && tied[0].score == tied[1].score && tied[0].level == tied[1].level, "two entities tie")
    }
}

