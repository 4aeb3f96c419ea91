import Agent
import Checks
import Foundation
import Incidents
import Model
import NIS2
import Rendering
import Summary
import Territory
import TestSupport
import Testing

/// Issue 20: the élus summary's data (`ReadinessSummary` of every entity and of the territory, each member's
/// `CommuneDigest`) is the same JSON from a SQLite store and a PostgreSQL store holding the same signed reports,
/// roster and incident, built in the same run. Runs in both passes: it always makes one store of each engine.
@Suite("The élus summary's data on SQLite and PostgreSQL")
struct SummaryBackendEquivalenceTests {
    typealias F = SummaryFixture

    @Test("Every entity's summary, the territory's and every member's digest: the same JSON on both engines")
    func sameSummaries() throws {
        // Issue 17's four communes (two without backup, scores that tie), plus Plouzané's two reports a month apart
        // (a trend), Lanvéoc, the communauté de communes and the longest page (an undecided NIS 2 status).
        let fixture = try FourCommunesTests.territory()
        try fixture.write(F.plouzane, daysAgo: 30, results: F.weaker)
        try fixture.write(F.plouzane, daysAgo: 1, results: F.weak)
        try fixture.write(F.lanveoc, host: "srv-lanveoc", daysAgo: 2, results: F.good)
        try fixture.write(F.cc, host: "srv-cc", daysAgo: 3, results: F.weak)
        try fixture.write(F.longest, host: "srv-vieux", daysAgo: 35, results: F.longestResults)
        let sqlite = try TerritoryStore(location: StoreUnderTest.sqlite.newLocation(sqlitePath: fixture.folder.url("same.sqlite")))
        let postgres = try TerritoryStore(location: StoreUnderTest.postgresql.newLocation(sqlitePath: ""))
        let roster = try Roster.parse(FourCommunesTests.roster(), file: "roster.yaml")
        for store in [sqlite, postgres] {
            try fixture.ingest(into: store)
            try store.importRoster(roster, sourcePath: "roster.yaml", sha256: "00", now: fixture.now)
            _ = try store.openIncident(
                NewIncident(title: "Messagerie compromise", siren: FourCommunesTests.communes[3].siren!, awareAt: fixture.now.addingTimeInterval(-20 * 3600),
                            personalData: true, significant: .yes),
                now: fixture.now.addingTimeInterval(-19 * 3600))
        }
        let rules = try ScopeRules.shipped()
        func pages(_ store: TerritoryStore) throws -> [(String, String)] {
            var pages: [(String, String)] = []
            for language in [Language.fr, .en] {
                let views = TerritoryViews(store: store, now: fixture.now, language: language)
                let builder = SummaryBuilder(views: views, scopeRules: rules)
                let digests = CommuneDigestBuilder(views: views, scopeRules: rules)
                pages.append(("territory \(language)", try ViewJSON.encode(builder.territory())))
                for entity in FourCommunesTests.communes + [F.plouzane, F.lanveoc, F.cc, F.longest] {
                    pages.append(("entity \(entity.siren!) \(language)", try ViewJSON.encode(builder.entity(entity.siren!))))
                }
                for commune in FourCommunesTests.communes {
                    pages.append(("digest \(commune.siren!) \(language)", try ViewJSON.encode(digests.digest(siren: commune.siren!))))
                }
            }
            return pages
        }
        let expected = try pages(sqlite)
        let actual = try pages(postgres)
        #expect(expected.count == actual.count)
        for ((name, a), (_, b)) in zip(expected, actual) {
            #expect(a == b, "\(name) differs between SQLite and PostgreSQL")
            if a != b, let line = zip(a.split(separator: "\n"), b.split(separator: "\n")).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
                Issue.record("\(name) line \(line.offset + 1): SQLite \(line.element.0) ≠ PostgreSQL \(line.element.1)")
            }
        }
    }
}
