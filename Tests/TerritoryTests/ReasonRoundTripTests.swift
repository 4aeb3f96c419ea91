import Agent
import Checks
import Foundation
import GRDB
import Model
import TestSupport
import Testing
@testable import Territory
import Trust

/// A reason in both languages goes through the whole path (issue 18): the agent's report carries `reason` and
/// `reasonFr`, the signature verifies, the store keeps both, and the views show the reader's language; a report
/// written before `reasonFr` existed still verifies and shows its English reason in French too.
@Suite("reason round trip")
struct ReasonRoundTripTests {
    typealias F = TerritoryFixture

    static func unreadable(_ path: String) -> CheckResult {
        CheckResult(
            check: "cert.files", target: path, code: "cert.file", status: .error, severity: .medium, evidence: ["failure": "read"],
            references: ["NIS2-21.2.h"], reason: FileAccessError.permissionDenied(path).localizedText, durationMs: 2)
    }

    @Test("reasonFr is signed, verified, stored and shown in French; English with --lang en")
    func bilingual() throws {
        let fixture = try F()
        let path = try fixture.write("r.json", daysAgo: 1, results: [Self.unreadable("/etc/ssl/mairie.pem"), F.result("tls.hsts", .pass)])
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(text.contains(#""reason" : "/etc/ssl/mairie.pem: permission denied""#))
        #expect(text.contains(#""reasonFr" : "/etc/ssl/mairie.pem : permission refusée""#))
        // The schema accepts it, the signature covers it.
        _ = try fixture.verifier().verify(reportPath: path)
        #expect(try fixture.ingest().stored == 1)

        let stored = try #require(try fixture.store().read { db in try db.fetchRow(sql: "SELECT reason, reasonFr FROM result WHERE code = 'cert.file'") })
        #expect(stored["reason"] as String? == "/etc/ssl/mairie.pem: permission denied")
        #expect(stored["reasonFr"] as String? == "/etc/ssl/mairie.pem : permission refusée")

        let french = TerritoryViews(store: try fixture.store(), now: fixture.now, language: .fr)
        let english = TerritoryViews(store: try fixture.store(), now: fixture.now, language: .en)
        let frenchResult = try #require(try french.host("srv-mairie").first?.results.first { $0.code == "cert.file" })
        let englishResult = try #require(try english.host("srv-mairie").first?.results.first { $0.code == "cert.file" })
        #expect(frenchResult.reason == "/etc/ssl/mairie.pem : permission refusée")
        #expect(englishResult.reason == "/etc/ssl/mairie.pem: permission denied")
        #expect(try french.certificates(expiringWithinDays: 30).unverified.first?.reason == "/etc/ssl/mairie.pem : permission refusée")
        #expect(try english.certificates(expiringWithinDays: 30).unverified.first?.reason == "/etc/ssl/mairie.pem: permission denied")
    }

    @Test("a report without reasonFr (an older agent) verifies and shows its English reason in French")
    func olderReport() throws {
        let fixture = try F()
        var result = Self.unreadable("/etc/ssl/ancien.pem")
        result.reasonFr = nil
        let path = try fixture.write("old.json", daysAgo: 1, results: [result])
        #expect(try !String(contentsOfFile: path, encoding: .utf8).contains("reasonFr"))
        #expect(try fixture.ingest().stored == 1)
        let french = TerritoryViews(store: try fixture.store(), now: fixture.now, language: .fr)
        let shown = try #require(try french.host("srv-mairie").first?.results.first { $0.code == "cert.file" })
        #expect(shown.reason == "/etc/ssl/ancien.pem: permission denied")
    }

    @Test("a report decoded from JSON keeps both reasons")
    func decoding() throws {
        let result = Self.unreadable("/etc/ssl/x.pem")
        let decoded = try JSONDecoder().decode(CheckResult.self, from: JSONEncoder().encode(result))
        #expect(decoded == result)
        #expect(decoded.reason(in: .fr) == "/etc/ssl/x.pem : permission refusée")
        #expect(decoded.reason(in: .en) == "/etc/ssl/x.pem: permission denied")
    }
}
