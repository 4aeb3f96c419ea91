import Agent
import Checks
import Foundation
import Incidents
import Model
import Rendering
import TestSupport
import Testing
@testable import Territory

/// `StoreCopy` and `cyberctl territory migrate` (issue 20): the fixture store of Tests/Fixtures/store-v8 (reports,
/// a refusal, a roster, incidents) copied SQLite → PostgreSQL → SQLite on a throwaway cluster; every view of the
/// copy prints the same bytes as the original's.
@Suite("territory migrate: a whole store copied between SQLite and PostgreSQL", .serialized)
struct StoreMigrateTests {
    /// Every JSON view the commands print (`--format json`), at the fixture's instant, with the roster and the
    /// incidents (`territory roster show`, `incident list`) encoded from what the store returns.
    static func views(_ store: TerritoryStore) throws -> [(String, String)] {
        let now = StoreFixtureTests.now
        let fr = TerritoryViews(store: store, now: now, language: .fr)
        let en = TerritoryViews(store: store, now: now, language: .en)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        encoder.dateEncodingStrategy = .iso8601
        return [
            ("status", try ViewJSON.encode(fr.status(fixes: 3))),
            ("status en", try ViewJSON.encode(en.status(fixes: 3))),
            ("status filtered", try ViewJSON.encode(fr.status(fixes: 0, filter: ViewFilter(entities: ["200000016"], domain: .tls)))),
            ("findings", try ViewJSON.encode(fr.findings())),
            ("findings en filtered", try ViewJSON.encode(en.findings(filter: ViewFilter(entities: ["200000008"])))),
            ("certificates", try ViewJSON.encode(fr.certificates(expiringWithinDays: 60))),
            ("agents", try ViewJSON.encode(fr.agentCertificates(expiringWithinDays: 500))),
            ("trend", try ViewJSON.encode(fr.trend())),
            ("entity", try ViewJSON.encode(fr.entity("200000008"))),
            ("host", try ViewJSON.encode(fr.host("SRV-01"))),
            ("rejected", try ViewJSON.encode(fr.rejected(includeResolved: true))),
            ("alerts", try ViewJSON.encode(fr.alerts(withinDays: 30, filter: ViewFilter()).view)),
            ("roster", String(decoding: try encoder.encode(store.roster()), as: UTF8.self)),
            ("roster import", String(decoding: try encoder.encode(store.rosterImport()), as: UTF8.self)),
            ("incidents", String(decoding: try encoder.encode(store.incidents()), as: UTF8.self)),
        ]
    }

    static func expectSameViews(_ copy: TerritoryStore, as original: TerritoryStore, _ what: String) throws {
        let expected = try views(original)
        let printed = try views(copy)
        for ((name, want), (_, got)) in zip(expected, printed) {
            #expect(got == want, "\(what): view \(name) differs")
        }
        // The views really hold something: a copy of nothing would compare equal too.
        #expect(expected.first { $0.0 == "status" }.map { $0.1.contains("200000008") } == true)
        #expect(try original.incidents().count == 2)
        #expect(try original.roster() != nil)
    }

    /// Keys and their references, which the views join on but do not print.
    static func keys(_ store: TerritoryStore) throws -> [String] {
        try store.read { db in
            try db.fetchRows(sql: "SELECT key, id, hostID, sha256 FROM report ORDER BY key").map { row in
                "\(row[0] as Int64) \(row[1] as String) \(row[2] as Int64) \(row[3] as String)"
            } + db.fetchRows(sql: "SELECT id, siren, hostname, latestReportKey FROM host ORDER BY id").map { row in
                "\(row[0] as Int64) \(row[1] as String) \(row[2] as String) \(row[3] as Int64?)"
            }
        }
    }

    @Test("SQLite → PostgreSQL → SQLite: same views, same keys, same row counts; the copies take new rows after the last keys")
    func roundTrip() throws {
        let folder = try TemporaryDirectory()
        let original = try TerritoryStore(path: try StoreFixtureTests.copy(folder), create: false, readOnly: true)
        let cluster = try PostgresCluster.shared()
        let postgres = try TerritoryStore(location: try cluster.createDatabase(prefix: "migrate"), create: true)
        let counts = try StoreCopy.copy(from: original, to: postgres)
        #expect(counts.map(\.table) == StoreCopy.tables)
        #expect(counts.allSatisfy { $0.source == $0.target })
        #expect(counts.first { $0.table == "report" }?.target == 16)
        #expect(counts.first { $0.table == "incident_log" }.map { $0.target > 0 } == true)
        #expect(try postgres.incompleteReports().isEmpty)
        try Self.expectSameViews(postgres, as: original, "SQLite → PostgreSQL")
        #expect(try Self.keys(postgres) == Self.keys(original))

        let back = try TerritoryStore(path: folder.url("back.sqlite"), create: true)
        _ = try StoreCopy.copy(from: postgres, to: back)
        try Self.expectSameViews(back, as: original, "PostgreSQL → SQLite")
        #expect(try Self.keys(back) == Self.keys(original))
        #expect(try back.integrityCheck() == "ok")

        // The identity sequences were moved past the copied keys: a new incident takes the next id.
        let next = try postgres.openIncident(NewIncident(title: "Après migration", siren: nil, awareAt: StoreFixtureTests.now, personalData: false, significant: .unknown, hosts: []))
        #expect(next == 3)
        let rejectionID = try postgres.write { db in
            try db.fetchOne(Int64.self, sql: """
                INSERT INTO rejection (path, sha256, code, message, firstSeen, lastSeen) VALUES ('/x', 'y', 'z', 'm', 0, 0) RETURNING id
                """)
        }
        #expect(rejectionID == 2)
    }

    @Test("A target that holds anything is refused and left as it was; a failure half-way leaves the target empty")
    func refusalsAndFailures() throws {
        let folder = try TemporaryDirectory()
        let original = try TerritoryStore(path: try StoreFixtureTests.copy(folder), create: false, readOnly: true)
        let cluster = try PostgresCluster.shared()
        let uri = try cluster.createDatabase(prefix: "migrate_full")
        let target = try TerritoryStore(location: uri, create: true)
        _ = try StoreCopy.copy(from: original, to: target)
        let before = try StoreCopy.counts(of: target)
        do {
            _ = try StoreCopy.copy(from: original, to: target)
            Issue.record("a non-empty target was accepted")
        } catch let error as InputError {
            #expect(error.kind == .io)
            #expect(error.message.contains("n'est pas vide"))
            #expect(error.englishMessage.contains("not empty"))
        }
        #expect(try StoreCopy.counts(of: target) == before)

        // A trigger refuses the 100th result: everything copied before it is rolled back.
        let failing = try cluster.createDatabase(prefix: "migrate_fail")
        let failingStore = try TerritoryStore(location: failing, create: true)
        let name = String(failing.split(separator: "/").last!.split(separator: "?").first!)
        try cluster.psql("""
            CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN IF (SELECT COUNT(*) FROM result) >= 100 THEN RAISE EXCEPTION 'disk full (simulated)'; END IF; RETURN NEW; END $$;
            CREATE TRIGGER refuse BEFORE INSERT ON result FOR EACH ROW EXECUTE FUNCTION refuse();
            """, database: name)
        do {
            _ = try StoreCopy.copy(from: original, to: failingStore)
            Issue.record("the trigger did not stop the copy")
        } catch let error as InputError {
            #expect(error.kind == .io)
            #expect(error.message.contains("disk full (simulated)"), "\(error.message)")
        }
        #expect(try StoreCopy.counts(of: failingStore).values.allSatisfy { $0 == 0 })
    }

    @Test("cyberctl territory migrate: the counts table, French then --lang en, 74 for a non-empty target, 66 for a missing source")
    func command() throws {
        let folder = try TemporaryDirectory()
        let source = try StoreFixtureTests.copy(folder)
        let cluster = try PostgresCluster.shared()
        let uri = try cluster.createDatabase(prefix: "migrate_cli")
        let first = try BuiltBinary.run(["territory", "migrate", "--from", source, "--to", uri])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.stdout.contains("copie vérifiée : 25 tables"), "\(first.stdout)")
        #expect(first.stdout.contains("report"))
        #expect(!first.stdout.contains(PostgresCluster.password) && !first.stderr.contains(PostgresCluster.password))
        let json = try BuiltBinary.run(["territory", "migrate", "--from", uri, "--to", folder.url("back.sqlite"), "--format", "json", "--lang", "en"])
        #expect(json.exitCode == 0, "\(json.stderr)")
        #expect(json.stdout.contains("\"table\" : \"result\"") || json.stdout.contains("\"table\":\"result\""), "\(json.stdout)")
        let again = try BuiltBinary.run(["territory", "migrate", "--from", source, "--to", uri, "--lang", "en"])
        #expect(again.exitCode == 74)
        #expect(again.stderr.contains("the target store is not empty"), "\(again.stderr)")
        let missing = try BuiltBinary.run(["territory", "migrate", "--from", folder.url("absent.sqlite"), "--to", folder.url("new.sqlite")])
        #expect(missing.exitCode == 66, "\(missing.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder.url("new.sqlite")))
        // Views of the copy, through the binary, as those of the original.
        // (The other views print the time they were made: StoreMigrateTests.views compares them at a fixed instant.)
        let now = "2026-03-01T10:00:00Z"
        for arguments in [
            ["territory", "rejected", "--all"], ["territory", "roster", "show"], ["incident", "list", "--now", now],
            ["territory", "alerts", "--within", "30", "--now", now],
        ] {
            let a = try BuiltBinary.run(arguments + ["--format", "json", "--db", source])
            let b = try BuiltBinary.run(arguments + ["--format", "json", "--db", uri])
            #expect(a.exitCode == b.exitCode, "\(a.stderr) \(b.stderr)")
            #expect(a.stdout.count > 100, "\(arguments): \(a.stdout) \(a.stderr)")
            #expect(a.stdout == b.stdout, "\(arguments)")
        }
    }

    @Test("Every table a migration creates is one StoreCopy copies")
    func tableListIsComplete() throws {
        let folder = try TemporaryDirectory()
        let store = try TerritoryStore(path: folder.url("t.sqlite"))
        let tables = try store.read { try StoreCopy.tableNames($0) }
        #expect(tables == Set(StoreCopy.tables))
    }
}
