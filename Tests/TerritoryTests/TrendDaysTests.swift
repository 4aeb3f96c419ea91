import Checks
import Foundation
import Model
import Rendering
import TestSupport
import Testing
@testable import Territory

/// The territory trend: its coverage counts the members that never reported as 0, as `territory status` does, and its
/// per-day points kept at ingest (`TrendDays`, migration `v17-trend-day`, issue 20) equal `TrendBuilder`'s daily series.
@Suite("Trend days: the status's coverage, and points kept at ingest equal to a full recomputation", .serialized)
struct TrendDaysTests {
    typealias F = TerritoryFixture

    @Test("One member of two never reported: the trend's last point has the status's score, coverage and level")
    func neverReportedCountsZero() throws {
        let fixture = try F()
        try fixture.store().importRoster(try Roster.parse(AlertsTests.rosterOfAAndB, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "00")
        let results = [F.result("tls.hsts", .pass), F.result("tls.legacy-protocols", .pass), F.result("cert.expiry", .pass)]
        try fixture.write("a.json", daysAgo: 1, results: results)
        #expect(try fixture.ingest().stored == 1)
        let views = try fixture.views()
        let status = try views.status().territory
        #expect(status.neverReported == 1)
        for trend in [try views.trend(), try views.trend(dailyBeyond: 0)] {
            let last = try #require(trend.points.last)
            #expect(status.score.coverage == 0.5, "A covered alone, B never reported")
            #expect(last.coverage == status.score.coverage)
            #expect(last.score == status.score.score)
            #expect(last.level == status.score.level)
            #expect(last.scoreLevel == status.score.scoreLevel)
        }
        // Both reported: full coverage in both.
        try fixture.write("b.json", siren: F.sirenB, daysAgo: 0.5, results: results)
        #expect(try fixture.ingest().stored == 1)
        let both = try fixture.views()
        #expect(try both.status().territory.score.coverage == 1)
        #expect(try both.trend().points.map(\.coverage) == [0.5, 1])
    }

    /// The kept points (`TrendDays.points`) equal `TrendBuilder`'s daily series of the territory (in both languages), and
    /// the views' dashboard trend reads them.
    static func expectEqual(_ store: TerritoryStore, _ step: String, days: Int? = nil) throws {
        try store.read { db in
            let roster = try TerritoryStore.roster(db)
            for language in [Language.fr, .en] {
                let full = try TrendBuilder.points(db, scope: .territory(roster), language: language, dailyBeyond: 0)
                let kept = try #require(try TrendDays.points(db, language: language), "\(step): the kept days add up to the members' reports")
                #expect(!full.points.isEmpty, "\(step): the scenario has points")
                #expect(kept.points == full.points, "\(step) (\(language))")
                #expect(kept.reports == full.reports, "\(step)")
                if let days { #expect(kept.points.count == days, "\(step): one point per day") }
            }
        }
    }

    /// Every row of both tables, in key order.
    static func rows(_ store: TerritoryStore) throws -> [[SQLValue]] {
        try store.read { db in
            var out: [[SQLValue]] = []
            for sql in [
                "SELECT \(TrendDays.EntityDay.columns) FROM trend_entity_day ORDER BY siren, day",
                "SELECT day, reports, members, listed, hosts, score, coverage, capA, capB, capC, capD, capE, lastKey FROM trend_day ORDER BY day",
            ] {
                try db.forEachRow(sql: sql, arguments: []) { row in out.append(row.values) }
            }
            return out
        }
    }

    /// The rows kept equal those of the migration's back-fill (`refreshAll`) computed again from every report.
    static func expectBackFillEqual(_ store: TerritoryStore, _ step: String) throws {
        let kept = try rows(store)
        try store.write { db in try TrendDays.refreshAll(db) }
        #expect(try rows(store) == kept, "\(step): the kept rows are the back-fill's")
    }

    /// `daysAgo` for a report at `hour` (UTC) of the day `days` days before the fixture's now.
    static func at(_ fixture: F, days: Int, hour: Int) -> Double {
        let now = Int(fixture.now.timeIntervalSince1970)
        let time = (TrendBuilder.day(now) - days) * 86_400 + hour * 3_600
        return Double(now - time) / 86_400
    }

    @Test("Ingest, late older reports, several the same day, prune, withdrawal, roster changes, migrate: kept = TrendBuilder")
    func keptFollowsEveryChange() throws {
        let fixture = try F()
        try fixture.store().importRoster(try Roster.parse(AlertsTests.roster, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "00")
        let sirenD = "213500002"
        let good = [F.result("tls.hsts", .pass), F.result("tls.legacy-protocols", .pass), F.result("cert.expiry", .pass)]
        let now = fixture.now
        // A certificate that ends 6 days ago: capped from then on, not before (caps at each report's time).
        let ending = [F.result(
            "cert.expiry", .pass, .high, target: "/etc/ssl/a.pem",
            evidence: ["notAfter": .string(ISO8601.string(from: now.addingTimeInterval(-6 * 86_400))), "subject": "CN=a"])]
        let noBackup = CapTests.clean + [F.result("backup.present", .fail, .critical, target: "/srv/backup")]
        // Day -10: A and B (two entities the same day); day -8: two hosts of A; day -3: B.
        try fixture.write("a1.json", host: "srv-mairie", daysAgo: Self.at(fixture, days: 10, hour: 1), results: good + ending)
        try fixture.write("b1.json", siren: F.sirenB, host: "srv-b", daysAgo: Self.at(fixture, days: 10, hour: 2), results: F.mixed(1))
        try fixture.write("a2.json", host: "srv-ecole", daysAgo: Self.at(fixture, days: 8, hour: 5), results: noBackup)
        try fixture.write("a3.json", host: "srv-mairie", daysAgo: Self.at(fixture, days: 8, hour: 3), results: F.mixed(2) + ending)
        try fixture.write("b2.json", siren: F.sirenB, host: "srv-b", daysAgo: Self.at(fixture, days: 3, hour: 7), results: good)
        #expect(try fixture.ingest().stored == 5)
        try Self.expectEqual(try fixture.store(), "first ingest", days: 3)
        try Self.expectBackFillEqual(try fixture.store(), "first ingest")

        // Late reports: one older than all (day -20), one between (day -9, changing every later day of B).
        try fixture.write("a0.json", host: "srv-mairie", daysAgo: Self.at(fixture, days: 20, hour: 4), results: noBackup)
        try fixture.write("b0.json", siren: F.sirenB, host: "srv-b2", daysAgo: Self.at(fixture, days: 9, hour: 4), results: noBackup)
        #expect(try fixture.ingest().stored == 2)
        try Self.expectEqual(try fixture.store(), "late reports", days: 5)

        // The weekly report, then two of one host the same day (the second later that day, and one with the same time
        // signed later), and an entity outside the roster.
        try fixture.write("a4.json", host: "srv-mairie", daysAgo: Self.at(fixture, days: 1, hour: 1), results: good)
        #expect(try fixture.ingest().stored == 1)
        try Self.expectEqual(try fixture.store(), "weekly report", days: 6)
        try fixture.write("a5.json", host: "srv-mairie", daysAgo: Self.at(fixture, days: 1, hour: 9), results: F.mixed(3))
        try fixture.write("a6.json", host: "srv-mairie", daysAgo: Self.at(fixture, days: 1, hour: 9), results: noBackup, id: UUID().uuidString.lowercased(), signedAfter: 120)
        try fixture.write("d1.json", siren: sirenD, host: "srv-d", daysAgo: Self.at(fixture, days: 2, hour: 1), results: good)
        let sameDay = try fixture.ingest()
        #expect(sameDay.stored == 3, "\(sameDay.rejectedByCode)")
        try Self.expectEqual(try fixture.store(), "same day, outside the roster", days: 6)
        try Self.expectBackFillEqual(try fixture.store(), "same day")

        // Prune before day -15: the day -20 report goes (the day leaves the trend).
        #expect(try fixture.store().prune(before: now.addingTimeInterval(-15 * 86_400)).reports == 1)
        try Self.expectEqual(try fixture.store(), "prune", days: 5)

        // Withdrawal: srv-ecole's signer revoked, its report withdrawn.
        let serial = try fixture.signer(siren: F.sirenA, host: "srv-ecole").certificate.serialNumberHex
        try fixture.authority.revoke(serial: serial, reason: .keyCompromise, now: now)
        #expect(try fixture.ingest().withdrawn.count == 1)
        try Self.expectEqual(try fixture.store(), "withdrawal")
        try Self.expectBackFillEqual(try fixture.store(), "withdrawal")

        // Roster changes: C (never reported) leaves, then D (outside until now) comes in.
        try fixture.store().importRoster(try Roster.parse(AlertsTests.rosterOfAAndB, file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "01")
        try Self.expectEqual(try fixture.store(), "roster without C")
        try fixture.store().importRoster(
            try Roster.parse(AlertsTests.roster + "\n  - name: D\n    siren: \"\(sirenD)\"\n", file: "roster.yaml"), sourcePath: "roster.yaml", sha256: "02")
        #expect(try fixture.store().roster()?.members.count == 4)
        try Self.expectEqual(try fixture.store(), "roster with D")
        try Self.expectBackFillEqual(try fixture.store(), "roster with D")

        // The dashboard's trend reads them: the same as the daily replay.
        let views = try fixture.views()
        let daily = try views.trend(dailyBeyond: 0)
        #expect(daily.dailyOfReports == 10)
        let replayed = try fixture.store().read { db in
            try TrendBuilder.points(db, scope: .territory(try TerritoryStore.roster(db)), language: .en, dailyBeyond: 0).points
        }
        #expect(daily.points == replayed)
        // Few reports: one point per report, as before.
        #expect(try views.trend(dailyBeyond: 10).points == (try views.trend().points))

        // `territory migrate`: both tables copied, the same points.
        let copy = try TerritoryStore(path: fixture.folder.url("copy.sqlite"), create: true)
        _ = try StoreCopy.copy(from: try fixture.store(), to: copy)
        #expect(try Self.rows(copy) == (try Self.rows(fixture.store())))
        try Self.expectEqual(copy, "after migrate")

        // Days gone (a writer that forgot them): the reader sees they do not add up and replays the reports.
        try fixture.store().write { db in try db.execute(sql: "DELETE FROM trend_day WHERE day = (SELECT MAX(day) FROM trend_day)") }
        #expect(try fixture.store().read { db in try TrendDays.points(db, language: .en) } == nil)
        #expect(try fixture.views().trend(dailyBeyond: 0).points == replayed)
    }

    @Test("Random worlds (no roster): the kept points of ingest and of the back-fill are TrendBuilder's", arguments: 0..<4)
    func randomWorlds(seed: Int) throws {
        let (world, _) = try MonotonicityTests.world(seed: UInt64(9_400 + seed))
        try Self.expectEqual(try world.fixture.store(), "ingest")
        try Self.expectBackFillEqual(try world.fixture.store(), "back-fill")
        try Self.expectEqual(try world.fixture.store(), "back-fill")
    }
}
