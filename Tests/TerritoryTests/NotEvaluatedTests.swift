import Checks
import Foundation
@testable import Rendering
import Model
import TestSupport
import Testing
@testable import Territory

/// Issue 12: an `error` result weighs and earns nothing, and a domain where every rule erred is
/// "not evaluated" in every territory view, never a clean score.
@Suite("Territory: what could not be verified")
struct NotEvaluatedTests {
    typealias F = TerritoryFixture

    /// TLS verified and clean; every patch rule erred (package lists unreadable).
    static let blind = [
        F.result("tls.legacy-protocols", .pass, .high, target: "mail:993"),
        F.result("tls.hsts", .pass, .medium, target: "www:443"),
        F.result("patch.security-updates", .error, .high, target: "/var/lib/dpkg/status"),
        F.result("patch.pending-updates", .error, .medium, target: "/var/lib/dpkg/status"),
    ]

    @Test("An entity whose patch rules all erred shows patches not evaluated and scores 50, not 100")
    func statusAndDetail() throws {
        let fixture = try F()
        try fixture.write("blind.json", host: "srv-1", daysAgo: 1, results: Self.blind)
        _ = try fixture.ingest()
        let views = try fixture.views()
        let row = try #require(try views.status().entities.first)
        #expect(row.score.notEvaluated == ["patches"])
        #expect(row.score.domains == ["tls": 100])
        #expect(row.score.score == 50)
        #expect(row.score.level == "D")
        let detail = try views.entity(F.sirenA)
        #expect(detail.score.notEvaluated == ["patches"])
        #expect(detail.reports.first?.score.notEvaluated == ["patches"])
        let text = ViewTables.status(try views.status(), .fr).map(\.text).joined()
        #expect(text.contains("non évalué"))
        let detailText = ViewTables.detail(detail, .fr).map(\.text).joined()
        #expect(detailText.contains("non évalué (compte 0)"))
        #expect(try views.trend().points.last?.score == 50)
    }

    @Test("Migration v3 gives a store ingested before it the scores of a store ingested after it")
    func migrationRecomputesFromStoredResults() throws {
        let fixture = try F()
        try fixture.write("blind.json", host: "srv-1", daysAgo: 2, results: Self.blind)
        try fixture.write("mixed.json", host: "srv-2", daysAgo: 1, results: F.mixed(0))
        _ = try fixture.ingest()
        let expectedStatus = try fixture.views().status()
        let expectedTrend = try fixture.views().trend()
        // Put the store back as v2 wrote it: no unverified column, errors out of the weights, old scores.
        try fixture.downgrade("""
            UPDATE report_domain SET weight = weight - unverified;
            DELETE FROM report_domain WHERE weight = 0 AND scored = 0 AND failing = 0 AND warning = 0;
            ALTER TABLE report_domain DROP COLUMN unverified;
            ALTER TABLE entity_domain DROP COLUMN unverified;
            UPDATE report SET score = 100, level = 'A';
            DELETE FROM entity_domain
            """, forgetting: ["v3-error-weighs"])
        let migrated = try fixture.views()
        let status = try migrated.status()
        #expect(status.entities.map(\.score) == expectedStatus.entities.map(\.score))
        #expect(status.territory.score == expectedStatus.territory.score)
        #expect(try migrated.trend().points.map(\.score) == expectedTrend.points.map(\.score))
        let stored = try fixture.store().read { db in
            try db.fetchAll(Int.self, sql: "SELECT score FROM report ORDER BY generatedAt")
        }
        #expect(stored == [50, Scoring.summarize(F.mixed(0)).score!])
    }
}
