import Agent
import Checks
import Foundation
import GRDB
import Model
import TestSupport
import Testing
@testable import Territory
import Trust
import OpenSSLKit

/// Ingest of real signed reports into a real SQLite store.
@Suite("Territory ingest")
struct IngestTests {
    typealias F = TerritoryFixture

    @Test("Verified reports are stored with all their results; ingesting again stores nothing twice")
    func idempotent() throws {
        let fixture = try F()
        try fixture.write("a/r1.json", daysAgo: 3, results: F.mixed(0))
        try fixture.write("a/r2.json", daysAgo: 1, results: F.mixed(1))
        try fixture.write("b/r1.json", siren: F.sirenB, host: "srv-lanveoc", daysAgo: 2, results: F.mixed(2))

        let first = try fixture.ingest()
        #expect(first.found == 3)
        #expect(first.stored == 3)
        #expect(first.rejected == 0, "\(first.rejectedByCode)")
        let counts = try fixture.store().counts()
        #expect(counts.entities == 2)
        #expect(counts.hosts == 2)
        #expect(counts.reports == 3)
        #expect(counts.results == 18)

        // Unchanged since they were stored: not read again.
        let second = try fixture.ingest()
        #expect(second.found == 3 && second.stored == 0 && second.alreadyStored == 0)
        #expect(second.unchanged == 3)
        // Read again on request: verified, and already stored.
        let reread = try fixture.ingest(reread: true)
        #expect(reread.stored == 0 && reread.alreadyStored == 3 && reread.unchanged == 0)
        let again = try fixture.store().counts()
        #expect(again.reports == 3 && again.results == 18 && again.rejections == 0)
        #expect(try fixture.engine != .sqlite || fixture.store().integrityCheck() == "ok", "SQLite's integrity_check (PostgreSQL has none)")
        #expect(try fixture.store().incompleteReports().isEmpty)
    }

    @Test("A copy of the same report under another name is stored once")
    func copyStoredOnce() throws {
        let fixture = try F()
        let path = try fixture.write("r.json", daysAgo: 1, results: F.mixed())
        try fixture.folder.makeDirectory("inbox/copy")
        try FileManager.default.copyItem(atPath: path, toPath: fixture.folder.url("inbox/copy/r.json"))
        try FileManager.default.copyItem(atPath: path + ".p7s", toPath: fixture.folder.url("inbox/copy/r.json.p7s"))
        let summary = try fixture.ingest(batchSize: 1)
        #expect(summary.found == 2)
        #expect(summary.stored == 1)
        #expect(summary.alreadyStored == 1)
        #expect(try fixture.store().counts().reports == 1)
    }

    @Test("An older report never replaces a newer one as the host's latest; history is kept")
    func olderNeverReplacesNewer() throws {
        let fixture = try F()
        let newer = try fixture.write("new/r.json", daysAgo: 1, results: [F.result("tls.hsts", .pass)])
        try fixture.write("old/r.json", daysAgo: 5, results: [F.result("tls.hsts", .fail)])
        // Newer first, then older: the latest must stay the newer one.
        let first = try fixture.ingest([fixture.folder.url("inbox/new")])
        #expect(first.stored == 1)
        let second = try fixture.ingest([fixture.folder.url("inbox/old")])
        #expect(second.stored == 1)
        #expect(second.storedAsHistory == 1)

        let detail = try #require(try fixture.views().host("srv-mairie").first)
        #expect(detail.reports.count == 1)
        #expect(detail.reports[0].sourcePath == newer)
        #expect(detail.score.score == 100)
        #expect(detail.trend.count == 2, "both reports are in the history")
        #expect(detail.trend.map(\.score) == [0, 100])
        let status = try fixture.views().status()
        #expect(status.entities.first?.score.score == 100)
        #expect(status.territory.reports == 2)
    }

    @Test("Refused files are recorded with their reason and left exactly as they were")
    func rejectedRecordedAndUntouched() throws {
        let fixture = try F()
        try fixture.write("good.json", daysAgo: 1, results: F.mixed())
        // Altered after signing.
        let altered = try fixture.write("altered.json", daysAgo: 1, results: F.mixed(1))
        var bytes = try Data(contentsOf: URL(fileURLWithPath: altered))
        let index = bytes.firstIndex(of: UInt8(ascii: "p"))!
        bytes[index] = UInt8(ascii: "P")
        try bytes.write(to: URL(fileURLWithPath: altered))
        // No signature.
        try fixture.write("unsigned.json", daysAgo: 1, results: F.mixed(), sign: false)
        // Signed by another entity's agent: SIREN mismatch.
        let foreign = try fixture.reportBytes(siren: F.sirenA, host: "srv-lanveoc", daysAgo: 1, results: F.mixed())
        try fixture.folder.write("inbox/foreign.json", Data(foreign))
        try fixture.folder.write("inbox/foreign.json.p7s", Data(try fixture.signer(siren: F.sirenB, host: "srv-lanveoc").sign(foreign)))
        // Garbage signature, and a report that is not JSON.
        try fixture.write("garbage.json", daysAgo: 1, results: F.mixed())
        try fixture.folder.write("inbox/garbage.json.p7s", "not a signature")
        try fixture.folder.write("inbox/notjson.json", "{\"schema\": ")
        try fixture.folder.write("inbox/notjson.json.p7s", Data(try fixture.signer(siren: F.sirenA, host: "srv-mairie").sign(Array("{\"schema\": ".utf8))))
        try FileManager.default.setAttributes([.posixPermissions: 0o400], ofItemAtPath: fixture.folder.url("inbox/unsigned.json"))

        let before = try fixture.snapshot()
        let summary = try fixture.ingest()
        #expect(summary.stored == 1)
        #expect(summary.rejected == 5)
        let after = try fixture.snapshot()
        #expect(Set(before.keys) == Set(after.keys), "no file was added, moved or deleted")
        for (name, (data, mtime, mode)) in before {
            #expect(after[name]?.0 == data, "\(name) bytes changed")
            #expect(after[name]?.1 == mtime, "\(name) mtime changed")
            #expect(after[name]?.2 == mode, "\(name) mode changed")
        }

        let rejected = try fixture.views().rejected().rejections
        let codes = Dictionary(uniqueKeysWithValues: rejected.map { (URL(fileURLWithPath: $0.path).lastPathComponent, $0.code) })
        #expect(codes["altered.json"] == "content-mismatch")
        #expect(codes["unsigned.json"] == "signature-missing")
        #expect(codes["foreign.json"] == "siren-mismatch")
        #expect(codes["garbage.json"] == "signature-malformed")
        #expect(codes["notjson.json"] == "not-json")
        #expect(rejected.allSatisfy { !$0.message.isEmpty && $0.seen == 1 })
        #expect(rejected.first { $0.code == "signature-missing" }?.sha256 == Digest.sha256Hex(Array(try Data(contentsOf: URL(fileURLWithPath: fixture.folder.url("inbox/unsigned.json"))))))

        // Seen again: counted, not duplicated; still untouched.
        _ = try fixture.ingest()
        let again = try fixture.views().rejected().rejections
        #expect(again.count == 5)
        #expect(again.allSatisfy { $0.seen == 2 })
        #expect(try fixture.snapshot().mapValues(\.0) == before.mapValues(\.0))
    }

    @Test("A report is filed under the host and entity its certificate names: one server's key cannot replace another's latest report")
    func filedUnderCertificate() throws {
        let fixture = try F()
        let noBackup = F.mixed().filter { !$0.code.hasPrefix("backup.") } + [F.result("backup.present", .fail, .critical)]
        try fixture.write("d2.json", host: "srv-d2", daysAgo: 2, results: noBackup)
        try fixture.write("d.json", host: "srv-d", daysAgo: 2, results: F.mixed())
        _ = try fixture.ingest()
        let before = try fixture.views().status()
        #expect(before.entities.first?.score.caps.contains { $0.rule == CapRule.backupNone.rawValue && $0.hosts == ["srv-d2"] } == true)

        // srv-d's key signs a good, newer report that claims to be srv-d2 of another commune's name.
        let forged = try fixture.reportBytes(host: "srv-d2", daysAgo: 1, results: F.mixed(), name: "Commune de Brest")
        try fixture.folder.write("inbox/forged.json", Data(forged))
        try fixture.folder.write("inbox/forged.json.p7s", Data(try fixture.signer(siren: F.sirenA, host: "srv-d").sign(forged)))
        let summary = try fixture.ingest()
        #expect(summary.stored == 1)
        // The fixture's CRL is past its next update: that warning too, once.
        #expect(summary.warnings.count == 3, "\(summary.warnings.map(\.en))")
        #expect(summary.warnings.contains { $0.en.hasPrefix("the CRL is out of date") })
        #expect(summary.warnings.allSatisfy { $0.reports == 1 && $0.example.hasSuffix("forged.json") })
        #expect(summary.warnings.contains { $0.en.contains("\"srv-d2\" differs from the certificate's host \"srv-d\"") })
        #expect(summary.warnings.contains { $0.en.contains("\"Commune de Brest\" differs from the certificate's \"Commune de Plouzané\"") })

        let after = try fixture.views().status()
        let entity = try #require(after.entities.first)
        #expect(entity.name == "Commune de Plouzané", "the certificate's name, not the report's")
        #expect(entity.score.caps.contains { $0.rule == CapRule.backupNone.rawValue && $0.hosts == ["srv-d2"] }, "srv-d2 still has no backup")
        let d = try fixture.views().host("srv-d")
        #expect(d.first?.reports.first?.sourcePath.hasSuffix("forged.json") == true, "filed as srv-d's latest report")
    }

    @Test("A refusal is marked resolved when the same bytes are accepted later (the right CA given)")
    func refusalResolved() throws {
        let fixture = try F()
        let other = try F()
        try fixture.write("r.json", daysAgo: 1, results: F.mixed())
        let wrongCA = try Ingest(store: try fixture.store(), verifier: try other.verifier()).run(try Inbox.discover([fixture.inbox]))
        #expect(wrongCA.rejectedByCode == ["untrusted-issuer": 1])
        #expect(try fixture.views().rejected().rejections.count == 1)
        let rightCA = try fixture.ingest()
        #expect(rightCA.stored == 1)
        #expect(try fixture.views().rejected().rejections.isEmpty)
        let history = try fixture.views().rejected(includeResolved: true).rejections
        #expect(history.count == 1 && history[0].code == "untrusted-issuer" && history[0].resolvedAt != nil)

        // A copy cut short, refused, then completed in place: the file's refusal is resolved too.
        let path = try fixture.write("cut.json", daysAgo: 2, results: F.mixed(3))
        let full = try Data(contentsOf: URL(fileURLWithPath: path))
        try full.prefix(full.count / 2).write(to: URL(fileURLWithPath: path))
        #expect(try fixture.ingest().rejectedByCode == ["content-mismatch": 1])
        #expect(try fixture.views().rejected().rejections.map(\.path) == [path])
        try full.write(to: URL(fileURLWithPath: path))
        #expect(try fixture.ingest().stored == 1)
        #expect(try fixture.views().rejected().rejections.isEmpty)
    }

    @Test("A second report reusing a stored report's id with other bytes is refused")
    func sameIDDifferentBytes() throws {
        let fixture = try F()
        let id = UUID().uuidString.lowercased()
        try fixture.write("a.json", daysAgo: 2, results: F.mixed(0), id: id)
        try fixture.write("b.json", daysAgo: 1, results: F.mixed(1), id: id)
        let summary = try fixture.ingest()
        #expect(summary.stored == 1)
        #expect(summary.rejectedByCode == [RejectionCode.reportIDConflict: 1])
        let rejection = try #require(try fixture.views().rejected().rejections.first)
        #expect(rejection.path.hasSuffix("b.json"))
        #expect(rejection.message.contains(id))
    }

    @Test("Two ingests of overlapping inboxes at once store every report exactly once")
    func concurrentIngests() async throws {
        let fixture = try F()
        for i in 0..<24 {
            try fixture.write("r\(i).json", siren: i % 2 == 0 ? F.sirenA : F.sirenB, host: "srv-\(i % 3)", daysAgo: Double(i) / 4 + 0.1, results: F.mixed(i))
        }
        let verifier = try fixture.verifier()
        let files = try Inbox.discover([fixture.inbox])
        // Two stores (two connection pools, as two processes would have), small batches to interleave.
        async let one = Task.detached { try Ingest(store: try TerritoryStore(location: fixture.storeLocation), verifier: verifier, batchSize: 2).run(files) }.value
        async let two = Task.detached { try Ingest(store: try TerritoryStore(location: fixture.storeLocation), verifier: verifier, batchSize: 3).run(files.reversed()) }.value
        let (a, b) = try await (one, two)
        #expect(a.stored + b.stored == 24)
        #expect(a.alreadyStored + b.alreadyStored + a.unchanged + b.unchanged == 24)
        let counts = try fixture.store().counts()
        #expect(counts.reports == 24)
        #expect(counts.results == 24 * 6)
        #expect(counts.hosts == 6)
        #expect(try fixture.engine != .sqlite || fixture.store().integrityCheck() == "ok", "SQLite's integrity_check (PostgreSQL has none)")
        #expect(try fixture.store().incompleteReports().isEmpty)
        // Each host's latest is its newest report, whichever ingest stored it.
        let wrongLatest = try fixture.store().read { db in
            try db.fetchOne(Int.self, sql: """
                SELECT COUNT(*) FROM host h JOIN report r ON r.key = h.latestReportKey
                WHERE r.generatedAt != (SELECT MAX(generatedAt) FROM report WHERE hostID = h.id)
                """)
        }
        #expect(wrongLatest == 0)
        // The entity sums kept at ingest equal the sums recomputed from every host's latest report.
        let drift = try fixture.store().read { db in
            try db.fetchOne(Int.self, sql: """
                SELECT COUNT(*) FROM (
                    SELECT h.siren, d.domain, SUM(d.weight) AS w, SUM(d.earned) AS e, SUM(d.failing) AS f, SUM(d.warning) AS wa
                    FROM host h JOIN report_domain d ON d.reportKey = h.latestReportKey GROUP BY h.siren, d.domain) x
                LEFT JOIN entity_domain ed ON ed.siren = x.siren AND ed.domain = x.domain
                WHERE ed.weight IS NULL OR ed.weight != x.w OR ed.earned != x.e OR ed.failing != x.f OR ed.warning != x.wa
                """)
        }
        #expect(drift == 0)
        let resultDrift = try fixture.store().read { db in
            try db.fetchOne(Int.self, sql: """
                SELECT COUNT(*) FROM entity e WHERE e.latestResults != (SELECT SUM(r.resultCount) FROM host h JOIN report r ON r.key = h.latestReportKey WHERE h.siren = e.siren)
                """)
        }
        #expect(resultDrift == 0)
    }

    @Test("Discovery finds reports recursively, pairs signatures, skips hidden files; a missing folder is an input error")
    func discovery() throws {
        let fixture = try F()
        try fixture.folder.write("inbox/a/b/c/r.json", "{}")
        try fixture.folder.write("inbox/a/r.json.p7s", "x")
        try fixture.folder.write("inbox/.hidden.json", "{}")
        try fixture.folder.write("inbox/notes.txt", "x")
        let files = try Inbox.discover([fixture.inbox])
        #expect(files.map { $0.reportPath } == [fixture.folder.url("inbox/a/b/c/r.json")])
        #expect(files.first?.signaturePath == fixture.folder.url("inbox/a/b/c/r.json.p7s"))
        #expect(throws: InputError.self) { try Inbox.discover([fixture.folder.url("nowhere")]) }
    }

    @Test("The default store path follows XDG_DATA_HOME, else ~/.local/share")
    func defaultPath() {
        #expect(TerritoryStore.defaultPath(environment: ["XDG_DATA_HOME": "/data", "HOME": "/home/x"]) == "/data/cyberctl/territory.sqlite")
        #expect(TerritoryStore.defaultPath(environment: ["XDG_DATA_HOME": "relative", "HOME": "/home/x"]) == "/home/x/.local/share/cyberctl/territory.sqlite")
        #expect(TerritoryStore.defaultPath(environment: ["HOME": "/home/x"]) == "/home/x/.local/share/cyberctl/territory.sqlite")
    }

    /// About the SQLite file itself (mode, WAL): left out of the PostgreSQL pass (`.sqliteOnly`).
    @Test("The store is a WAL database, not readable by others, with every migration applied", .sqliteOnly)
    func storeFile() throws {
        let fixture = try F(store: .sqlite)
        let store = try fixture.store()
        let mode = (try FileManager.default.attributesOfItem(atPath: store.path)[.posixPermissions] as! NSNumber).intValue
        #expect(mode & 0o077 == 0)
        let journal = try store.read { db in try db.fetchOne(String.self, sql: "PRAGMA journal_mode") }
        #expect(journal == "wal")
        #expect(try DatabaseQueue(path: store.path).read { db in try SQLiteBackend.migrator.hasCompletedMigrations(db) })
        #expect(throws: InputError.self) { try TerritoryStore(path: fixture.folder.url("absent.sqlite"), create: false) }
    }
}
