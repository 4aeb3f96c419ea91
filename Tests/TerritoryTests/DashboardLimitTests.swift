import Checks
import Foundation
import Model
@testable import Rendering
import TestSupport
import Testing
@testable import Territory

/// The dashboard of a large territory (issue 20): long lists cut at a limit with the exact count of all and the command
/// that lists them, the weakest members first; the trend one point per day, each the per-report trend's point of the
/// day's last report.
@Suite("Dashboard of a large territory", .serialized)
struct DashboardLimitTests {
    typealias F = TerritoryFixture

    /// Days before `now` of `hour` o'clock UTC, `days` days ago: reports placed on known UTC days whatever the time of the run.
    static func daysAgo(_ fixture: F, days: Int, hour: Double) -> Double {
        let sinceMidnight = fixture.now.timeIntervalSince1970.truncatingRemainder(dividingBy: 86_400)
        return (Double(days) * 86_400 + sinceMidnight - hour * 3_600) / 86_400
    }

    /// The per-report points, keeping the last of each UTC day.
    static func lastOfEachDay(_ points: [TrendPoint]) -> [TrendPoint] {
        var out: [TrendPoint] = []
        for point in points {
            if let last = out.last, last.at.prefix(10) == point.at.prefix(10) { out[out.count - 1] = point } else { out.append(point) }
        }
        return out
    }

    @Test("One point per day equals the per-report trend at each day's last report (caps changing within a day included)")
    func dailyTrend() throws {
        let fixture = try F()
        let sirenC = "200066777"
        // A certificate that ends on day 3 at noon: judged before and after its end on the same day.
        let ending = fixture.now.addingTimeInterval(-Self.daysAgo(fixture, days: 3, hour: 12) * 86_400)
        func certificate(_ status: Status) -> CheckResult {
            F.result("cert.expiry", status, .high, target: "/etc/ssl/portail.pem", evidence: ["notAfter": .time(ending), "sha256": .string(String(repeating: "ab", count: 32))])
        }
        let plan: [(siren: String, host: String, days: Int, hour: Double, results: [CheckResult])] = [
            (F.sirenA, "srv-1", 4, 9, F.mixed(0) + [certificate(.warn)]),
            (F.sirenB, "srv-2", 4, 10, F.mixed(1) + [F.result("backup.present", .fail)]),
            (F.sirenA, "srv-1", 3, 8, F.mixed(1) + [certificate(.warn)]),
            (F.sirenA, "srv-3", 3, 11, F.mixed(0)),
            (F.sirenB, "srv-2", 3, 13, F.mixed(0) + [F.result("backup.present", .pass)]),
            (F.sirenA, "srv-1", 3, 15, F.mixed(0) + [certificate(.fail)]),
            (sirenC, "srv-4", 3, 16, F.mixed(1) + [F.result("patch.security-updates", .fail)]),
            (F.sirenB, "srv-5", 1, 7, F.mixed(1)),
            (F.sirenA, "srv-3", 1, 20, F.mixed(1) + [F.result("backup.present", .fail)]),
        ]
        for (index, report) in plan.enumerated() {
            try fixture.write(
                "r\(index).json", siren: report.siren, host: report.host, daysAgo: Self.daysAgo(fixture, days: report.days, hour: report.hour),
                results: report.results)
        }
        _ = try fixture.ingest()
        let views = try fixture.views()
        for filter in [ViewFilter(), ViewFilter(entities: [F.sirenA]), ViewFilter(entities: [F.sirenA, sirenC])] {
            let perReport = try views.trend(filter: filter)
            let daily = try views.trend(filter: filter, dailyBeyond: 0)
            let expected = Self.lastOfEachDay(perReport.points)
            #expect(expected.count < perReport.points.count, "several reports a day in \(filter)")
            #expect(daily.points == expected, "\(filter)")
            #expect(daily.dailyOfReports == perReport.points.count)
            // Under the limit: the per-report trend itself.
            let small = try views.trend(filter: filter, dailyBeyond: perReport.points.count)
            #expect(small.points == perReport.points)
            #expect(small.dailyOfReports == nil)
        }
        // The caps moved within day 3 (the certificate ended at noon): the territory's day-3 point shows the cap.
        let day3 = try #require(try views.trend(dailyBeyond: 0).points.first { $0.at.hasPrefix(ISO8601.string(from: ending).prefix(10)) })
        #expect(!day3.caps.isEmpty)
    }

    @Test("Over the limit, the entity, heat map and certificate lists keep the weakest and soonest, count all exactly and give the command")
    func cutLists() throws {
        let fixture = try F()
        func certificate(_ days: Double, _ name: String) -> CheckResult {
            F.result("cert.expiry", .warn, .high, target: "/etc/ssl/\(name).pem", evidence: [
                "notAfter": .time(fixture.now.addingTimeInterval(days * 86_400)), "subject": .string("CN=\(name).example.fr"),
            ])
        }
        try fixture.write("a.json", host: "srv-1", daysAgo: 1, results: [F.result("tls.hsts", .pass, .medium), F.result("backup.present", .pass),
                                                                         certificate(40, "later")])
        try fixture.write("b.json", siren: F.sirenB, host: "srv-2", daysAgo: 1, results: F.mixed(0) + [F.result("backup.present", .fail),
                                                                                                       certificate(5, "soonest")])
        try fixture.write("c.json", siren: "200066777", host: "srv-3", daysAgo: 1, results: F.mixed(1) + [F.result("backup.present", .pass)])
        _ = try fixture.ingest()
        try fixture.store().importRoster(Roster(
            territory: .init(name: "CC de test", siren: "242900645"),
            members: [.init(name: "Commune de Plouzané", siren: F.sirenA), .init(name: "Commune de Lanvéoc", siren: F.sirenB),
                      .init(name: "Commune de Crozon", siren: "200066777"), .init(name: "Commune de Camaret-sur-Mer", siren: "212900229"),
                      .init(name: "Commune de Roscanvel", siren: "212900237")]),
            sourcePath: "roster.yaml", sha256: "")
        let views = try fixture.views()
        let status = try views.status(fixes: 5)
        let trend = try views.trend(dailyBeyond: HTMLPage.trendPointLimit)
        let certificates = try views.certificates(expiringWithinDays: 60)
        let findings = try views.findings(top: 15)
        #expect(status.entities.count == 3 && status.neverReported.count == 2 && certificates.certificates.count == 2)
        let weakest = try #require(status.entities.first)
        #expect(weakest.siren == F.sirenB, "no backup: capped, furthest behind")

        let cut = HTMLPage.dashboard(status: status, trend: trend, certificates: certificates, findings: findings, language: .fr, listLimit: 1)
        let whole = HTMLPage.dashboard(status: status, trend: trend, certificates: certificates, findings: findings, language: .fr)
        // The cut page: the weakest member and the soonest certificate listed, every count exact, the commands given.
        #expect(cut.contains("Les 1 entités les plus en retard sur 3, et 1 des 2 membres sans rapport ; la liste complète : <code>cyberctl territory status --format csv</code>"))
        // F.mixed's cert.expiry results give no end date: unverified, counted too.
        #expect(cut.contains(
            "Les 1 plus proches sur 2 certificats à renouveler, et 1 sur \(certificates.unverified.count) dont l&#39;échéance n&#39;a pu être lue ; "
                + "la liste complète : <code>cyberctl territory certificates --expiring 60j --format csv</code>"))
        #expect(certificates.unverified.count == 2)
        #expect(cut.contains("\(status.territory.membersUnderCap.count) membres sous un plafond (dont 2 sans rapport)"))
        // A row of the entity table: the name, then the SIREN.
        func row(_ name: String, _ siren: String) -> String { "<tr><td>\(name)</td><td class=\"n\">\(siren)</td>" }
        #expect(cut.contains(row("Commune de Lanvéoc", F.sirenB)))
        #expect(!cut.contains(row("Commune de Plouzané", F.sirenA)) && !cut.contains(row("Commune de Crozon", "200066777")))
        #expect(cut.contains(row("Commune de Camaret-sur-Mer", "212900229")) && !cut.contains(row("Commune de Roscanvel", "212900237")))
        #expect(cut.contains("CN=soonest.example.fr") && !cut.contains("<td>CN=later.example.fr</td>"))
        // The key figures stay the whole territory's.
        #expect(cut.contains("<b>3 / 5</b>") && cut.contains("<b>2</b>Certificats à renouveler"))
        // Under the limit: every row, no cut note.
        #expect(!whole.contains("la liste complète"))
        for (name, siren) in [("Commune de Plouzané", F.sirenA), ("Commune de Lanvéoc", F.sirenB), ("Commune de Crozon", "200066777"),
                              ("Commune de Camaret-sur-Mer", "212900229"), ("Commune de Roscanvel", "212900237")] {
            #expect(whole.contains(row(name, siren)), "\(name)")
        }
        #expect(whole.contains("<td>CN=later.example.fr</td>"))
    }
}
