import Checks
import Foundation
import Model
import TestSupport
import Testing
@testable import Territory

/// A finding is "resolved" (and its host listed in "Corrigé par") only when a later report verified its rule: a
/// partial scan that left the rule out, or a run where it erred or was skipped, fixes nothing.
@Suite("Territory: resolved means verified")
struct ResolvedVerifiedTests {
    typealias F = TerritoryFixture

    static let failing = [
        F.result("backup.present", .fail, .critical, target: "/srv/backup"),
        F.result("tls.hsts", .pass, .medium, target: "www:443"),
    ]

    /// The counts of `code` in the findings view: (resolved, hosts listed in `resolvedBy`).
    static func resolution(_ views: TerritoryViews, _ code: String) throws -> (resolved: Int, by: [String]) {
        let finding = try views.findings().findings.first { $0.code == code }
        return (finding?.resolved ?? 0, finding?.resolvedBy.map(\.host) ?? [])
    }

    @Test(arguments: [
        ("a partial scan without the rule", [F.result("tls.hsts", .warn, .medium, target: "www:443")]),
        ("the rule erred", [F.result("backup.present", .error, .critical, target: "/srv/backup"), F.result("tls.hsts", .warn, .medium, target: "www:443")]),
        ("the rule was skipped", [F.result("backup.present", .skip, .critical, target: "/srv/backup"), F.result("tls.hsts", .warn, .medium, target: "www:443")]),
    ])
    func notVerifiedIsNotResolved(_ name: String, _ next: [CheckResult]) throws {
        let fixture = try F()
        try fixture.write("1.json", daysAgo: 3, results: Self.failing)
        try fixture.write("2.json", daysAgo: 1, results: next)
        _ = try fixture.ingest()
        let views = try fixture.views()
        let seen = try Self.resolution(views, "backup.present")
        #expect(seen.resolved == 0 && seen.by.isEmpty, "\(name): \(seen)")
        try RuleTotalsTests.expectEqual(try fixture.store(), name)
    }

    @Test("A partial scan (scan --only) is refused as such: the host keeps its full report, nothing reads as fixed")
    func partialScanRefused() throws {
        let fixture = try F()
        try fixture.write("1.json", daysAgo: 3, results: Self.failing)
        _ = try fixture.ingest()
        let before = try fixture.views().status()
        try fixture.write("2.json", daysAgo: 1, results: [F.result("tls.hsts", .pass, .medium, target: "www:443")], only: ["tls"])
        let summary = try fixture.ingest()
        #expect(summary.stored == 0 && summary.rejected == 1, "\(summary)")
        let rejection = try #require(try fixture.views().rejected(includeResolved: true).rejections.first)
        #expect(rejection.code == RejectionCode.reportPartial)
        #expect(rejection.message.contains("partial report (scan --only tls)"), "\(rejection.message)")
        let after = try fixture.views().status()
        #expect(after.entities.map(\.score) == before.entities.map(\.score))
        #expect(try Self.resolution(try fixture.views(), "backup.present").resolved == 0)
    }

    @Test(arguments: [
        ("an endpoint no longer named, the rule passing on another endpoint named before",
         [F.result("tls.protocol", .fail, .high, target: "mairie.example.fr:443"), F.result("tls.protocol", .pass, .high, target: "127.0.0.1:8443")],
         [F.result("tls.protocol", .pass, .high, target: "127.0.0.1:8443")]),
        ("an endpoint no longer named, the rule passing on a new endpoint",
         [F.result("tls.protocol", .fail, .high, target: "mairie.example.fr:443")],
         [F.result("tls.protocol", .pass, .high, target: "127.0.0.1:8443")]),
        ("a file no longer named, the rule passing only on a file named before",
         [F.result("cert.expiry", .fail, .critical, target: "/etc/ssl/old.pem"), F.result("cert.expiry", .pass, .critical, target: "/etc/ssl/a.pem")],
         [F.result("cert.expiry", .pass, .critical, target: "/etc/ssl/a.pem")]),
        ("a file no longer named, the rule passing on a new file (a certificate replaced: the old one was not looked at)",
         [F.result("cert.expiry", .fail, .critical, target: "/etc/ssl/old.pem")],
         [F.result("cert.expiry", .pass, .critical, target: "/etc/ssl/new.pem")]),
        ("a backup folder no longer named, the rule passing on another folder",
         [F.result("backup.present", .fail, .critical, target: "/srv/backup")],
         [F.result("backup.present", .pass, .critical, target: "/srv/backup-new")]),
    ])
    func targetGoneIsNotResolved(_ name: String, _ before: [CheckResult], _ next: [CheckResult]) throws {
        let fixture = try F()
        // A finding kept in both, for the recomputation to compare something beside the resolved count.
        let kept = F.result("tls.hsts", .warn, .medium, target: "www:443")
        try fixture.write("1.json", daysAgo: 3, results: before + [kept])
        try fixture.write("2.json", daysAgo: 1, results: next + [kept])
        _ = try fixture.ingest()
        let seen = try Self.resolution(try fixture.views(), before[0].code)
        #expect(seen.resolved == 0, "\(name): \(seen)")
        try RuleTotalsTests.expectEqual(try fixture.store(), name)
    }

    @Test("A pass on the same target resolves; listed as fixed by that host")
    func verifiedIsResolved() throws {
        for next in [
            [F.result("backup.present", .pass, .critical, target: "/srv/backup")],
            [F.result("backup.present", .pass, .critical, target: "/srv/backup"), F.result("backup.present", .pass, .critical, target: "/srv/backup-new")],
        ] {
            let fixture = try F()
            try fixture.write("1.json", daysAgo: 3, results: Self.failing)
            try fixture.write("2.json", daysAgo: 1, results: next)
            _ = try fixture.ingest()
            let seen = try Self.resolution(try fixture.views(), "backup.present")
            #expect(seen.resolved == 1 && seen.by == ["srv-mairie"], "\(next[0].target): \(seen)")
        }
    }

    @Test("History: a partial scan after the failure, then nothing more: not fixed; a later pass: fixed by that report")
    func history() throws {
        let fixture = try F()
        try fixture.write("1.json", daysAgo: 5, results: Self.failing)
        try fixture.write("2.json", daysAgo: 3, results: [F.result("tls.hsts", .pass, .medium, target: "www:443")])
        try fixture.write("3.json", daysAgo: 2, results: [F.result("tls.hsts", .pass, .medium, target: "www:443")])
        _ = try fixture.ingest()
        #expect(try Self.resolution(try fixture.views(), "backup.present").by.isEmpty)
        // A pass after the partial scans: fixed by that report, not by the partial scan right after the failure.
        try fixture.write("4.json", daysAgo: 1, results: [F.result("backup.present", .pass, .critical, target: "/srv/backup")])
        _ = try fixture.ingest()
        let fixes = try fixture.views().findings().findings.first { $0.code == "backup.present" }?.resolvedBy ?? []
        #expect(fixes.map(\.host) == ["srv-mairie"])
        let day = ISO8601.string(from: fixture.now.addingTimeInterval(-86_400)).prefix(10)
        #expect(fixes.first?.at.hasPrefix(day) == true, "\(fixes.first?.at ?? "") should be the day of report 4, \(day)")
    }
}
