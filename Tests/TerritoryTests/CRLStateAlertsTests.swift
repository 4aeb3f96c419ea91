import Foundation
import Model
import OpenSSLKit
import TestSupport
import Testing
@testable import Territory
import Trust

/// The revocation state kept in the store (`CRLState`, `crl_state`, migration `v14-crl-state`) and what `territory
/// alerts` makes of it: `crl-stale` when the CRL the last consolidation trusted is past its nextUpdate, `crl-missing`
/// when reports were consolidated with no CRL. The built binary, on the store under test (SQLite, or PostgreSQL with
/// `CYBERCTL_TEST_STORE=postgresql`).
@Suite("territory alerts: stale or missing CRL")
struct CRLStateAlertsTests {
    typealias F = TerritoryFixture

    static func consolidate(_ fixture: F, ca: String? = nil, crl: [String]? = nil) throws -> Command.Output {
        var arguments = ["consolidate", fixture.inbox, "--db", fixture.storeLocation, "--ca", ca ?? fixture.authority.certificatePath]
        for file in crl ?? [fixture.authority.crlPath] { arguments += ["--crl", file] }
        return try BuiltBinary.run(arguments)
    }

    /// `territory alerts` at `now`, decoded, with the command's output.
    static func alerts(_ fixture: F, now: Date, _ extra: [String] = []) throws -> (view: AlertsView, output: Command.Output) {
        let output = try BuiltBinary.run(
            ["territory", "alerts", "--db", fixture.storeLocation, "--format", "json", "--now", ISO8601.string(from: now)] + extra)
        return (try JSONDecoder().decode(AlertsView.self, from: Data(output.stdout.utf8)), output)
    }

    static func of(_ kind: AlertsView.Kind, _ view: AlertsView) -> [AlertsView.Alert] { view.alerts.filter { $0.kind == kind } }

    @Test("consolidate records the CRL it trusts; past its nextUpdate, territory alerts says crl-stale (French, English with --lang en) until a newer CRL is consolidated")
    func staleCRL() throws {
        let fixture = try F()
        try fixture.write("a.json", daysAgo: 1, results: [F.result("tls.hsts", .pass, .medium)])
        // The fixture's CA and its first CRL were made 40 days ago: valid 30 days, the CRL is 10 days past its nextUpdate.
        let crl = try TrustFiles.readCRL(fixture.authority.crlPath)
        let nextUpdate = try #require(crl.nextUpdate)
        #expect(nextUpdate == fixture.now.addingTimeInterval(-10 * 86_400))

        // No state recorded yet: nothing said (a store from before v14-crl-state is not accused).
        _ = try fixture.store()
        #expect(Self.of(.crlStale, try Self.alerts(fixture, now: fixture.now).view).isEmpty)
        #expect(try Self.consolidate(fixture).exitCode == 0)
        let states = try fixture.store().crlStates()
        #expect(states.count == 1, "\(states)")
        #expect(states.first?.path == fixture.authority.crlPath && states.first?.source == "consolidate")
        #expect(states.first?.nextUpdate == ISO8601.string(from: nextUpdate) && states.first?.issuer.contains("RSSI de test") == true)
        #expect(states.first?.thisUpdate == crl.thisUpdate.map { ISO8601.string(from: $0) })

        let (view, output) = try Self.alerts(fixture, now: fixture.now, ["--lang", "en"])
        #expect(output.exitCode == 1, "\(output.stderr)")
        #expect(view.errors.isEmpty, "\(view.errors)")
        let stale = Self.of(.crlStale, view)
        #expect(stale.map(\.subject) == [fixture.authority.crlPath], "\(view.alerts)")
        #expect(stale.first?.siren == nil && stale.first?.entity == nil)
        #expect(stale.first?.date == ISO8601.string(from: nextUpdate) && stale.first?.days == -10)
        #expect(stale.first?.detail.contains("revocations issued since may be missing") == true, "\(stale)")
        #expect(stale.first?.detail.contains("cyberctl pki crl") == true)
        #expect(view.counts["crl-stale"] == 1 && view.counts["crl-missing"] == 0)
        let french = try BuiltBinary.run(["territory", "alerts", "--db", fixture.storeLocation, "--now", ISO8601.string(from: fixture.now)])
        #expect(french.stdout.contains("CRL périmée") && french.stdout.contains("les révocations prononcées depuis peuvent y manquer"), "\(french.stdout)")
        let english = try BuiltBinary.run(["territory", "alerts", "--db", fixture.storeLocation, "--lang", "en", "--now", ISO8601.string(from: fixture.now)])
        #expect(english.stdout.contains("CRL out of date"), "\(english.stdout)")
        let csv = try BuiltBinary.run(["territory", "alerts", "--db", fixture.storeLocation, "--format", "csv", "--now", ISO8601.string(from: fixture.now)])
        #expect(csv.stdout.contains(",crl-stale,"), "\(csv.stdout)")

        // A fresh CRL: the store says what the last consolidation saw, so the alert stays until the next one …
        try fixture.authority.refreshCRL(now: fixture.now)
        #expect(Self.of(.crlStale, try Self.alerts(fixture, now: fixture.now).view).count == 1)
        // … which takes it back; 31 days on, the fresh one is stale in turn.
        #expect(try Self.consolidate(fixture).exitCode == 0)
        #expect(Self.of(.crlStale, try Self.alerts(fixture, now: fixture.now).view).isEmpty)
        let later = Self.of(.crlStale, try Self.alerts(fixture, now: fixture.now.addingTimeInterval(31 * 86_400)).view)
        #expect(later.map(\.days) == [-1], "\(later)")
    }

    @Test("Reports consolidated with no CRL: crl-missing (an empty store: nothing); a CRL given again takes it back")
    func missingCRL() throws {
        let fixture = try F()
        // The CA alone in a folder: no crl.pem beside it, no --crl.
        let lonely = try fixture.folder.write("lonely/ca.pem", try Data(contentsOf: URL(fileURLWithPath: fixture.authority.certificatePath)))
        try FileManager.default.createDirectory(atPath: fixture.inbox, withIntermediateDirectories: true)
        #expect(try Self.consolidate(fixture, ca: lonely, crl: []).exitCode == 0)
        #expect(try fixture.store().crlStates().map(\.hasCRL) == [false])
        #expect(Self.of(.crlMissing, try Self.alerts(fixture, now: fixture.now).view).isEmpty, "no report: nothing went unchecked")

        try fixture.write("a.json", daysAgo: 1, results: [F.result("tls.hsts", .pass, .medium)])
        #expect(try Self.consolidate(fixture, ca: lonely, crl: []).exitCode == 0)
        let (view, output) = try Self.alerts(fixture, now: fixture.now)
        #expect(output.exitCode == 1)
        let missing = Self.of(.crlMissing, view)
        #expect(missing.count == 1 && missing.first?.subject.contains("RSSI de test") == true, "\(view.alerts)")
        #expect(missing.first?.siren == nil && missing.first?.date == nil)
        #expect(missing.first?.detail.contains("la révocation des agents n'est pas vérifiée") == true, "\(missing)")
        let english = try Self.alerts(fixture, now: fixture.now, ["--lang", "en"]).view
        #expect(Self.of(.crlMissing, english).first?.detail.contains("revocation is not checked") == true)
        let table = try BuiltBinary.run(["territory", "alerts", "--db", fixture.storeLocation, "--now", ISO8601.string(from: fixture.now)])
        #expect(table.stdout.contains("Aucune CRL"), "\(table.stdout)")

        // A fresh CRL given again.
        try fixture.authority.refreshCRL(now: fixture.now)
        #expect(try Self.consolidate(fixture).exitCode == 0)
        let after = try Self.alerts(fixture, now: fixture.now).view
        #expect(Self.of(.crlMissing, after).isEmpty && Self.of(.crlStale, after).isEmpty, "\(after.alerts)")
    }

    @Test("The state is replaced whole, one row per CRL then per CA without one; crl_state unreadable: the part is named, exit not 0")
    func stateRows() throws {
        let fixture = try F()
        let other = try CertificateAuthority.initialize(directory: fixture.folder.url("pki-2"), name: "Autre autorité", now: fixture.now)
        let both = try TrustAnchors(certificateAuthorities: [
            try TrustFiles.readCertificates(fixture.authority.certificatePath, what: LocalizedText(fr: "AC", en: "CA"))[0],
            try TrustFiles.readCertificates(other.certificatePath, what: LocalizedText(fr: "AC", en: "CA"))[0],
        ], revocationLists: [try TrustFiles.readCRL(other.crlPath)])
        let store = try fixture.store()
        try store.recordCRLState(both, paths: [other.crlPath], source: "collect", now: fixture.now)
        let rows = try store.crlStates()
        #expect(rows.map(\.path) == [other.crlPath, nil], "\(rows)")
        #expect(rows.map { $0.issuer.contains("Autre autorité") } == [true, false])
        #expect(rows.allSatisfy { $0.source == "collect" && $0.recordedAt == ISO8601.string(from: fixture.now) })
        #expect(rows.first?.isStale(at: fixture.now) == false && rows.first?.isStale(at: fixture.now.addingTimeInterval(31 * 86_400)) == true)
        try store.recordCRLState(try fixture.verifier().trust, paths: [fixture.authority.crlPath], source: "consolidate", now: fixture.now)
        #expect(try store.crlStates().map(\.path) == [fixture.authority.crlPath])

        try store.write { try $0.execute(sql: "DROP TABLE crl_state") }
        let (view, output) = try Self.alerts(fixture, now: fixture.now)
        #expect(view.errors.map(\.part) == [.revocation], "\(view.errors)")
        #expect(output.exitCode != 0 && output.exitCode != 1, "\(output.exitCode)")
    }
}
