import Foundation
import Model
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

    /// Waits for `condition`, looking every 100 ms, for at most `seconds` (a safety net: the event waited for comes
    /// within about a second when things work).
    static func eventually(_ seconds: Double = 60, _ condition: () throws -> Bool) rethrows -> Bool {
        let deadline = Date().addingTimeInterval(seconds)
        while Date() < deadline {
            if try condition() { return true }
            usleep(100_000)
        }
        return try condition()
    }

    /// How many times `text` occurs in the collector's log.
    static func count(_ text: String, in collector: CollectorProcess) -> Int {
        collector.log.components(separatedBy: text).count - 1
    }

    @Test("Revoked while no agent uploads nor asks anything: the trust watch reloads the CRL and withdraws by itself; a CRL that does not load keeps the previous trust, revocations included")
    func withdrawnWithoutAnyRequest() throws {
        let fixture = try CollectorFixture()
        let stolen = try fixture.agent(siren: CollectorFixture.sirenA, host: "srv-mairie")
        let other = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-b")
        let collector = try fixture.startCollector(db: true)
        #expect(try fixture.push(try fixture.signedReport(stolen), as: stolen, port: collector.port).status == 201)
        #expect(try fixture.push(try fixture.signedReport(other), as: other, port: collector.port).status == 201)

        // The CRL state recorded at start (for `territory alerts`): the fixture's first CRL, 10 days past its nextUpdate.
        let atStart = try TerritoryStore(location: fixture.databasePath).crlStates()
        #expect(atStart.map(\.path) == [fixture.crlPath] && atStart.first?.source == "collect", "\(atStart)")
        #expect(atStart.first?.isStale(at: Date()) == true, "\(atStart)")

        // No request from here on: the revocation must take effect by itself.
        try fixture.authority.revoke(serial: stolen.serial, reason: .keyCompromise)
        let withdrawn = try Self.eventually { try Self.reports(fixture, siren: CollectorFixture.sirenA) == 0 }
        // The revocation's CRL (fresh) recorded by the reload, before the withdrawal.
        #expect(try TerritoryStore(location: fixture.databasePath).crlStates().first?.isStale(at: Date()) == false)
        #expect(withdrawn, "\(collector.log)")
        #expect(Self.count("trust reloaded", in: collector) == 1, "\(collector.log)")
        #expect(collector.log.contains("report withdrawn from the store"), "\(collector.log)")
        #expect(try Self.reports(fixture, siren: CollectorFixture.sirenB) == 1, "the other agent's report stays")

        // A CRL replaced by something that does not load: said once, and the trust in force stays, its revocation
        // included (the revoked agent is still refused, the others still accepted).
        try AtomicFile.write(Array("-----BEGIN X509 CRL-----\nnot a CRL\n-----END X509 CRL-----\n".utf8), to: fixture.crlPath, mode: 0o644)
        #expect(Self.eventually { collector.log.contains("does not load") }, "\(collector.log)")
        let refused = try fixture.push(try fixture.signedReport(stolen), as: stolen, port: collector.port)
        #expect(refused.status == 403 && refused.json["code"] == "certificate-revoked", "\(refused.json)")
        #expect(try fixture.push(try fixture.signedReport(other), as: other, port: collector.port).status == 201)
        #expect(Self.count("does not load", in: collector) == 1, "a broken file is reported once, not every second: \(collector.log)")

        // A good CRL again: loaded again by itself.
        try fixture.authority.refreshCRL()
        #expect(Self.eventually { Self.count("trust reloaded", in: collector) == 2 }, "\(collector.log)")
        #expect(try fixture.push(try fixture.signedReport(stolen), as: stolen, port: collector.port).status == 403)
        // The watch stops with the collector: SIGTERM ends it at once, exit 0.
        #expect(collector.stop() == 0, "\(collector.log)")
    }

    @Test("An older CRL copied back over the one in force is not taken: the agent it does not list, revoked since, stays refused and withdrawn")
    func olderCRLNotTakenBack() throws {
        let fixture = try CollectorFixture()
        let stolen = try fixture.agent(siren: CollectorFixture.sirenA, host: "srv-mairie")
        let older = try Data(contentsOf: URL(fileURLWithPath: fixture.crlPath))
        let collector = try fixture.startCollector(db: true)
        #expect(try fixture.push(try fixture.signedReport(stolen), as: stolen, port: collector.port).status == 201)
        try fixture.authority.revoke(serial: stolen.serial, reason: .keyCompromise)
        #expect(try Self.eventually { try Self.reports(fixture, siren: CollectorFixture.sirenA) == 0 }, "\(collector.log)")

        // The CRL of before the revocation, copied back (a backup restored, or replayed: it is genuinely signed).
        try AtomicFile.write(Array(older), to: fixture.crlPath, mode: 0o644)
        #expect(Self.eventually { collector.log.contains("an older CRL is not taken back") }, "\(collector.log)")
        let refused = try fixture.push(try fixture.signedReport(stolen), as: stolen, port: collector.port)
        #expect(refused.status == 403 && refused.json["code"] == "certificate-revoked", "\(refused.json)")
        #expect(try Self.reports(fixture, siren: CollectorFixture.sirenA) == 0)
        #expect(Self.count("trust reloaded", in: collector) == 1, "\(collector.log)")
        #expect(collector.stop() == 0)
    }

    /// Lets one held verification job go (`CYBERCTL_COLLECT_TEST_HOLD`): opens the FIFO for writing once the job has
    /// opened it for reading (ENXIO until then). The descriptor to close to let it go, or -1 after 60 s.
    static func holdOpen(_ fifo: String) -> Int32 {
        var writer: Int32 = -1
        let deadline = Date().addingTimeInterval(60)
        while writer < 0 && Date() < deadline {
            writer = open(fifo, O_WRONLY | O_NONBLOCK | O_CLOEXEC)
            if writer < 0 { usleep(20_000) }
        }
        return writer
    }

    @Test("An upload verified before a reload and stored after the reload's withdrawal is withdrawn too")
    func uploadStoredAfterTheReloadIsWithdrawn() throws {
        let fixture = try CollectorFixture()
        let stolen = try fixture.agent(siren: CollectorFixture.sirenA, host: "srv-mairie")
        let fifo = fixture.folder.url("hold.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let collector = try fixture.startCollector(db: true, extra: ["--workers", "1"], environment: ["CYBERCTL_COLLECT_TEST_HOLD": fifo])
        // A first report, let through at once.
        let first = Background { try fixture.push(try fixture.signedReport(stolen, name: "first.json"), as: stolen, port: collector.port) }
        let gate = Self.holdOpen(fifo)
        try #require(gate >= 0, "\(collector.log)")
        close(gate)
        #expect(first.wait(seconds: 60)?.status == 201, "\(collector.log)")

        // A second one, taken with the trust in force and held before its verification.
        let second = Background { try fixture.push(try fixture.signedReport(stolen, name: "second.json"), as: stolen, port: collector.port) }
        let held = Self.holdOpen(fifo)
        try #require(held >= 0, "\(collector.log)")
        // Revoked meanwhile: the reload's withdrawal takes the first report back …
        try fixture.authority.revoke(serial: stolen.serial, reason: .keyCompromise)
        #expect(try Self.eventually {
            try TerritoryStore(location: fixture.databasePath).withdrawals(since: .distantPast).count == 1
        }, "\(collector.log)")
        // … then the held one is verified with the trust it was taken with, and stored: it must go too.
        close(held)
        #expect(second.wait(seconds: 60)?.status == 201, "\(collector.log)")
        #expect(try Self.eventually { try Self.reports(fixture, siren: CollectorFixture.sirenA) == 0 }, "\(collector.log)")
        #expect(try TerritoryStore(location: fixture.databasePath).withdrawals(since: .distantPast).count == 2)
        #expect(collector.stop() == 0)
    }
}
