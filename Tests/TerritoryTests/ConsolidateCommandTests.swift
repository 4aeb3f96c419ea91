import Foundation
import TerritoryGenerator
import GRDB
import TestSupport
import Testing
@testable import Territory

/// The built `cyberctl` end to end: consolidate an inbox of generated signed reports, kill an ingest,
/// run two at once, read every view in every format, render the dashboard in headless Chromium.
@Suite("consolidate and territory commands (built binary)")
struct ConsolidateCommandTests {
    /// A generated territory (real CA, real signatures) in a temporary folder; its store a SQLite file there, or a
    /// fresh PostgreSQL database with `CYBERCTL_TEST_STORE=postgresql` (`StoreUnderTest`).
    final class World: @unchecked Sendable {
        let folder: TemporaryDirectory
        let output: TerritoryGenerator.Output
        let engine = StoreUnderTest.current
        /// The store's location, for `--db` and `TerritoryStore(location:)`.
        let db: String

        init(entities: Int = 6, hosts: Int = 2, reports: Int = 24) throws {
            folder = try TemporaryDirectory(prefix: "cyberctl-consolidate")
            db = try engine.newLocation(sqlitePath: folder.url("territory.sqlite"))
            output = try TerritoryGenerator(entities: entities, hostsPerEntity: hosts, reports: reports).generate(into: folder.path)
        }

        func cyberctl(_ arguments: [String], environment: [String: String]? = nil) throws -> Command.Output {
            try BuiltBinary.run(arguments, environment: environment)
        }

        func consolidate(_ extra: [String] = []) throws -> Command.Output {
            try cyberctl(["consolidate", output.inbox, "--db", db, "--ca", output.caFile] + extra)
        }
    }

    @Test("consolidate stores every generated report, says so in one line, and is idempotent")
    func consolidate() throws {
        let world = try World()
        let first = try world.consolidate(["--lang", "en"])
        #expect(first.exitCode == 0, "\(first.stderr)")
        #expect(first.stdout.contains("24 reports found: 24 stored"), "\(first.stdout)")
        let second = try world.consolidate(["--format", "json"])
        #expect(second.exitCode == 0)
        let summary = try JSONDecoder().decode(IngestSummary.self, from: Data(second.stdout.utf8))
        #expect(summary.found == 24 && summary.stored == 0 && summary.unchanged == 24 && summary.alreadyStored == 0)
        let store = try TerritoryStore(location: world.db, create: false)
        #expect(try store.counts().reports == 24)
        let declared = try store.read { db in try db.fetchOne(Int.self, sql: "SELECT SUM(resultCount) FROM report") }
        #expect(try store.counts().results == declared)
        #expect(declared == 24 * 62, "the generator writes 62 results per report")
    }

    @Test("Exit codes: 65 when a file is refused, 66 for a missing folder, CA or store")
    func exitCodes() throws {
        let world = try World(entities: 1, hosts: 1, reports: 2)
        try world.folder.write("inbox/stray.json", "{}")
        let refused = try world.consolidate()
        #expect(refused.exitCode == 65, "\(refused.stdout) \(refused.stderr)")
        #expect(refused.stdout.contains("2 enregistrés"))
        #expect(refused.stdout.contains("signature-missing 1"))
        let rejected = try world.cyberctl(["territory", "rejected", "--db", world.db, "--format", "json"])
        #expect(rejected.exitCode == 0)
        #expect(rejected.stdout.contains("\"code\" : \"signature-missing\""))
        #expect(try world.cyberctl(["consolidate", world.folder.url("nowhere"), "--db", world.db, "--ca", world.output.caFile]).exitCode == 66)
        #expect(try world.cyberctl(["consolidate", world.output.inbox, "--db", world.db, "--ca", world.folder.url("no-ca.pem")]).exitCode == 66)
        #expect(try world.cyberctl(["territory", "status", "--db", try world.engine.absentLocation(sqlitePath: world.folder.url("absent.sqlite"))]).exitCode == 66)
        #expect(try world.cyberctl(["territory", "entity", "123456789", "--db", world.db]).exitCode == 64)
        #expect(try world.cyberctl(["territory", "host", "nowhere", "--db", world.db]).exitCode == 66)
    }

    /// About the default SQLite file (no `--db`): left out of the PostgreSQL pass (`.sqliteOnly`).
    @Test("Without --db the store goes to $XDG_DATA_HOME/cyberctl/territory.sqlite", .sqliteOnly)
    func defaultStore() throws {
        let world = try World(entities: 1, hosts: 1, reports: 1)
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_DATA_HOME"] = world.folder.url("xdg")
        let output = try world.cyberctl(["consolidate", world.output.inbox, "--ca", world.output.caFile], environment: environment)
        #expect(output.exitCode == 0, "\(output.stderr)")
        #expect(FileManager.default.fileExists(atPath: world.folder.url("xdg/cyberctl/territory.sqlite")))
        let status = try world.cyberctl(["territory", "status", "--format", "json"], environment: environment)
        #expect(status.exitCode == 0)
        #expect(status.stdout.contains(TerritoryGenerator.siren(0)))
    }

    @Test("Every view answers in every format")
    func viewsInEveryFormat() throws {
        let world = try World()
        #expect(try world.consolidate().exitCode == 0)
        let siren = TerritoryGenerator.siren(0)
        let commands: [[String]] = [
            ["status"], ["findings", "--top", "5"], ["findings", "--domain", "tls", "--severity", "high"], ["certificates", "--expiring", "60d"],
            ["host", "srv-01"], ["entity", siren], ["trend"], ["rejected"],
        ]
        for command in commands {
            for format in ["table", "json", "csv", "markdown", "html"] {
                let output = try world.cyberctl(["territory"] + command + ["--db", world.db, "--format", format])
                #expect(output.exitCode == 0, "\(command) \(format): \(output.stderr)")
                #expect(!output.stdout.isEmpty, "\(command) \(format)")
                switch format {
                case "json": #expect((try? JSONSerialization.jsonObject(with: Data(output.stdout.utf8))) != nil, "\(command) json")
                case "html": #expect(output.stdout.hasPrefix("<!DOCTYPE html>") && output.stdout.hasSuffix("</html>\n"), "\(command) html")
                case "csv": #expect(output.stdout.contains("\r\n"), "\(command) csv")
                case "markdown": #expect(output.stdout.contains("| --- |"), "\(command) markdown")
                default: break
                }
            }
        }
        let status = try world.cyberctl(["territory", "status", "--db", world.db, "--format", "json"])
        let decoded = try JSONDecoder().decode(StatusView.self, from: Data(status.stdout.utf8))
        #expect(decoded.entities.count == 6)
        #expect(decoded.entities.allSatisfy { $0.hosts == 2 })
        let host = try world.cyberctl(["territory", "host", "srv-01", "--db", world.db, "--format", "json", "--lang", "en"])
        // srv-01 exists in every entity: one detail per entity.
        let hosts = try JSONDecoder().decode([DetailView].self, from: Data(host.stdout.utf8))
        #expect(hosts.count == 6)
        #expect(hosts.allSatisfy { $0.reports.count == 1 && $0.results.count == 62 })
    }

    @Test("A killed ingest keeps every committed report whole and loses nothing; the next run completes it")
    func killedIngest() throws {
        let world = try World(entities: 20, hosts: 5, reports: 300)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try BuiltBinary.path)
        process.arguments = ["consolidate", world.output.inbox, "--db", world.db, "--ca", world.output.caFile, "--batch-size", "1"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait until some reports are committed, then SIGKILL in the middle of the ingest.
        var committed = 0
        while process.isRunning && committed < 20 {
            if world.engine != .sqlite || FileManager.default.fileExists(atPath: world.db),
               let store = try? TerritoryStore(location: world.db, create: false, readOnly: true),
               let count = try? store.read({ db in try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM report") }) {
                committed = count ?? 0
            }
            usleep(5_000)
        }
        let wasRunning = process.isRunning
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        #expect(wasRunning, "the ingest ended before it could be killed; the inbox is too small for this machine")
        #expect(process.terminationReason == .uncaughtSignal)

        let store = try TerritoryStore(location: world.db, create: false)
        #expect(try store.dialect != .sqlite || store.integrityCheck() == "ok", "SQLite's integrity_check (PostgreSQL has none)")
        #expect(try store.incompleteReports().isEmpty, "every stored report has all its results")
        let stored = try store.counts().reports
        #expect(stored >= 20 && stored < 300, "killed mid-ingest: \(stored) of 300 stored")
        let orphans = try store.read { db in
            try db.fetchOne(Int.self, sql: "SELECT COUNT(*) FROM result WHERE reportKey NOT IN (SELECT key FROM report)")
        }
        #expect(orphans == 0)

        let resumed = try world.consolidate(["--format", "json"])
        #expect(resumed.exitCode == 0, "\(resumed.stderr)")
        let summary = try JSONDecoder().decode(IngestSummary.self, from: Data(resumed.stdout.utf8))
        #expect(summary.alreadyStored + summary.unchanged >= stored, "what was committed before the kill is still there")
        #expect(summary.stored + summary.alreadyStored + summary.unchanged == 300)
        #expect(try store.counts().reports == 300)
        #expect(try store.incompleteReports().isEmpty)
    }

    @Test("Two consolidate processes on the same inbox and store at once: every report once, store sound")
    func twoProcessesAtOnce() throws {
        let world = try World(entities: 10, hosts: 3, reports: 90)
        let arguments = ["consolidate", world.output.inbox, "--db", world.db, "--ca", world.output.caFile, "--format", "json", "--batch-size", "4"]
        let outputs = Slots<Command.Output>(count: 2)
        DispatchQueue.concurrentPerform(iterations: 2) { index in
            outputs[index] = try? BuiltBinary.run(arguments)
        }
        let results = outputs.values
        for output in results { #expect(output.exitCode == 0, "\(output.stderr)") }
        let summaries = try results.map { try JSONDecoder().decode(IngestSummary.self, from: Data($0.stdout.utf8)) }
        #expect(summaries[0].stored + summaries[1].stored == 90)
        #expect(summaries.map { $0.alreadyStored + $0.unchanged }.reduce(0, +) == 90)
        let store = try TerritoryStore(location: world.db, create: false)
        #expect(try store.counts().reports == 90)
        #expect(try store.counts().hosts == 30)
        #expect(try store.dialect != .sqlite || store.integrityCheck() == "ok", "SQLite's integrity_check (PostgreSQL has none)")
        #expect(try store.incompleteReports().isEmpty)
    }

    static var chromium: String? { ["chromium", "chromium-browser", "google-chrome"].lazy.compactMap { try? Command.which($0) }.first }

    @Test("The HTML dashboard renders in headless Chromium: a non-empty screenshot and the key texts", .enabled(if: chromium != nil))
    func dashboardInChromium() throws {
        let world = try World(entities: 12, hosts: 2, reports: 48)
        #expect(try world.consolidate().exitCode == 0)
        let html = try world.cyberctl(["territory", "status", "--db", world.db, "--format", "html"])
        #expect(html.exitCode == 0)
        let page = try world.folder.write("dashboard.html", html.stdout)
        let browser = try #require(Self.chromium)
        let flags = ["--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--user-data-dir=\(world.folder.url("chromium-profile"))"]
        let dom = try Command.run(browser, flags + ["--dump-dom", "file://\(page)"])
        #expect(dom.exitCode == 0, "\(dom.stderr)")
        for text in ["Tableau de bord du territoire", "Carte de chaleur", "Répartition des membres par niveau", "Évolution du score du territoire",
                     "Échéancier des certificats", "À corriger d'abord", TerritoryGenerator.entityName(0)] {
            #expect(dom.stdout.contains(text), "rendered DOM lacks \(text)")
        }
        #expect(dom.stdout.components(separatedBy: "<rect").count > 12 * 5, "one heat-map cell per entity and domain")
        let shot = world.folder.url("dashboard.png")
        let screenshot = try Command.run(browser, flags + ["--window-size=1400,2000", "--screenshot=\(shot)", "file://\(page)"])
        #expect(screenshot.exitCode == 0, "\(screenshot.stderr)")
        let png = try Data(contentsOf: URL(fileURLWithPath: shot))
        #expect(png.starts(with: [0x89, 0x50, 0x4E, 0x47]))
        // A blank page compresses to a few KB; the dashboard's charts and tables do not.
        #expect(png.count > 50_000, "screenshot of \(png.count) bytes looks empty")
    }
}
