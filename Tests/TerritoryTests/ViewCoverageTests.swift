import Checks
import Foundation
import Model
@testable import Rendering
import TestSupport
import Testing
@testable import Territory

/// An empty findings or certificates list over members the store could not see (never reported, silent, nothing
/// verified, checks in error) is "nothing seen", never "nothing wrong": the views count those members and every
/// rendering says so before the list.
@Suite("Territory: what a findings or certificates list could not see")
struct ViewCoverageTests {
    typealias F = TerritoryFixture

    /// A (Plouzané) reported yesterday, every check passing but its off-site backup, which erred; B (Lanvéoc) last
    /// reported 20 days ago (silent: 7 days and a day of grace); C never reported.
    static func partial() throws -> F {
        let fixture = try F()
        try fixture.write("a.json", daysAgo: 1, results: [
            F.result("tls.hsts", .pass, .medium, target: "www:443"),
            F.result("cert.expiry", .pass, .high, target: "/etc/ssl/a.pem", evidence: ["notAfter": .string("2030-01-01T00:00:00Z")]),
            F.result("backup.offsite", .error, .high, target: "/srv/backup"),
        ])
        try fixture.write("b.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 20, results: [F.result("tls.hsts", .pass, .medium)])
        _ = try fixture.ingest()
        try fixture.store().importRoster(try Roster.parse(AlertsTests.roster, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "00")
        return fixture
    }

    @Test("No failure anywhere, but one member never reported, one is silent and one has a check in error: the lists say so")
    func partialView() throws {
        let fixture = try Self.partial()
        let views = try fixture.views()
        let findings = try views.findings()
        #expect(findings.findings.isEmpty)
        #expect(findings.coverage == ViewCoverage(members: 3, reporting: 2, neverReported: 1, silent: 1, notEvaluated: 0, withErrors: 1))
        #expect(!findings.coverage.complete)
        for language in [Language.fr, .en] {
            let tables = ViewTables.coverage(findings.coverage, language)
            #expect(tables.count == 1)
            let caveat = try #require(tables.first?.title)
            #expect(caveat.contains(language == .fr ? "Vue partielle" : "Partial view"), "\(caveat)")
            #expect(caveat.contains(language == .fr ? "1 membre(s) sur 3 sans aucun rapport" : "1 of 3 member(s) never reported"), "\(caveat)")
            #expect(tables.first?.rows == [["3", "2", "1", "1", "0", "1", "0"]])
            let csv = ExportTables.findings(findings, language).csv(.rfc4180)
            #expect(csv.contains(language == .fr ? "Vue partielle" : "Partial view"), "the CSV keeps the caveat: \(csv)")
        }
        #expect(try ViewJSON.encode(findings).contains("\"neverReported\" : 1"))

        // Certificates count errors of their own domains only: the off-site backup's error is not theirs.
        let certificates = try views.certificates(expiringWithinDays: 60)
        #expect(certificates.certificates.isEmpty)
        #expect(certificates.coverage == ViewCoverage(members: 3, reporting: 2, neverReported: 1, silent: 1, notEvaluated: 0, withErrors: 0))
        #expect(ViewTables.coverage(certificates.coverage, .fr).first?.title?.contains("Vue partielle") == true)

        // Narrowed to the silent member: one member, silent; to the one who never reported: nothing seen at all.
        let b = try views.findings(filter: ViewFilter(entities: [F.sirenB]))
        #expect(b.coverage == ViewCoverage(members: 1, reporting: 1, neverReported: 0, silent: 1, notEvaluated: 0, withErrors: 0))
        let c = try views.findings(filter: ViewFilter(entities: [AlertsTests.sirenC]))
        #expect(c.coverage == ViewCoverage(members: 1, reporting: 0, neverReported: 1, silent: 0, notEvaluated: 0, withErrors: 0))
        #expect(ViewTables.coverageLine(c.coverage, .fr)?.contains("Vue partielle : le membre n'a aucun rapport.") == true)
        // The domain filter counts the errors of its domain only.
        #expect(try views.findings(filter: ViewFilter(domain: .tls)).coverage.withErrors == 0)
        #expect(try views.findings(filter: ViewFilter(domain: .backups)).coverage.withErrors == 1)
        // B's report has no backup check at all: a backups list says nothing of it.
        #expect(try views.findings(filter: ViewFilter(domain: .backups)).coverage.notChecked == 1)
        #expect(try views.findings(filter: ViewFilter(domain: .tls)).coverage.notChecked == 0)
    }

    @Test("A member whose reports hold no certificate or TLS check: the certificates list is partial, not 'nothing expiring'")
    func domainNotChecked() throws {
        let fixture = try F()
        try fixture.write("a.json", daysAgo: 1, results: [
            F.result("cert.expiry", .pass, .high, target: "/etc/ssl/a.pem", evidence: ["notAfter": .string("2030-01-01T00:00:00Z")]),
            F.result("backup.present", .pass, .high, target: "/srv/backup"),
        ])
        // B: backups and patches verified, no certificate result at all (a profile without them); its second server is
        // seen by TLS, which must not hide the first.
        try fixture.write("b.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 1, results: [
            F.result("backup.present", .pass, .high, target: "/srv/backup"),
            F.result("patch.security-updates", .pass, .high, target: "debian 12"),
            F.result("cert.discovery", .skip, .info, target: "cert.files"),
        ])
        try fixture.write("b2.json", siren: F.sirenB, host: "srv-web", daysAgo: 1, results: [F.result("tls.hsts", .pass, .medium, target: "www:443")])
        _ = try fixture.ingest()
        let views = try fixture.views()
        let certificates = try views.certificates(expiringWithinDays: 60)
        #expect(certificates.certificates.isEmpty)
        #expect(certificates.coverage == ViewCoverage(members: 2, reporting: 2, neverReported: 0, silent: 0, notEvaluated: 0, withErrors: 0, notChecked: 1))
        #expect(!certificates.coverage.complete)
        let caveat = try #require(ViewTables.coverageLine(certificates.coverage, .fr))
        #expect(caveat.contains("Vue partielle : 1 avec un serveur dont le dernier rapport n'a aucun contrôle de ce domaine"), "\(caveat)")
        #expect(ViewTables.coverageLine(certificates.coverage, .en)?.contains("1 with a server whose latest report has no check of this domain") == true)
        #expect(ExportTables.certificates(certificates, .fr).note?.contains("aucun contrôle de ce domaine") == true)
        #expect(try ViewJSON.encode(certificates).contains("\"notChecked\" : 1"))
        // Files only (domain certificates): srv-web's TLS does not count; served only (tls): srv-lanveoc has none either.
        #expect(try views.certificates(expiringWithinDays: 60, filter: ViewFilter(domain: .certificates)).coverage.notChecked == 1)
        #expect(try views.certificates(expiringWithinDays: 60, filter: ViewFilter(domain: .tls)).coverage.notChecked == 2)
        // A findings list without a domain has nothing to say of one; with one, the same count.
        #expect(try views.findings().coverage.notChecked == 0)
        #expect(try views.findings(filter: ViewFilter(domain: .certificates)).coverage.notChecked == 1)
        // Per server: B's web server has no backup check, which its other server's does not hide.
        #expect(try views.findings(filter: ViewFilter(domain: .backups)).coverage.notChecked == 1)
    }

    @Test("cyberctl territory findings and certificates print the caveat first, on a store whose members all went silent")
    func commandLine() throws {
        let folder = try TemporaryDirectory()
        // The fixture's reports are of early 2026: today every member is silent, one never reported.
        let path = try StoreFixtureTests.copy(folder)
        for view in [["findings"], ["certificates", "--expiring", "60"]] {
            let output = try BuiltBinary.run(["territory"] + view + ["--db", path])
            #expect(output.exitCode == 0, "\(view): \(output.stderr)")
            #expect(output.stdout.hasPrefix("⚠ Vue partielle : 1 membre(s) sur 4 sans aucun rapport ; 3 avec un serveur silencieux ou sans rapport de confiance"), "\(view): \(output.stdout.prefix(300))")
            let english = try BuiltBinary.run(["territory"] + view + ["--lang", "en", "--format", "markdown", "--db", path])
            #expect(english.stdout.contains("Partial view: 1 of 4 member(s) never reported; 3 with a server silent or without a trusted report"), "\(view): \(english.stdout.prefix(300))")
        }
    }

    @Test("A member whose every check erred is counted as verifying nothing")
    func nothingVerified() throws {
        let fixture = try F()
        try fixture.write("blind.json", daysAgo: 1, results: [
            F.result("patch.security-updates", .error, .high, target: "/var/lib/dpkg/status"),
            F.result("tls.hsts", .error, .medium, target: "www:443"),
        ])
        _ = try fixture.ingest()
        let coverage = try fixture.views().findings().coverage
        #expect(coverage == ViewCoverage(members: 1, reporting: 1, neverReported: 0, silent: 0, notEvaluated: 1, withErrors: 1))
        #expect(ViewTables.coverageLine(coverage, .fr)?.contains("1 dont les rapports n'ont rien pu vérifier") == true)
    }

    @Test("Every member seen and every check able to look: no caveat, the list alone")
    func completeView() throws {
        let fixture = try F()
        try fixture.write("a.json", daysAgo: 1, results: [F.result("tls.hsts", .warn, .medium, target: "www:443")])
        try fixture.write("b.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 2, results: [F.result("tls.hsts", .pass, .medium)])
        _ = try fixture.ingest()
        let findings = try fixture.views().findings()
        #expect(findings.coverage.complete && findings.coverage.members == 2)
        #expect(ViewTables.coverage(findings.coverage, .fr).isEmpty)
        #expect(ExportTables.findings(findings, .fr).note == nil)
    }
}
