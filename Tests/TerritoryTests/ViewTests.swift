import Agent
import Checks
import Foundation
@testable import Rendering
import Model
import TestSupport
import Testing
@testable import Territory
import Trust

/// Each territory view's content, from real signed reports ingested into a real store.
@Suite("Territory views")
struct ViewTests {
    typealias F = TerritoryFixture

    @Test("Status: one row per entity, scores equal Scoring.summarize of the hosts' latest results, stale flagged")
    func status() throws {
        let fixture = try F()
        let a1 = F.mixed(0), a2 = F.mixed(1), b1 = [F.result("tls.hsts", .pass, .medium), F.result("org.nis2.mfa", .fail, .critical)]
        try fixture.write("a1.json", host: "srv-1", daysAgo: 1, results: a1)
        try fixture.write("a2.json", host: "srv-2", daysAgo: 2, results: a2)
        try fixture.write("a2-old.json", host: "srv-2", daysAgo: 9, results: [F.result("tls.hsts", .fail)])
        try fixture.write("b1.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 10, results: b1)
        _ = try fixture.ingest()

        let view = try fixture.views().status()
        #expect(view.entities.count == 2)
        let a = try #require(view.entities.first { $0.siren == F.sirenA })
        let b = try #require(view.entities.first { $0.siren == F.sirenB })
        let expectedA = Scoring.summarize(a1 + a2)
        #expect(a.score.score == expectedA.score)
        #expect(a.score.level == expectedA.level?.rawValue)
        #expect(a.score.coverage == expectedA.coverage)
        #expect(a.score.domains == Dictionary(uniqueKeysWithValues: expectedA.domains.map { ($0.key.rawValue, $0.value) }))
        #expect(a.hosts == 2)
        #expect(a.ageDays == 1)
        #expect(!a.stale)
        #expect(a.name == "Commune de Plouzané")
        // Fail results per domain across both hosts' latest reports (the older srv-2 report does not count).
        #expect(a.failing["certificates"] == 2)
        #expect(a.failing["tls"] == 1)
        #expect(a.warnings["tls"] == 2)
        #expect(b.stale, "newest report 10 days old")
        #expect(b.ageDays == 10)
        #expect(b.score.score == Scoring.summarize(b1).score)
        #expect(view.territory.staleEntities == 1)
        #expect(view.territory.reports == 4)
        // The territory is the mean of its members' scores: each entity weighs one, whatever its number of results.
        let memberScores = [Scoring.summarize(a1 + a2).score!, Scoring.summarize(b1).score!]
        #expect(view.territory.score.score == Int((Double(memberScores.reduce(0, +)) / 2).rounded()))
        #expect(view.territory.members == 2 && view.territory.entities == 2)
        // Furthest behind first.
        #expect(view.entities.map(\.siren) == [b, a].sorted { ($0.score.score ?? -1) < ($1.score.score ?? -1) }.map(\.siren))
        // Fix first: the rule whose fixing everywhere raises the members' mean most (each member's score
        // recomputed with every result of the rule passing).
        func fixed(_ results: [CheckResult], _ code: String) -> Double {
            ScoreTally(results.map { var r = $0; if r.code == code && r.status.isFinding { r.status = .pass }; return r }).exactScore!
        }
        let codes = Set((a1 + a2 + b1).filter(\.status.isFinding).map(\.code))
        let base = (ScoreTally(a1 + a2).exactScore! + ScoreTally(b1).exactScore!) / 2
        let gains = codes.map { code in (code, (fixed(a1 + a2, code) + fixed(b1, code)) / 2 - base) }
        let best = try #require(gains.max { $0.1 < $1.1 })
        let fix = try #require(view.fixes.first)
        #expect(fix.code == best.0)
        #expect(abs(fix.gain - best.1) < 0.01)
        #expect(fix.scoreBefore == view.territory.score.score)
    }

    @Test("Findings: ranked by severity × entities, who is affected, new / persistent / resolved against the previous report")
    func findings() throws {
        let fixture = try F()
        try fixture.write("old.json", host: "srv-1", daysAgo: 5, results: [
            F.result("tls.legacy-protocols", .fail, .high, target: "mail:993"),
            F.result("tls.hsts", .fail, .medium, target: "www:443"),
            F.result("backup.recent", .pass, .high, target: "/srv/backup"),
        ])
        try fixture.write("new.json", host: "srv-1", daysAgo: 1, results: [
            F.result("tls.legacy-protocols", .fail, .high, target: "mail:993"),
            F.result("tls.hsts", .pass, .medium, target: "www:443"),
            F.result("backup.recent", .fail, .high, target: "/srv/backup"),
        ])
        try fixture.write("b.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 1, results: [
            F.result("tls.legacy-protocols", .warn, .high, target: "imap:993"),
            F.result("cert.key-strength", .fail, .critical, target: "/etc/ssl/k.pem"),
        ])
        _ = try fixture.ingest()
        let view = try fixture.views().findings()
        let byCode = Dictionary(uniqueKeysWithValues: view.findings.map { ($0.code, $0) })
        let legacy = try #require(byCode["tls.legacy-protocols"])
        #expect(legacy.entities == 2)
        #expect(legacy.persistent == 1, "srv-1 mail:993 failed before and still fails")
        #expect(legacy.new == 1, "srv-lanveoc has no previous report")
        #expect(Set(legacy.affected.map(\.siren)) == [F.sirenA, F.sirenB])
        #expect(legacy.affected.first { $0.siren == F.sirenA }?.hosts == ["srv-1"])
        #expect(legacy.title == "tls.legacy-protocols" || !legacy.title.isEmpty)
        let backup = try #require(byCode["backup.recent"])
        #expect(backup.new == 1 && backup.persistent == 0)
        let hsts = try #require(byCode["tls.hsts"])
        #expect(hsts.resolved == 1 && hsts.results == 0)
        // high × 2 entities (16) outranks critical × 1 (16, fewer results) and high × 1 (8).
        #expect(view.findings.map(\.code).prefix(3) == ["tls.legacy-protocols", "cert.key-strength", "backup.recent"])
        #expect(legacy.gain > 0)

        let tlsOnly = try fixture.views().findings(filter: ViewFilter(domain: .tls))
        #expect(Set(tlsOnly.findings.map(\.code)) == ["tls.legacy-protocols", "tls.hsts"])
        let critical = try fixture.views().findings(minimumSeverity: .critical)
        #expect(critical.findings.map(\.code) == ["cert.key-strength"])
        #expect(try fixture.views().findings(top: 1).findings.count == 1)
    }

    @Test("Resolved findings are attributed to the entity and host that fixed them, with when; a rule fixed everywhere stays listed")
    func resolvedBy() throws {
        let fixture = try F()
        try fixture.write("a1.json", host: "srv-1", daysAgo: 6, results: [F.result("tls.hsts", .fail, .medium), F.result("backup.present", .fail)])
        try fixture.write("a2.json", host: "srv-1", daysAgo: 4, results: [F.result("tls.hsts", .pass, .medium), F.result("backup.present", .fail)])
        try fixture.write("a3.json", host: "srv-1", daysAgo: 2, results: [F.result("tls.hsts", .pass, .medium), F.result("backup.present", .pass)])
        try fixture.write("b1.json", siren: F.sirenB, host: "srv-b", daysAgo: 5, results: [F.result("backup.present", .fail)])
        try fixture.write("b2.json", siren: F.sirenB, host: "srv-b", daysAgo: 1, results: [F.result("backup.present", .fail)])
        _ = try fixture.ingest()
        let view = try fixture.views().findings()
        // tls.hsts: fixed by Plouzané's srv-1 four days ago, two reports before its latest: still listed.
        let hsts = try #require(view.findings.first { $0.code == "tls.hsts" })
        #expect(hsts.results == 0 && hsts.resolved == 0, "not in the previous report either")
        #expect(hsts.resolvedBy.map(\.siren) == [F.sirenA])
        #expect(hsts.resolvedBy.first?.host == "srv-1")
        #expect(hsts.resolvedBy.first?.at == ISO8601.string(from: Date(timeIntervalSince1970: (fixture.now.timeIntervalSince1970 - 4 * 86_400).rounded(.down))))
        // backup.present: fixed by Plouzané, still failing at Lanvéoc: the fix is Plouzané's, not Lanvéoc's.
        let backup = try #require(view.findings.first { $0.code == "backup.present" })
        #expect(backup.affected.map(\.siren) == [F.sirenB])
        #expect(backup.resolvedBy.map(\.siren) == [F.sirenA])
        let table = ViewTables.findings(view, .fr).map(\.text).joined()
        #expect(table.contains("Commune de Plouzané / srv-1"))
        // Filtering by severity hides rules fixed everywhere.
        #expect(try fixture.views().findings(minimumSeverity: .high).findings.map(\.code) == ["backup.present"])
    }

    @Test("Certificates: files and served certificates expiring within the window (and expired), soonest first")
    func certificates() throws {
        let fixture = try F()
        func cert(_ code: String, _ days: Double, _ subject: String) -> CheckResult {
            F.result(
                code, days < 30 ? .warn : .pass, .high, target: subject,
                evidence: [
                    "notAfter": .time(fixture.now.addingTimeInterval(days * 86_400)), "subject": .string("CN=\(subject)"),
                    "issuer": "CN=Test CA", "sha256": .string(String(repeating: "a", count: 64)),
                ])
        }
        try fixture.write("a.json", host: "srv-1", daysAgo: 1, results: [
            cert("cert.expiry", 45, "in45"), cert("cert.expiry", 90, "in90"), cert("tls.cert.expiry", 10, "served10"), cert("cert.expiry", -3, "expired"),
        ])
        _ = try fixture.ingest()
        let view = try fixture.views().certificates(expiringWithinDays: 60)
        #expect(view.certificates.map(\.target) == ["expired", "served10", "in45"])
        #expect(view.certificates.map(\.daysLeft) == [-3, 10, 45])
        #expect(view.certificates[1].kind == "served")
        #expect(view.certificates[0].kind == "file")
        #expect(view.certificates[0].subject == "CN=expired")
        #expect(view.certificates[0].issuer == "CN=Test CA")
        #expect(view.certificates.allSatisfy { $0.entity == "Commune de Plouzané" && $0.host == "srv-1" })
        #expect(try fixture.views().certificates(expiringWithinDays: 120).certificates.count == 4)
        // People read Europe/Paris times with their offset; JSON keeps the UTC ISO text.
        let expected = PeopleTime.string(from: try #require(ISO8601.date(from: view.certificates[0].notAfter)))
        #expect(view.certificates[0].notAfter.hasSuffix("Z"))
        #expect(expected.hasSuffix("+01:00") || expected.hasSuffix("+02:00"))
        let table = ViewTables.certificates(view, .fr).map(\.text).joined()
        #expect(table.contains(expected), "\(table)")
        #expect(!table.contains(view.certificates[0].notAfter))
    }

    @Test("Host and entity: the latest reports in full, fixes from Scoring.bestFixes, trend per day")
    func hostAndEntity() throws {
        let fixture = try F()
        let latest = F.mixed(0)
        try fixture.write("h1-old.json", host: "srv-1", daysAgo: 8, results: F.mixed(1))
        try fixture.write("h1.json", host: "srv-1", daysAgo: 1, results: latest)
        try fixture.write("h2.json", host: "srv-2", daysAgo: 2, results: F.mixed(1))
        _ = try fixture.ingest()
        let host = try #require(try fixture.views().host("SRV-1").first, "host names match case-insensitively")
        #expect(host.reports.count == 1)
        #expect(host.results.count == latest.count)
        #expect(host.score.score == Scoring.summarize(latest).score)
        #expect(host.fixes.map(\.code) == Scoring.bestFixes(latest, limit: 5).map(\.result.code))
        #expect(host.fixes.map(\.scoreAfter) == Scoring.bestFixes(latest, limit: 5).map(\.scoreAfter))
        #expect(host.trend.map(\.score) == [Scoring.summarize(F.mixed(1)).score, Scoring.summarize(latest).score])
        #expect(host.results.first?.status == .fail, "failures first")

        let entity = try fixture.views().entity(F.sirenA)
        #expect(entity.reports.map(\.host) == ["srv-1", "srv-2"])
        #expect(entity.score.score == Scoring.summarize(latest + F.mixed(1)).score)
        #expect(entity.trend.count == 3)
        #expect(entity.trend.last?.hosts == 2)
        #expect(throws: InputError.self) { try fixture.views().host("nowhere") }
        #expect(throws: InputError.self) { try fixture.views().entity(F.sirenB) }
    }

    @Test("Trend: one point per report (two the same day make two), each member weighing one, each host counted by its latest report then")
    func trend() throws {
        let fixture = try F()
        let a1 = [F.result("tls.hsts", .fail)]
        let b1 = [F.result("tls.hsts", .warn), F.result("tls.legacy-protocols", .pass), F.result("cert.expiry", .pass)]
        let a2 = [F.result("tls.hsts", .pass)]
        let a3 = [F.result("tls.hsts", .fail)]
        try fixture.write("a1.json", host: "srv-1", daysAgo: 3, results: a1)
        try fixture.write("b1.json", siren: F.sirenB, host: "srv-b", daysAgo: 2, results: b1)
        try fixture.write("a2.json", host: "srv-1", daysAgo: 1, results: a2)
        try fixture.write("a3.json", host: "srv-1", daysAgo: 0.75, results: a3)
        _ = try fixture.ingest()
        let points = try fixture.views().trend().points
        let b = Double(Scoring.summarize(b1).score!)
        #expect(points.map(\.score) == [0, Int((b / 2).rounded()), Int(((100 + b) / 2).rounded()), Int((b / 2).rounded())])
        #expect(points.map(\.hosts) == [1, 2, 2, 2])
        #expect(points.map(\.host) == ["srv-1", "srv-b", "srv-1", "srv-1"])
        #expect(points[3].at == ISO8601.string(from: fixture.now.addingTimeInterval(-0.75 * 86_400)))
        // The entity's own trend: one point per report of its hosts.
        #expect(try fixture.views().entityTrend(siren: F.sirenA).map(\.score) == [0, 100, 0])
        // The one-pass trends give the same territory and member points.
        let trends = try fixture.views().trends()
        #expect(trends.territory.points == points)
        #expect(trends.members[F.sirenA] == (try fixture.views().entityTrend(siren: F.sirenA)))
        #expect(trends.members[F.sirenB] == (try fixture.views().entityTrend(siren: F.sirenB)))
    }

    @Test("Renderers: Markdown pipes, self-contained HTML with escaped text (CSV: CSVWriterTests)")
    func renderers() throws {
        let table = TextTable(title: "T|x", headers: ["a", "b"], rows: [["=cmd()", "x,\"y\""], ["-5", "p|q"]])
        #expect(table.markdown.contains("| -5 | p\\|q |"))
        #expect(table.markdown.hasPrefix("### T\\|x"))
        // A name from a signed report renders as text: no tag, link, emphasis or code span in any Markdown converter.
        let marked = TextTable(headers: ["Entité"], rows: [["<script>alert(1)</script> *gras* _x_ `c` [l](x) a\\b\nligne Plouzan&eacute;&#8203;"]])
        #expect(marked.markdown.contains("| \\<script\\>alert(1)\\</script\\> \\*gras\\* \\_x\\_ \\`c\\` \\[l\\](x) a\\\\b ligne Plouzan\\&eacute;\\&#8203; |"), "\(marked.markdown)")

        let fixture = try F()
        let hostile = F.result(
            "cert.expiry", .warn, .medium, target: "/etc/ssl/<b>x</b>.pem",
            evidence: ["notAfter": .time(fixture.now.addingTimeInterval(10 * 86_400)), "subject": "CN=<script>alert(1)</script>"])
        try fixture.write("a.json", daysAgo: 1, results: F.mixed() + [hostile])
        _ = try fixture.ingest()
        let views = try fixture.views()
        let html = HTMLPage.dashboard(
            status: try views.status(), trend: try views.trend(), certificates: try views.certificates(expiringWithinDays: 60),
            findings: try views.findings(), language: .fr)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        #expect(!html.contains("<script"))
        #expect(!html.contains("src="))
        #expect(!html.contains("href="))
        #expect(!html.contains("url("))
        #expect(html.replacingOccurrences(of: "http://www.w3.org/2000/svg", with: "").range(of: "https?://", options: .regularExpression) == nil)
        #expect(html.contains("<svg"))
        #expect(html.contains("Carte de chaleur"))
        #expect(!html.contains("<b>x"))
        #expect(html.contains("/etc/ssl/&lt;b&gt;x&lt;/b&gt;.pem"))
    }
}
