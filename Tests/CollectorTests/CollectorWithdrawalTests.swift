import Foundation
import Territory
import TestSupport
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `cyberctl collect --db`: the reports it stored are withdrawn when their signer's certificate is revoked, at start and
/// when the CRL file changes while it runs (`TerritoryStore.withdrawRevokedReports`, as at every `consolidate`).
@Suite("collect: stored reports of revoked agents withdrawn")
struct CollectorWithdrawalTests {
    /// The reports stored for `siren`.
    static func reports(_ fixture: CollectorFixture, siren: String) throws -> Int {
        try TerritoryStore(location: fixture.databasePath).read { db in
            try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report WHERE siren = ?", arguments: [siren]) ?? -1
        }
    }

    @Test("Revoked while the collector runs: withdrawn once the CRL is reloaded; revoked while it is stopped: withdrawn at start")
    func withdrawnOnReloadAndAtStart() throws {
        let fixture = try CollectorFixture()
        let stolen = try fixture.agent(siren: CollectorFixture.sirenA, host: "srv-mairie")
        let other = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-b")
        var collector = try fixture.startCollector(db: true)
        #expect(try fixture.push(try fixture.signedReport(stolen), as: stolen, port: collector.port).status == 201)
        #expect(try fixture.push(try fixture.signedReport(other), as: other, port: collector.port).status == 201)
        #expect(try Self.reports(fixture, siren: CollectorFixture.sirenA) == 1)

        try fixture.authority.revoke(serial: stolen.serial, reason: .keyCompromise)
        // The CRL file is looked at on a request, at most once a second; the withdrawal then runs beside the requests:
        // ask until the log says the trust was reloaded, then until the report is gone (a bounded wait for an event).
        var withdrawn = false
        for _ in 0..<300 {
            if !collector.log.contains("trust reloaded") {
                #expect(try fixture.push(try fixture.signedReport(other), as: other, port: collector.port).status == 201)
            } else if try Self.reports(fixture, siren: CollectorFixture.sirenA) == 0 {
                withdrawn = true
                break
            }
            usleep(200_000)
        }
        #expect(withdrawn, "\(collector.log)")
        #expect(collector.log.contains("report withdrawn from the store"), "\(collector.log)")
        #expect(try Self.reports(fixture, siren: CollectorFixture.sirenB) >= 2, "the other agent's reports stay")
        let records = try TerritoryStore(location: fixture.databasePath).withdrawals(since: .distantPast)
        #expect(records.map(\.serial) == [stolen.serial] && records.first?.reason == "keyCompromise")
        #expect(records.first?.wasLatest == true && records.first?.hostLatestAfter == nil)
        #expect(collector.stop() == 0)

        // The other agent's key compromised while the collector is stopped: its reports are withdrawn before the
        // restarted collector listens.
        let otherReports = try Self.reports(fixture, siren: CollectorFixture.sirenB)
        try fixture.authority.revoke(serial: other.serial, reason: .keyCompromise)
        collector = try fixture.startCollector(db: true)
        #expect(try Self.reports(fixture, siren: CollectorFixture.sirenB) == 0, "\(collector.log)")
        let all = try TerritoryStore(location: fixture.databasePath).withdrawals(since: .distantPast)
        #expect(all.filter { $0.serial == other.serial }.count == otherReports && all.count == 1 + otherReports)
        #expect(collector.log.contains("report withdrawn from the store"), "\(collector.log)")
        #expect(collector.stop() == 0)
    }
}
