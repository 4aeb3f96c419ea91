import Agent
import Checks
import Foundation
import Model
import TerritoryGenerator
import GRDB
import TestSupport
import Testing
@testable import Territory
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// What a compromised agent's signed reports, a damaged or full disk, and odd store paths do to the
/// RSSI's side: the built binary (bounded by a timeout, so a hang fails instead of blocking the run) and
/// the store library.
@Suite("Hostile reports and a hostile disk against the store (built binary)", .serialized)
struct HostileStoreTests {
    static let timeout = 120.0

    /// The fixture's report JSON with `edit` applied, signed by the (siren, host) agent at `signingTime`
    /// (default: now), written into the inbox as `name`.
    @discardableResult
    static func writeEdited(
        _ fixture: TerritoryFixture, _ name: String, host: String = "srv-mairie", daysAgo: Double = 1,
        signingTime: Date = Date(), edit: (String) -> String
    ) throws -> String {
        let text = String(decoding: try fixture.reportBytes(host: host, daysAgo: daysAgo, results: TerritoryFixture.mixed()), as: UTF8.self)
        let bytes = Array(edit(text).utf8)
        let path = try fixture.folder.write("inbox/\(name)", Data(bytes))
        try fixture.folder.write("inbox/\(name).p7s", Data(try fixture.signer(siren: TerritoryFixture.sirenA, host: host).sign(bytes, signingTime: signingTime)))
        return path
    }

    static func replacing(_ pattern: String, with replacement: String) -> (String) -> String {
        { text in
            guard let range = text.range(of: pattern, options: .regularExpression) else {
                Issue.record("pattern \(pattern) not found")
                return text
            }
            return text.replacingCharacters(in: range, with: replacement)
        }
    }

    static func run(_ arguments: [String], environment: [String: String]? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> Command.Output {
        let run = try BuiltBinary.run(arguments, timeout: timeout, environment: environment)
        #expect(!run.timedOut, "cyberctl \(arguments.prefix(3).joined(separator: " ")) did not finish within \(Int(timeout)) s", sourceLocation: sourceLocation)
        return run.output
    }

    // MARK: Numbers

    @Test("A signed report with durationMs or population beyond Int.max is refused by verify and consolidate, which do not crash")
    func numbersBeyondIntMax() throws {
        let fixture = try TerritoryFixture()
        let ca = ["--ca", fixture.authority.certificatePath]
        let duration = try Self.writeEdited(fixture, "duration.json", edit: Self.replacing(#""durationMs" *: *[0-9]+"#, with: #""durationMs":9223372036854775808"#))
        let population = try Self.writeEdited(fixture, "population.json", host: "srv-2", edit: Self.replacing(#""population" *: *[0-9]+"#, with: #""population":1e19"#))
        try fixture.write("fine.json", host: "srv-3", daysAgo: 1, results: TerritoryFixture.mixed())
        for report in [duration, population] {
            let verify = try Self.run(["verify", report] + ca + ["--lang", "en"])
            #expect(verify.exitCode == 65, "\(verify.stdout)\(verify.stderr)")
            #expect(verify.stdout.contains("schema-violation") || verify.stdout.contains("does not follow the schema"), "\(verify.stdout)")
        }
        let db = fixture.storeLocation
        let consolidate = try Self.run(["consolidate", fixture.inbox, "--db", db, "--lang", "en"] + ca)
        #expect(consolidate.exitCode == 65, "a crash is a signal, not 65: \(consolidate.exitCode) \(consolidate.stderr)")
        #expect(consolidate.stdout.contains("1 stored"), "\(consolidate.stdout)")
        #expect(consolidate.stdout.contains("schema-violation 2"), "\(consolidate.stdout)")
        // And again: nothing in the inbox or the store makes a later consolidation crash.
        #expect(try Self.run(["consolidate", fixture.inbox, "--db", db] + ca).exitCode == 65)
        #expect(try Self.run(["territory", "status", "--db", db]).exitCode == 0)
    }

    @Test("The store converts no number with a trapping conversion: a verified document holding 1e19 is stored without trapping")
    func noTrappingConversion() throws {
        let fixture = try TerritoryFixture()
        let path = try fixture.write("r.json", daysAgo: 1, results: TerritoryFixture.mixed())
        let (bytes, signature) = try ReportVerifier.readPair(reportPath: path)
        let (verified, document) = try fixture.verifier().verifyDocument(reportBytes: bytes, signatureBytes: signature)
        // What a looser verifier (or a future schema) might let through: numbers a Double holds and Int does not.
        guard case .object(var root) = document, case .array(var results)? = root["results"], case .object(var first) = results[0],
              case .object(var entity)? = root["entity"]
        else { throw TestSupportError("unexpected document") }
        first["durationMs"] = .double(1e19)
        results[0] = .object(first)
        entity["population"] = .double(-1e300)
        root["results"] = .array(results)
        root["entity"] = .object(entity)
        let record = try ReportRecord(verified: verified, document: .object(root), path: path)
        #expect(record.results[0].durationMs == 0)
        #expect(record.entity.population == nil)
        #expect(try Ingest(store: fixture.store(), verifier: fixture.verifier()).ingest(verified: verified, document: .object(root), path: path) == .stored(latest: true))
    }

    // MARK: Dates

    @Test("A report dated 9999-12-31 (signed now) is refused by verify and consolidate, with its reason, and never becomes the latest")
    func futureGeneratedAt() throws {
        let fixture = try TerritoryFixture()
        let ca = ["--ca", fixture.authority.certificatePath]
        let future = try Self.writeEdited(fixture, "future.json", edit: Self.replacing(#""generatedAt" *: *"[^"]*""#, with: #""generatedAt":"9999-12-31T23:59:59Z""#))
        try fixture.write("real.json", daysAgo: 2, results: TerritoryFixture.mixed())
        let verify = try Self.run(["verify", future, "--lang", "en"] + ca)
        #expect(verify.exitCode == 65)
        #expect(verify.stdout.contains("report dated after its signature") && verify.stdout.contains("9999-12-31T23:59:59Z"), "\(verify.stdout)")
        let db = fixture.storeLocation
        let consolidate = try Self.run(["consolidate", fixture.inbox, "--db", db, "--format", "json"] + ca)
        #expect(consolidate.exitCode == 65)
        let summary = try JSONDecoder().decode(IngestSummary.self, from: Data(consolidate.stdout.utf8))
        #expect(summary.rejectedByCode == ["generated-after-signing": 1] && summary.stored == 1, "\(summary)")
        let host = try Self.run(["territory", "host", "srv-mairie", "--db", db, "--format", "json"])
        // One host of that name: one detail view.
        let detail = try JSONDecoder().decode(DetailView.self, from: Data(host.stdout.utf8))
        #expect(detail.reports.count == 1 && detail.reports.first?.generatedAt.hasPrefix("9999") == false, "\(host.stdout.prefix(400))")
        let trend = try Self.run(["territory", "trend", "--db", db])
        #expect(!trend.stdout.contains("9999") && !trend.stdout.contains("2099"))
        let rejected = try Self.run(["territory", "rejected", "--db", db, "--lang", "en"])
        #expect(rejected.stdout.contains("generated-after-signing"), "\(rejected.stdout)")

        // The collector's path (a report verified elsewhere handed to the store): the store applies the same rule.
        let path = try fixture.write("late.json", daysAgo: 1, results: TerritoryFixture.mixed())
        let (bytes, signature) = try ReportVerifier.readPair(reportPath: path)
        let (verified, document) = try fixture.verifier().verifyDocument(reportBytes: bytes, signatureBytes: signature)
        guard case .object(var root) = document else { throw TestSupportError("not an object") }
        root["generatedAt"] = .string("9999-12-31T23:59:59Z")
        let outcome = try Ingest(store: fixture.store(), verifier: fixture.verifier()).ingest(verified: verified, document: .object(root), path: path)
        guard case .rejected(let code, let message) = outcome else {
            Issue.record("a future generatedAt was stored: \(outcome)")
            return
        }
        #expect(code == RejectionCode.reportInvalid && message.en.contains("after the signing time") && message.fr.contains("postérieur à la date de signature"), "\(message)")
    }

    @Test("Year 0000, month 13 and 31 April: verify and consolidate refuse them alike")
    func impossibleDates() throws {
        let fixture = try TerritoryFixture()
        let ca = ["--ca", fixture.authority.certificatePath]
        for (index, date) in ["0000-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-04-31T00:00:00Z"].enumerated() {
            let path = try Self.writeEdited(fixture, "d\(index).json", host: "srv-\(index)", edit: Self.replacing(#""generatedAt" *: *"[^"]*""#, with: "\"generatedAt\":\"\(date)\""))
            let verify = try Self.run(["verify", path, "--format", "json"] + ca)
            #expect(verify.exitCode == 65, "verify called \(date) valid")
        }
        let consolidate = try Self.run(["consolidate", fixture.inbox, "--db", fixture.storeLocation, "--format", "json"] + ca)
        let summary = try JSONDecoder().decode(IngestSummary.self, from: Data(consolidate.stdout.utf8))
        #expect(summary.rejected == 3 && summary.stored == 0, "\(summary)")
        #expect(summary.rejectedByCode[RejectionCode.reportInvalid] == nil, "the store and verify agree: \(summary.rejectedByCode)")
    }

    // MARK: Terminal

    @Test("Control characters in a signed report's host, entity and target never reach the terminal raw")
    func terminalEscapes() throws {
        let fixture = try TerritoryFixture()
        let ca = ["--ca", fixture.authority.certificatePath]
        let host = "srv\u{1B}[2J\u{1B}[H"
        let path = try Self.writeEdited(fixture, "escape.json") { text in
            var text = Self.replacing(#""hostname" *: *"[^"]*""#, with: #""hostname":"srv\u001b[2J\u001b[H""#)(text)
            text = Self.replacing(#""name" *: *"Commune de Plouzané""#, with: "\"name\":\"Mairie \u{202E}evil\u{9B}31m\\r\\n✓ valide\"")(text)
            return Self.replacing(#""target" *: *"mail:993""#, with: #""target":"mail\u0007\u001b]0;title\u0007""#)(text)
        }
        let db = fixture.storeLocation
        let outputs: [Command.Output] = [
            try Self.run(["verify", path] + ca),
            try Self.run(["verify", path, "--format", "json"] + ca),
            try Self.run(["consolidate", fixture.inbox, "--db", db] + ca),
            // Filed under its certificate's host: the claimed one reaches the terminal in consolidate's warning only.
            try Self.run(["territory", "host", "srv-mairie", "--db", db]),
            try Self.run(["territory", "entity", TerritoryFixture.sirenA, "--db", db, "--format", "markdown"]),
            try Self.run(["territory", "status", "--db", db]),
            try Self.run(["territory", "findings", "--db", db, "--format", "csv"]),
            try Self.run([
                "incident", "open", "--title", "Test", "--aware-at", "2026-03-28 10:00", "--entity", TerritoryFixture.sirenA, "--hosts", host,
                "--db", db, "--agent-config", fixture.folder.url("none.yaml")]),
            try Self.run(["incident", "draft", "1", "--stage", "early-warning", "--db", db, "--agent-config", fixture.folder.url("none.yaml")]),
            try Self.run(["incident", "show", "1", "--db", db]),
        ]
        for (index, output) in outputs.enumerated() {
            #expect(output.exitCode == 0, "command \(index): \(output.stderr)")
            for text in [output.stdout, output.stderr] {
                let unsafe = text.unicodeScalars.filter { TerminalText.isUnsafe($0) && $0 != "\n" && $0 != "\t" && $0 != "\r" }
                #expect(unsafe.isEmpty, "command \(index) printed \(unsafe.map { String(format: "U+%04X", $0.value) })")
            }
        }
        #expect(outputs[0].stdout.contains("srv\\u001b[2J"), "the escape stays visible: \(outputs[0].stdout)")
        #expect(outputs[2].stderr.contains("srv\\u001b[2J"), "consolidate names the claimed host, escaped: \(outputs[2].stderr)")
        // One line per field: the entity name's CR LF cannot start a line of its own saying "✓ valide".
        #expect(!outputs[0].stdout.split(separator: "\n").contains { $0.hasPrefix("✓ valide") })
        let json = try JSONSerialization.jsonObject(with: Data(outputs[1].stdout.utf8)) as? [[String: Any]]
        #expect((json?.first?["report"] as? [String: Any])?["hostname"] as? String == host, "JSON keeps the value")
    }

    // MARK: Options

    @Test("Numeric options out of range exit 64 naming the allowed range", arguments: [
        (["territory", "findings", "--top=-1"], "1 à 1000000"), (["territory", "findings", "--top", "0"], "1 à 1000000"),
        (["territory", "status", "--fixes=-3"], "0 à 1000"), (["territory", "status", "--fixes", "1001"], "0 à 1000"),
        (["territory", "certificates", "--expiring", "9999w"], "0 à 36500"), (["consolidate", "x", "--batch-size", "0"], "1 à 10000"),
        (["cert", "x.pem", "--warning-days", "99999999999"], "0 à 36500"), (["tls", "localhost", "--critical-days=-1"], "0 à 36500"),
        (["collect", "--listen", "127.0.0.1:0", "--tls-cert", "c", "--tls-key", "k", "--ca", "a", "--inbox", "i", "--workers", "100000"], "1 à 256"),
        (["collect", "--listen", "127.0.0.1:0", "--tls-cert", "c", "--tls-key", "k", "--ca", "a", "--inbox", "i", "--queue-limit=-1"], "0 à 100000"),
        (["nis2", "scope", "--kind", "commune", "--population", "100000001"], "0 à 100000000"),
    ])
    func optionRanges(arguments: [String], range: String) throws {
        let output = try Self.run(arguments)
        #expect(output.exitCode == 64, "\(arguments): \(output.exitCode) \(output.stderr)")
        #expect(output.stderr.contains(range), "\(arguments): \(output.stderr)")
    }

    // MARK: Store errors
    // About the SQLite file (a full disk, damaged pages, foreign files, read-only media, devices): these tests name
    // file paths and are left out of the PostgreSQL pass (`.sqliteOnly`); they run in the SQLite pass.

    /// A consolidated SQLite store of a generated territory.
    static func consolidatedStore(in folder: TemporaryDirectory, reports: Int = 24) throws -> (db: String, output: TerritoryGenerator.Output) {
        let output = try TerritoryGenerator(entities: 4, hostsPerEntity: 2, reports: reports).generate(into: folder.url("gen"))
        let db = folder.url("store/territory.sqlite")
        let consolidate = try run(["consolidate", output.inbox, "--db", db, "--ca", output.caFile])
        #expect(consolidate.exitCode == 0, "\(consolidate.stderr)")
        return (db, output)
    }

    static func mount(_ arguments: [String]) -> Bool {
        (try? Command.run("mount", arguments))?.exitCode == 0
    }

    @Test("Disk full during ingest: exit 74 naming the store, no internal error, the store still sound", .sqliteOnly)
    func diskFull() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-full")
        let output = try TerritoryGenerator(entities: 10, hostsPerEntity: 3, reports: 120).generate(into: folder.url("gen"))
        let small = try folder.makeDirectory("small")
        let db = small + "/territory.sqlite"
        // A 768 KiB tmpfs when this machine allows mounts (ENOSPC, SQLITE_FULL); else a 768 KiB file size limit on
        // the process (EFBIG with SIGXFSZ ignored, SQLITE_IOERR): both a store that cannot grow. 768 KiB holds the empty
        // store and its migrations with their WAL (256 KiB no longer did once v6-reason-fr was added, 512 KiB once
        // v17-trend-day was), not the 120 reports.
        let mounted = Self.mount(["-t", "tmpfs", "-o", "size=768k,mode=0700", "tmpfs", small])
        defer { if mounted { _ = try? Command.run("umount", [small]) } }
        let arguments = ["consolidate", output.inbox, "--db", db, "--ca", output.caFile]
        let result: Command.Output
        if mounted {
            result = try Self.run(arguments)
        } else {
            let binary = try BuiltBinary.path
            let bounded = try Command.run("bash", ["-c", "ulimit -f 768; exec \"$0\" \"$@\"", binary] + arguments, timeout: Self.timeout)
            #expect(!bounded.timedOut)
            result = bounded.output
        }
        #expect(result.exitCode == 74, "\(result.exitCode): \(result.stderr)")
        #expect(result.stderr.contains(db), "the store is named: \(result.stderr)")
        #expect(!result.stderr.contains("internal"), "\(result.stderr)")
        #expect(result.stderr.contains(mounted ? "le disque est plein" : "erreur d'entrée-sortie"), "\(result.stderr)")
        let check = try Self.run(["territory", "status", "--db", db, "--format", "json"])
        #expect(check.exitCode == 0, "the store remains readable: \(check.stderr)")
    }

    @Test("A damaged store or one missing a table: exit 74 naming the file, for views and consolidate", .sqliteOnly)
    func damagedStore() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-damaged")
        let (db, output) = try Self.consolidatedStore(in: folder)
        // Garbage over every page but the first (the schema): each table's pages are damaged.
        let corrupt = folder.url("corrupt.sqlite")
        var bytes = try Data(contentsOf: URL(fileURLWithPath: db))
        #expect(bytes.count > 8192)
        for index in 4096..<bytes.count { bytes[index] = UInt8(truncatingIfNeeded: index &* 31 &+ 7) }
        try bytes.write(to: URL(fileURLWithPath: corrupt))
        // A table dropped, the migrations' record intact.
        let missing = folder.url("missing.sqlite")
        try FileManager.default.copyItem(atPath: db, toPath: missing)
        #expect(try Command.run("sqlite3", [missing, "DROP TABLE result"]).exitCode == 0)
        // Not a database at all.
        let notADatabase = try folder.write("text.sqlite", String(repeating: "not a database\n", count: 500))
        let cases: [(String, [String])] = [
            (corrupt, ["territory", "status"]), (corrupt, ["territory", "findings"]), (corrupt, ["consolidate", output.inbox, "--ca", output.caFile]),
            (missing, ["territory", "host", "srv-01"]), (missing, ["territory", "entity", TerritoryGenerator.siren(0)]),
            (notADatabase, ["territory", "status"]), (notADatabase, ["consolidate", output.inbox, "--ca", output.caFile]),
        ]
        for (store, arguments) in cases {
            let result = try Self.run(arguments + ["--db", store, "--lang", "en"])
            #expect(result.exitCode == 74, "\(arguments) on \(store): \(result.exitCode) \(result.stderr)")
            #expect(result.stderr.contains(store), "\(arguments): \(result.stderr)")
            #expect(!result.stderr.contains("internal error"), "\(arguments): \(result.stderr)")
        }
    }

    @Test("An empty file or another program's database is not a store: read commands exit 74 and change nothing (never 'nothing to report')", .sqliteOnly)
    func notAStore() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-notastore")
        let empty = try folder.write("empty.sqlite", "")
        let foreign = folder.url("foreign.sqlite")
        #expect(try Command.run("sqlite3", [foreign, "CREATE TABLE foo (x INTEGER); INSERT INTO foo VALUES (1);"]).exitCode == 0)
        let foreignBytes = try Data(contentsOf: URL(fileURLWithPath: foreign))
        let commands: [[String]] = [
            ["territory", "status"], ["territory", "alerts"], ["territory", "certificates"], ["territory", "agents"],
            ["incident", "due"], ["incident", "list"],
        ]
        for store in [empty, foreign] {
            for arguments in commands {
                let result = try Self.run(arguments + ["--db", store, "--lang", "en"])
                #expect(result.exitCode == 74, "\(arguments) on \(store): \(result.exitCode) \(result.stdout) \(result.stderr)")
                #expect(result.stderr.contains("not a cyberctl territory store"), "\(arguments): \(result.stderr)")
            }
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: empty)).isEmpty)
        #expect(try Data(contentsOf: URL(fileURLWithPath: foreign)) == foreignBytes)
        for leftover in ["-wal", "-shm"] {
            #expect(!FileManager.default.fileExists(atPath: empty + leftover))
            #expect(!FileManager.default.fileExists(atPath: foreign + leftover))
        }
    }

    @Test("Views, summary and incident listings read a read-only store and write nothing to it or beside it", .sqliteOnly)
    func readOnlyStore() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-readonly")
        let (db, _) = try Self.consolidatedStore(in: folder)
        let storeFolder = (db as NSString).deletingLastPathComponent
        let readOnly = try folder.makeDirectory("readonly")
        // As root, permissions do not stop writes: a read-only bind mount does. Otherwise: 0400 and 0500.
        let mounted = getuid() == 0 && Self.mount(["--bind", storeFolder, readOnly]) && Self.mount(["-o", "remount,bind,ro", readOnly])
        defer { if mounted { _ = try? Command.run("umount", [readOnly]) } }
        let path: String
        if mounted {
            path = readOnly + "/territory.sqlite"
        } else {
            #expect(getuid() != 0, "running as root without mount(2): cannot make a read-only store here")
            chmod(db, 0o400)
            chmod(storeFolder, 0o500)
            path = db
        }
        defer { chmod(storeFolder, 0o700); chmod(db, 0o600) }
        let before = try FileManager.default.contentsOfDirectory(atPath: storeFolder).sorted()
        let bytes = try Data(contentsOf: URL(fileURLWithPath: db))
        let siren = TerritoryGenerator.siren(0)
        for arguments in [
            ["territory", "status"], ["territory", "status", "--format", "html"], ["territory", "findings"], ["territory", "certificates"],
            ["territory", "host", "srv-01"], ["territory", "entity", siren], ["territory", "trend"], ["territory", "rejected"],
            ["summary", "--territory", "--format", "markdown"], ["incident", "list"],
        ] {
            let result = try Self.run(arguments + ["--db", path])
            #expect(result.exitCode == 0, "\(arguments): \(result.exitCode) \(result.stderr)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: storeFolder).sorted() == before, "nothing created beside the store")
        #expect(try Data(contentsOf: URL(fileURLWithPath: db)) == bytes, "the store's bytes are unchanged")
        // Writing commands say so, naming the store.
        let refused = try Self.run([
            "incident", "open", "--title", "x", "--aware-at", "2026-03-28 10:00", "--entity", siren, "--db", path, "--agent-config", folder.url("none.yaml")])
        #expect(refused.exitCode == 74 && refused.stderr.contains(path), "\(refused.exitCode) \(refused.stderr)")
    }

    @Test("A store path that is a device or a FIFO is refused at once; nothing is written beside it", .sqliteOnly)
    func nonRegularStore() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-devstore")
        let fifo = folder.url("store.fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        let output = try TerritoryGenerator(entities: 1, hostsPerEntity: 1, reports: 1).generate(into: folder.url("gen"))
        let leftovers = ["/dev/full-journal", "/dev/full-wal", "/dev/full-shm", "/dev/null-journal", "/dev/null-wal", "/dev/null-shm", fifo + "-wal", fifo + "-shm"]
        // What an earlier run of an older cyberctl may have left in /dev is not this run's doing.
        let before = Set(leftovers.filter { FileManager.default.fileExists(atPath: $0) })
        for store in ["/dev/full", "/dev/null", fifo] {
            for arguments in [["consolidate", output.inbox, "--ca", output.caFile], ["territory", "status"], ["incident", "list"]] {
                let result = try Self.run(arguments + ["--db", store, "--lang", "en"])
                #expect(result.exitCode == 74, "\(arguments) --db \(store): \(result.exitCode) \(result.stderr)")
                #expect(result.stderr.contains(store) && result.stderr.contains("regular file"), "\(result.stderr)")
            }
        }
        for leftover in leftovers where !before.contains(leftover) {
            #expect(!FileManager.default.fileExists(atPath: leftover), "\(leftover) was created")
        }
    }
}
