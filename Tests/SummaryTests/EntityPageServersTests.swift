import Foundation
import Model
import NIS2
import Summary
import Territory
import TestSupport
import Testing
import Trust

/// The élus page of one entity (`summary --entity`), its detail (`territory entity`) and its monthly digest
/// (`territory digest --entity`) judge it as its `territory status` row does (one rule: `TerritoryViews.statusRow`),
/// and name its servers whose state is not known, per server: one fresh server must not hide a silent one, nor one
/// whose every report was withdrawn after its signer's revocation. Real CA, signed reports, CRL and store, on either
/// backend (`CYBERCTL_TEST_STORE`).
@Suite("Entity page and digest: silent and withdrawn servers", .serialized)
struct EntityPageServersTests {
    typealias F = SummaryFixture

    /// The status row and the detail of Plouzané agree: score, level, caps, hosts.
    static func expectSameJudgement(_ fixture: F) throws -> (row: StatusView.EntityRow, detail: DetailView) {
        let views = TerritoryViews(store: try fixture.store(), now: fixture.now)
        let row = try #require(try views.status().entities.first { $0.siren == F.plouzane.siren })
        let detail = try views.entity(F.plouzane.siren!)
        #expect(detail.score == row.score, "detail \(detail.score) vs status \(row.score)")
        #expect(detail.hosts == row.hosts, "\(detail.hosts) hosts in the detail, \(row.hosts) in the status")
        #expect(detail.stale == row.stale)
        return (row, detail)
    }

    static func digest(_ fixture: F) throws -> CommuneDigest {
        try CommuneDigestBuilder(views: TerritoryViews(store: try fixture.store(), now: fixture.now), scopeRules: try ScopeRules.shipped())
            .digest(siren: F.plouzane.siren!)
    }

    @Test("A server whose every report was withdrawn: the entity page, detail and digest say the status's capped level and name the server")
    func withdrawnServer() throws {
        let fixture = try F()
        try fixture.write(F.plouzane, host: "srv-mairie", daysAgo: 1, results: F.good)
        try fixture.write(F.plouzane, host: "srv-ecole", daysAgo: 1, results: F.good.filter { !$0.code.hasPrefix("backup.") } + [
            F.result("backup.present", .fail, .critical, target: "/srv/backup"),
        ])
        try fixture.ingest()
        let serial = try fixture.signer(F.plouzane, host: "srv-ecole").certificate.serialNumberHex
        try fixture.authority.revoke(serial: serial, reason: .keyCompromise, now: fixture.now)
        // Consolidated again with the new CRL: srv-ecole's report is withdrawn (and its file refused).
        let verifier = ReportVerifier(trust: try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: [fixture.authority.crlPath]))
        let run = try Ingest(store: try fixture.store(), verifier: verifier).run(try Inbox.discover([fixture.inbox]))
        #expect(run.withdrawn.count == 1, "\(run.withdrawn)")
        let (row, detail) = try Self.expectSameJudgement(fixture)
        #expect(row.hosts == 2 && detail.reports.map(\.host) == ["srv-mairie"])
        #expect(detail.silentHosts.map(\.host) == ["srv-ecole"] && detail.silentHosts.allSatisfy { $0.withdrawn && $0.lastReport == nil }, "\(detail.silentHosts)")
        #expect(row.score.level != "A" && row.score.caps.contains { $0.state == CapState.unverified.rawValue && $0.hosts == ["srv-ecole"] }, "\(row.score)")

        let page = try fixture.builder().entity(F.plouzane.siren!)
        #expect(page.level == row.score.level && page.score == row.score.score)
        #expect(page.silence.contains { $0.contains("srv-ecole") && $0.contains("retirés") }, "\(page.silence)")
        #expect(page.noPriorities != "Aucun point à corriger n'a été relevé par les derniers contrôles.", "\(page.noPriorities)")
        #expect(!page.meaning.hasPrefix("Très bon"), "\(page.meaning)")

        let digest = try Self.digest(fixture)
        #expect(digest.state.hasPrefix("Niveau \(row.score.level ?? "?")"), "\(digest.state)")
        #expect(digest.silentHosts.count == 1 && digest.silentHosts[0].hasPrefix("srv-ecole"), "\(digest.silentHosts)")

        // The commands, as the RSSI runs them: the same level and the server named.
        let siren = F.plouzane.siren!, db = fixture.storeLocation
        let printed = try BuiltBinary.run(["summary", "--entity", siren, "--db", db, "--format", "markdown"])
        #expect(printed.exitCode == 0, "\(printed.stderr)")
        #expect(printed.stdout.contains("## Niveau \(row.score.level ?? "?")") && printed.stdout.contains("srv-ecole"), "\(printed.stdout)")
        #expect(!printed.stdout.contains("Aucun point à corriger n'a été relevé par les derniers contrôles."), "\(printed.stdout)")
        let mail = try BuiltBinary.run(["territory", "digest", "--entity", siren, "--db", db])
        #expect(mail.exitCode == 0, "\(mail.stderr)")
        #expect(mail.stdout.contains("Niveau \(row.score.level ?? "?")") && !mail.stdout.contains("Niveau A") && mail.stdout.contains("srv-ecole"), "\(mail.stdout)")
        let detailed = try BuiltBinary.run(["territory", "entity", siren, "--db", db])
        #expect(detailed.exitCode == 0 && detailed.stdout.contains("srv-ecole"), "\(detailed.stdout) \(detailed.stderr)")
    }

    @Test("One fresh server does not hide a silent one: the entity page names it and does not say there is nothing to fix")
    func silentServer() throws {
        let fixture = try F()
        try fixture.write(F.plouzane, host: "srv-mairie", daysAgo: 1, results: F.good)
        try fixture.write(F.plouzane, host: "srv-ancien", daysAgo: 30, results: F.good)
        try fixture.ingest()
        let (row, detail) = try Self.expectSameJudgement(fixture)
        #expect(!row.stale && row.staleHosts == 1)
        #expect(detail.silentHosts.map(\.host) == ["srv-ancien"] && detail.silentHosts[0].withdrawn == false && detail.silentHosts[0].ageDays == 30,
                "\(detail.silentHosts)")

        let page = try fixture.builder().entity(F.plouzane.siren!)
        #expect(page.level == row.score.level)
        #expect(page.silence.contains { $0.contains("srv-ancien") && $0.contains("1 serveur") }, "\(page.silence)")
        #expect(page.noPriorities != "Aucun point à corriger n'a été relevé par les derniers contrôles.", "\(page.noPriorities)")
        // The territory page names it too (its member is not wholly silent).
        let territory = try fixture.builder().territory()
        #expect(territory.silence.contains { $0.contains("srv-ancien") }, "\(territory.silence)")

        let digest = try Self.digest(fixture)
        #expect(digest.silentHosts.count == 1 && digest.silentHosts[0].hasPrefix("srv-ancien"), "\(digest.silentHosts)")

        let printed = try BuiltBinary.run(["summary", "--entity", F.plouzane.siren!, "--db", fixture.storeLocation, "--format", "markdown"])
        #expect(printed.exitCode == 0 && printed.stdout.contains("1 serveur n'a pas envoyé de contrôle depuis plus de") && printed.stdout.contains("srv-ancien"),
                "\(printed.stdout) \(printed.stderr)")
    }
}
