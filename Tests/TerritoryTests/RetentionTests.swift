import Agent
import Foundation
import Rendering
import TestSupport
import Testing
@testable import Territory

/// `TerritoryStore.prune` (`cyberctl territory prune --keep-days N`, issue 20) on the fixture store of
/// Tests/Fixtures/store-v8 (16 reports, 8 hosts), in SQLite and copied into PostgreSQL.
@Suite("Retention: old history pruned, every host's latest report kept", .serialized)
struct RetentionTests {
    /// The fixture in SQLite, and the same copied into a fresh PostgreSQL database.
    static func stores(_ folder: TemporaryDirectory) throws -> [(String, TerritoryStore)] {
        let sqlite = try TerritoryStore(path: try StoreFixtureTests.copy(folder), create: false)
        let postgres = try TerritoryStore(location: try PostgresCluster.shared().createDatabase(prefix: "prune"), create: true)
        _ = try StoreCopy.copy(from: sqlite, to: postgres)
        return [("SQLite", sqlite), ("PostgreSQL", postgres)]
    }

    static func orphans(_ store: TerritoryStore) throws -> Int {
        try store.read { db in
            var total = 0
            for table in ["result", "report_domain", "report_finding", "report_fact"] {
                total += try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM \(table) WHERE reportKey NOT IN (SELECT key FROM report)") ?? 0
            }
            return total
        }
    }

    @Test("A cutoff after every report: the 8 history reports and their results go, the 8 latest stay, the status is unchanged")
    func pruneHistory() throws {
        let folder = try TemporaryDirectory()
        for (engine, store) in try Self.stores(folder) {
            let views = TerritoryViews(store: store, now: StoreFixtureTests.now, language: .fr)
            let status = try ViewJSON.encode(views.status(fixes: 3))
            let resultsBefore = try store.counts().results
            let latestResults = try store.read { db in
                try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM result WHERE reportKey IN (SELECT latestReportKey FROM host)") ?? 0
            }
            let dry = try store.prune(before: StoreFixtureTests.now, dryRun: true)
            #expect(dry.reports == 8 && dry.keptAsLatest == 8 && dry.remaining == 16, "\(engine) \(dry)")
            #expect(try store.counts().reports == 16, "\(engine): a dry run deletes nothing")
            let done = try store.prune(before: StoreFixtureTests.now)
            #expect(done.reports == 8 && done.results == dry.results && done.remaining == 8, "\(engine) \(done)")
            #expect(done.results == resultsBefore - latestResults)
            let counts = try store.counts()
            #expect(counts.reports == 8 && counts.hosts == 8 && counts.results == latestResults, "\(engine) \(counts)")
            #expect(try Self.orphans(store) == 0, "\(engine)")
            #expect(try store.incompleteReports().isEmpty)
            // The status reads latest reports only: nothing changes but the territory's count of stored reports.
            #expect(status.contains("\"reports\" : 16,"))
            #expect(try ViewJSON.encode(views.status(fixes: 3)) == status.replacingOccurrences(of: "\"reports\" : 16,", with: "\"reports\" : 8,"), "\(engine)")
            // Pruning again finds nothing more.
            #expect(try store.prune(before: StoreFixtureTests.now).reports == 0)
        }
    }

    @Test("A cutoff before every report deletes nothing")
    func nothingOldEnough() throws {
        let folder = try TemporaryDirectory()
        for (engine, store) in try Self.stores(folder) {
            let summary = try store.prune(before: Date(timeIntervalSince1970: 0))
            #expect(summary.reports == 0 && summary.keptAsLatest == 0 && summary.remaining == 16, "\(engine) \(summary)")
        }
    }

    @Test("cyberctl territory prune: 64 for --keep-days 0; the summary in French, then English")
    func command() throws {
        let folder = try TemporaryDirectory()
        let path = try StoreFixtureTests.copy(folder)
        let bad = try BuiltBinary.run(["territory", "prune", "--keep-days", "0", "--db", path])
        #expect(bad.exitCode == 64)
        // The fixture's reports are from before 2026-03-01: all older than a day.
        let dry = try BuiltBinary.run(["territory", "prune", "--keep-days", "1", "--dry-run", "--db", path])
        #expect(dry.exitCode == 0, "\(dry.stderr)")
        #expect(dry.stdout.contains("8 seraient supprimés"), "\(dry.stdout)")
        let done = try BuiltBinary.run(["territory", "prune", "--keep-days", "1", "--db", path, "--lang", "en"])
        #expect(done.exitCode == 0, "\(done.stderr)")
        #expect(done.stdout.contains("8 deleted") && done.stdout.contains("8 kept as their host's latest"), "\(done.stdout)")
    }
}
