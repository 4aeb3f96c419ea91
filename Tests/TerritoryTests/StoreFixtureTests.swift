import Agent
import Checks
import Foundation
import GRDB
import Incidents
import Rendering
import TestSupport
import Testing
@testable import Territory

/// A store written by cyberctl before the store spoke `SQLConnection` (Tests/Fixtures/store-v8, made by a859c8c
/// with GRDB's migrations v1–v8), opened by the current code: no migration is pending, and every view prints the
/// bytes that cyberctl printed from it at the same instant. About a SQLite file: left out of the PostgreSQL pass
/// (`.sqliteOnly`).
@Suite("A store made before SQLConnection opens and reads the same", .sqliteOnly)
struct StoreFixtureTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/store-v8").path
    /// 2026-03-01T10:00:00Z, when the fixture's views were printed.
    static let now = Date(timeIntervalSince1970: 1_772_359_200)

    static func expected(_ name: String) throws -> String {
        try String(contentsOfFile: fixtures + "/" + name, encoding: .utf8)
    }

    /// A copy of the fixture store in a fresh folder.
    static func copy(_ folder: TemporaryDirectory) throws -> String {
        let path = folder.url("territory.sqlite")
        try FileManager.default.copyItem(atPath: fixtures + "/territory.sqlite", toPath: path)
        return path
    }

    /// Every view of the fixture, as `cyberctl … --format json` prints it (`ViewJSON`), against the file it printed.
    static func expectSameViews(_ store: TerritoryStore) throws {
        let fr = TerritoryViews(store: store, now: now, language: .fr)
        let en = TerritoryViews(store: store, now: now, language: .en)
        let views: [(String, () throws -> String)] = [
            ("status.fr.json", { try ViewJSON.encode(fr.status(fixes: 3)) }),
            ("status.en.json", { try ViewJSON.encode(en.status(fixes: 3)) }),
            ("status.filtered.json", { try ViewJSON.encode(fr.status(fixes: 0, filter: ViewFilter(entities: ["200000016"], domain: .tls))) }),
            ("findings.fr.json", { try ViewJSON.encode(fr.findings()) }),
            ("findings.filtered.en.json", { try ViewJSON.encode(en.findings(filter: ViewFilter(entities: ["200000008"]))) }),
            ("certificates.json", { try ViewJSON.encode(fr.certificates(expiringWithinDays: 60)) }),
            ("agents.json", { try ViewJSON.encode(fr.agentCertificates(expiringWithinDays: 500)) }),
            ("trend.json", { try ViewJSON.encode(fr.trend()) }),
            ("entity.json", { try ViewJSON.encode(fr.entity("200000008")) }),
            // Upper case: a host is found whatever the case of its name.
            ("host.json", { try ViewJSON.encode(fr.host("SRV-01")) }),
            ("rejected.json", { try ViewJSON.encode(fr.rejected(includeResolved: true)) }),
            ("alerts.json", { try ViewJSON.encode(fr.alerts(withinDays: 30, filter: ViewFilter()).view) }),
        ]
        for (name, view) in views {
            let printed = try view()
            let expected = try expected(name)
            #expect(printed == expected, "\(name) differs from what cyberctl a859c8c printed")
            if printed != expected {
                // The first differing line, to read in the test log.
                let a = printed.split(separator: "\n", omittingEmptySubsequences: false)
                let b = expected.split(separator: "\n", omittingEmptySubsequences: false)
                if let line = zip(a, b).enumerated().first(where: { $0.element.0 != $0.element.1 }) {
                    Issue.record("\(name) line \(line.offset + 1): \(line.element.0) ≠ \(line.element.1)")
                }
            }
        }
    }

    @Test("Opened for writing: no migration pending, the same migrations recorded, every view the same bytes")
    func readWrite() throws {
        let folder = try TemporaryDirectory()
        let path = try Self.copy(folder)
        let store = try TerritoryStore(path: path, create: false)
        let applied = try store.read { db in try db.fetchAll(String.self, sql: "SELECT identifier FROM grdb_migrations ORDER BY rowid") }
        #expect(applied == TerritoryStore.migrations.map(\.id))
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.incompleteReports().isEmpty)
        let counts = try store.counts()
        #expect(counts.entities == 4 && counts.hosts == 8 && counts.reports == 16 && counts.rejections == 1)
        try Self.expectSameViews(store)
        #expect(try store.incidents().map(\.title) == ["Rançongiciel mairie", "Hameçonnage"])
    }

    @Test("Opened read-only, as the views' commands open it: every view the same bytes")
    func readOnly() throws {
        let folder = try TemporaryDirectory()
        let path = try Self.copy(folder)
        try Self.expectSameViews(try TerritoryStore(path: path, create: false, readOnly: true))
    }

    @Test("A migration left pending (v7-inbox-files) is applied by the current code, and the views are unchanged")
    func pendingMigration() throws {
        let folder = try TemporaryDirectory()
        let path = try Self.copy(folder)
        let queue = try DatabaseQueue(path: path)
        try queue.write { db in
            try db.execute(sql: "DROP TABLE inbox_file; DELETE FROM grdb_migrations WHERE identifier = 'v7-inbox-files'")
        }
        #expect(try queue.read { db in try SQLiteBackend.migrator.hasCompletedMigrations(db) } == false)
        try queue.close()
        let store = try TerritoryStore(path: path, create: false)
        #expect(try DatabaseQueue(path: path).read { db in try SQLiteBackend.migrator.hasCompletedMigrations(db) })
        #expect(try store.read { db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM inbox_file") } == 0)
        try Self.expectSameViews(store)
    }
}
