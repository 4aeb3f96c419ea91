import Agent
import Checks
import Foundation
import Model
import Testing
import TestSupport

/// Validates JSON files against the published schema with Python's jsonschema (Debian python3-jsonschema).
enum SchemaValidator {
    static let schema = BuiltBinary.packageRoot + "/schemas/cyberctl.report-1.schema.json"

    /// nil when valid, else the validator's message.
    static func problems(_ file: String) throws -> String? {
        let script = """
            import json, sys, jsonschema
            schema = json.load(open(sys.argv[1]))
            jsonschema.Draft202012Validator.check_schema(schema)
            errors = list(jsonschema.Draft202012Validator(schema).iter_errors(json.load(open(sys.argv[2]))))
            for e in errors: print(list(e.absolute_path), e.message)
            sys.exit(1 if errors else 0)
            """
        let output = try Command.run("/usr/bin/python3", ["-c", script, schema, file])
        return output.exitCode == 0 ? nil : output.stdout + output.stderr
    }
}

@Suite struct ReportTests {
    static func sampleReport(results: [CheckResult]) -> Report {
        Report(
            generatedAt: Date(timeIntervalSince1970: 1_795_852_800),
            agent: .init(version: Scanner.version, profile: "default", profileSHA256: String(repeating: "a", count: 64)),
            entity: Entity(name: "Commune de Test", siren: "243500139", insee: "35238", kind: "commune", population: 1200, departement: "35", region: "Bretagne"),
            host: HostFacts(hostname: "srv-mairie", os: .init(id: "debian", version: "12", name: "Debian GNU/Linux 12 (bookworm)", codename: "bookworm"), kernel: "6.1.0", machineID: "abc"),
            results: results)
    }

    @Test func reportRoundTripsAndValidates() throws {
        let results = [
            CheckResult(check: "cert.files", target: "/etc/ssl/a.pem", code: "cert.expiry", status: .fail, severity: .critical,
                        evidence: ["daysLeft": -3, "subject": "CN=a"], references: ["NIS2-21.2.h"], durationMs: 2),
            CheckResult(check: "cert.files", target: "/etc/ssl/b.pem", code: "cert.file", status: .error, severity: .medium,
                        reason: FileAccessError.permissionDenied("/etc/ssl/b.pem").localizedText),
        ]
        let report = Self.sampleReport(results: results)
        let bytes = try report.jsonBytes()
        let decoded = try Report.decode(bytes, file: "r.json")
        #expect(decoded == report)
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.contains("\"generatedAt\" : \"2026-11-28T08:00:00Z\""))
        #expect(text.contains("\"schema\" : \"cyberctl.report/1\""))
        let directory = try TemporaryDirectory()
        let file = try directory.write("r.json", Data(bytes))
        #expect(try SchemaValidator.problems(file) == nil)
    }

    /// The report as `JSONEncoder` writes it: the reference `ReportJSONWriter` must match byte for byte.
    static func encoderBytes(_ report: Report) throws -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .custom { date, encoder in
            var container = encoder.singleValueContainer()
            try container.encode(ISO8601.string(from: date))
        }
        return Array(try encoder.encode(report)) + [0x0A]
    }

    /// Every kind of evidence value, keys whose byte order differs from other orders (case, digits,
    /// `_`, non-ASCII), every control character, quotes, backslashes, slashes, non-ASCII text.
    static func awkwardResults() -> [CheckResult] {
        let controls = String((0..<0x20).map { Character(Unicode.Scalar(UInt8($0))) })
        let evidence: [String: JSONValue] = [
            "b": "x", "B": "y", "a10": 1, "a9": -2, "_z": true, "é": false, "Z": .null, "": "empty key",
            "controls": .string(controls), "quotes": "\"a\" \\ b / c", "accents": "Mairie de Plœmeur — ✓ 🇫🇷",
            "numbers": [0, 9, 10, -1, .int(Int.max), .int(Int.min)], "doubles": [0.5, 1.0, 0.1, 1e300, -2.25, 1234567.0],
            "nested": ["empty": [:], "emptyArray": [], "deeper": ["list": [["k": "v"], [], [:]]]],
        ]
        return [
            CheckResult(check: "cert.files", target: "/etc/ssl/\u{7F}\"odd\".pem", code: "cert.expiry", status: .warn,
                        severity: .medium, evidence: evidence, references: ["NIS2-21.2.h", "ANSSI-HYG-34"], durationMs: 12_345),
            CheckResult(check: "cert.files", target: "/x", code: "cert.file", status: .error, severity: .medium,
                        references: [], reason: .init(fr: "ligne 1\nligne 2\t\"entre guillemets\"", en: "line 1\nline 2\t\"quoted\"")),
            CheckResult(check: "tls.endpoint", target: "[::1]:443", code: "tls.legacy-protocols", status: .pass, severity: .info),
        ]
    }

    @Test(arguments: [0, 1, 3])
    func writerMatchesJSONEncoderByteForByte(resultCount: Int) throws {
        var report = Self.sampleReport(results: Array(Self.awkwardResults().prefix(resultCount)))
        #expect(try report.jsonBytes() == Self.encoderBytes(report))
        // Empty entity and host parts, as a scan with no configuration writes them.
        report.entity = Entity()
        report.host = HostFacts(hostname: "h", os: .init(id: "unknown"), kernel: nil, machineID: nil)
        #expect(try report.jsonBytes() == Self.encoderBytes(report))
    }

    @Test func streamedChunksAreTheSameBytes() throws {
        let report = Self.sampleReport(results: Array(repeating: Self.awkwardResults(), count: 50).flatMap { $0 })
        var chunks: [[UInt8]] = []
        try report.writeJSON(chunkSize: 1000) { chunks.append($0) }
        #expect(chunks.count > 10)
        #expect(chunks.flatMap { $0 } == (try Self.encoderBytes(report)))
        let directory = try TemporaryDirectory()
        let path = directory.path + "/streamed.json"
        try AtomicFile.write(to: path, mode: 0o640) { output in try report.writeJSON(chunkSize: 1000, to: output) }
        #expect(try Array(Data(contentsOf: URL(fileURLWithPath: path))) == Self.encoderBytes(report))
        // The awkward evidence holds Int.max, Int.min and 1e300 for the writer's sake; the schema bounds evidence
        // numbers to ±(2^53 − 1) (RFC 8259, section 6), and refuses exactly those (python-jsonschema says so).
        let problems = (try SchemaValidator.problems(path) ?? "").split(separator: "\n")
        #expect(problems.count == 50 * 3, "\(problems.prefix(5))")
        for problem in problems {
            #expect((problem.contains("'numbers'") || problem.contains("'doubles'")) && problem.contains("imum of"), "\(problem)")
        }
    }

    @Test func aFailedStreamLeavesNothingBehind() throws {
        struct Stop: Error {}
        let directory = try TemporaryDirectory()
        let path = directory.path + "/r.json"
        #expect(throws: Stop.self) {
            try AtomicFile.write(to: path, mode: 0o640) { output in
                try output(Array("{".utf8))
                throw Stop()
            }
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty)
    }

    @Test func schemaRejectsWhatTheToolMustNotWrite() throws {
        let directory = try TemporaryDirectory()
        var object = try JSONSerialization.jsonObject(with: Data(Self.sampleReport(results: []).jsonBytes())) as! [String: Any]
        object["entity"] = ["siren": "12345"]
        let file = try directory.write("bad.json", try JSONSerialization.data(withJSONObject: object))
        #expect(try SchemaValidator.problems(file)?.contains("12345") == true)
    }

    @Test func notAReportIsAClearError() {
        for (bytes, message) in [
            (Array("not json".utf8), "not JSON"),
            (Array("{\"schema\":\"cyberctl.report/1\"}".utf8), "missing .id"),
        ] {
            do {
                _ = try Report.decode(bytes, file: "x.json")
                Issue.record("expected an error")
            } catch {
                #expect(error.englishMessage.contains(message), "\(error)")
                #expect(error.file == "x.json")
            }
        }
    }
}

@Suite struct AtomicFileTests {
    @Test func writesWithTheModeAndLeavesNoTemporaryFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.url("report.json")
        try AtomicFile.write(Array("one".utf8), to: path, mode: 0o640)
        try AtomicFile.write(Array("two".utf8), to: path, mode: 0o600)
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "two")
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        #expect((attributes[.posixPermissions] as? Int) == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["report.json"])
    }

    @Test func aMissingFolderFailsCleanly() {
        #expect(throws: AtomicFileError.self) { try AtomicFile.write([1], to: "/no/such/folder/r.json", mode: 0o640) }
    }

    @Test("A rename that fails says so with the system's cause, not 'commit it twice'")
    func aFailedRenameSaysWhy() throws {
        let directory = try TemporaryDirectory()
        // A destination with a trailing slash: the temporary file is written in the folder, rename(2) refuses the name.
        let staged = try AtomicFile.stage([1], to: directory.url("x.json/"), mode: 0o640)
        do {
            try AtomicFile.commit([staged])
            Issue.record("the rename must fail")
        } catch {
            #expect(error.operation == "rename into place" && error.code != 0, "\(error)")
            #expect(!error.frenchReason.contains("deux fois"), "\(error.frenchReason)")
        }
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path).isEmpty, "no temporary file left")
    }
}

@Suite struct HostFactsTests {
    @Test func factsComeFromTheAuditedRoot() throws {
        let directory = try TemporaryDirectory()
        try directory.write("etc/hostname", "srv-mairie\n")
        try directory.write("etc/os-release", "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\nID=debian\nVERSION_ID=\"12\"\nVERSION_CODENAME=bookworm\n# comment\n")
        try directory.write("etc/machine-id", "0123456789abcdef\n")
        let facts = HostFacts.collect(root: try FileSystemRoot(directory.path))
        #expect(facts == HostFacts(
            hostname: "srv-mairie",
            os: .init(id: "debian", version: "12", name: "Debian GNU/Linux 12 (bookworm)", codename: "bookworm"),
            kernel: nil, machineID: "0123456789abcdef"))
    }

    @Test func anEmptyImageStillGivesFacts() throws {
        let directory = try TemporaryDirectory()
        let facts = HostFacts.collect(root: try FileSystemRoot(directory.path))
        #expect(facts.hostname == "unknown")
        #expect(facts.os.id == "unknown")
    }
}

@Suite struct AtomicFileDeviceTests {
    @Test func aDeviceOrFIFOIsNeverReplaced() throws {
        let directory = try TemporaryDirectory()
        let fifo = directory.url("fifo")
        #expect(mkfifo(fifo, 0o600) == 0)
        #expect(throws: AtomicFileError.self) { try AtomicFile.write([1], to: fifo, mode: 0o640) }
        var info = stat()
        #expect(lstat(fifo, &info) == 0 && info.st_mode & S_IFMT == S_IFIFO)
        #expect(throws: AtomicFileError.self) { try AtomicFile.write([1], to: "/dev/null", mode: 0o640) }
        #expect(lstat("/dev/null", &info) == 0 && info.st_mode & S_IFMT == S_IFCHR)
        #expect(try FileManager.default.contentsOfDirectory(atPath: directory.path) == ["fifo"])
    }
}
