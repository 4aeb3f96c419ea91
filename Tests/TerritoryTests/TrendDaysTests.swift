import Checks
import Foundation
import Model
import Rendering
import TestSupport
import Testing
@testable import Territory

/// The territory trend: its coverage counts the members that never reported as 0, as `territory status` does, and its
/// per-day points kept at ingest (`TrendDays`, migration `v14-trend-day`, issue 20) equal `TrendBuilder`'s daily series.
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
}
