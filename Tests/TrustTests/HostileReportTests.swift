import Agent
import Checks
import Foundation
import InputFiles
import NIS2
import Model
import OpenSSLKit
import TestSupport
import Testing
@testable import Trust

#if canImport(Glibc)
import Glibc
#endif

/// Signed but hostile reports (a compromised agent signs whatever it likes) and hostile files, at the
/// library level: what `verify` refuses, and that no reader blocks on a FIFO.
@Suite("Hostile reports and files (Trust)")
struct HostileReportTests {
    /// The fixture's report with `edit` applied to its JSON text, signed now by a fresh agent.
    static func signed(_ fixture: TrustFixture, _ edit: (String) -> String, signingTime: Date = Date()) throws -> (report: [UInt8], signature: [UInt8]) {
        let agent = try fixture.agent("agent-\(UUID().uuidString.prefix(8))", issuedAt: Date().addingTimeInterval(-86_400))
        let text = String(decoding: try TrustFixture.reportBytes(), as: UTF8.self)
        let edited = Array(edit(text).utf8)
        return (edited, try agent.signer.sign(edited, signingTime: signingTime))
    }

    static func replacing(_ pattern: String, with replacement: String) -> (String) -> String {
        { text in
            let range = text.range(of: pattern, options: .regularExpression)!
            return text.replacingCharacters(in: range, with: replacement)
        }
    }

    @Test(
        "A number beyond its bound is refused by verify, naming the member (no trap later in the store)",
        arguments: [
            (#""population" *: *[0-9]+"#, #""population":9223372036854775808"#, "/entity/population"),
            (#""population" *: *[0-9]+"#, #""population":100000001"#, "/entity/population"),
            (#""population" *: *[0-9]+"#, #""population":1e300"#, "/entity/population"),
            (#""durationMs" *: *[0-9]+"#, #""durationMs":9223372036854775808"#, "/results/0/durationMs"),
            (#""durationMs" *: *[0-9]+"#, #""durationMs":18446744073709551616"#, "/results/0/durationMs"),
            (#""durationMs" *: *[0-9]+"#, #""durationMs":86400001"#, "/results/0/durationMs"),
            (#""daysLeft" *: *[0-9]+"#, #""daysLeft":9007199254740992"#, "/results/0/evidence/daysLeft"),
            (#""daysLeft" *: *[0-9]+"#, #""daysLeft":[{"n":-1e300}]"#, "/results/0/evidence/daysLeft/0/n"),
        ])
    func numbersBeyondBounds(pattern: String, replacement: String, path: String) throws {
        let fixture = try TrustFixture()
        let (report, signature) = try Self.signed(fixture, Self.replacing(pattern, with: replacement))
        let failure = TrustFixture.expectFailure(.schemaViolation) { try ReportVerifier(trust: try fixture.trust()).verify(reportBytes: report, signatureBytes: signature) }
        #expect(failure?.message(in: .en).contains(path) == true, "\(failure?.message(in: .en) ?? "")")
    }

    @Test("Numbers at their bounds are accepted")
    func numbersAtBounds() throws {
        let fixture = try TrustFixture()
        let (report, signature) = try Self.signed(fixture) { text in
            var text = Self.replacing(#""population" *: *[0-9]+"#, with: #""population":100000000"#)(text)
            text = Self.replacing(#""durationMs" *: *[0-9]+"#, with: #""durationMs":86400000"#)(text)
            return Self.replacing(#""daysLeft" *: *[0-9]+"#, with: #""daysLeft":-9007199254740991"#)(text)
        }
        _ = try ReportVerifier(trust: try fixture.trust()).verify(reportBytes: report, signatureBytes: signature)
    }

    @Test(
        "generatedAt: verify refuses what the store refuses, each with its reason",
        arguments: [
            ("0000-01-01T00:00:00Z", VerificationFailure.Code.schemaViolation),
            ("2026-13-01T00:00:00Z", .schemaViolation),
            ("1969-12-31T23:59:59Z", .schemaViolation),
            ("2026-11-18T11:06:40+01:00", .schemaViolation),
            ("2025-02-29T00:00:00Z", .generatedAtInvalid),
            ("2026-04-31T12:00:00Z", .generatedAtInvalid),
            ("9999-12-31T23:59:59Z", .generatedAfterSigning),
        ])
    func refusedDates(date: String, code: VerificationFailure.Code) throws {
        let fixture = try TrustFixture()
        let (report, signature) = try Self.signed(fixture, Self.replacing(#""generatedAt" *: *"[^"]*""#, with: "\"generatedAt\":\"\(date)\""))
        let failure = TrustFixture.expectFailure(code) { try ReportVerifier(trust: try fixture.trust()).verify(reportBytes: report, signatureBytes: signature) }
        #expect(failure.map { $0.message(in: .en).contains("generatedAt") } == true, "\(failure?.message(in: .en) ?? "")")
        #expect(!code.title(.fr).isEmpty && !code.explanation(.en).isEmpty)
    }

    @Test("A report dated after its signing time is refused beyond the 5-minute clock skew, accepted within it")
    func futureGeneratedAt() throws {
        let fixture = try TrustFixture(caCreated: Date().addingTimeInterval(-2 * 86_400))
        let signingTime = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 - 3600).rounded(.down))
        for (offset, accepted) in [(299.0, true), (300.0, true), (301.0, false), (86_400.0 * 365, false)] {
            let date = ISO8601.string(from: signingTime.addingTimeInterval(offset))
            let (report, signature) = try Self.signed(
                fixture, Self.replacing(#""generatedAt" *: *"[^"]*""#, with: "\"generatedAt\":\"\(date)\""), signingTime: signingTime)
            let verifier = ReportVerifier(trust: try fixture.trust())
            if accepted {
                #expect(try verifier.verify(reportBytes: report, signatureBytes: signature).generatedAt == date)
            } else {
                let failure = TrustFixture.expectFailure(.generatedAfterSigning) { try verifier.verify(reportBytes: report, signatureBytes: signature) }
                #expect(failure?.message(in: .en).contains(PeopleTime.string(from: signingTime)) == true, "\(failure?.message(in: .en) ?? "")")
            }
        }
        // Leap years and the leap second follow the calendar.
        #expect(ReportTime.parse("2024-02-29T00:00:00Z") != nil)
        #expect(ReportTime.parse("2100-02-29T00:00:00Z") == nil)
        #expect(ReportTime.parse("2000-02-29T00:00:00Z") != nil)
        #expect(ReportTime.parse("2016-12-31T23:59:60Z") != nil)
        #expect(ReportTime.parse("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
    }

    @Test("The schema's time pattern refuses year 0000, month 13 and hour 24 as python-jsonschema does")
    func schemaTimeAgreesWithPython() throws {
        let schema = BuiltBinary.packageRoot + "/schemas/cyberctl.report-1.schema.json"
        let script = """
            import json, re, sys
            pattern = json.load(open(sys.argv[1]))["$defs"]["time"]["pattern"]
            for t in sys.argv[2:]:
                print(t, bool(re.search(pattern, t)))
            """
        let times = ["2026-11-29T08:00:00Z", "0000-01-01T00:00:00Z", "2026-13-01T00:00:00Z", "2026-11-29T24:00:00Z", "1970-01-01T00:00:00Z", "2026-11-29T08:00:60Z"]
        let output = try Command.run("python3", ["-c", script, schema] + times)
        #expect(output.exitCode == 0, "\(output.stderr)")
        let timeSchema = try JSONSchema(text: try Self.timeDefinition())
        for line in output.stdout.split(separator: "\n") {
            let parts = line.split(separator: " ")
            let ours = timeSchema.validate(.string(String(parts[0]))).isEmpty
            #expect(ours == (parts[1] == "True"), "\(parts[0]): python says \(parts[1]), cyberctl says \(ours)")
        }
        #expect(output.stdout.split(separator: "\n").count == times.count)
    }

    /// The schema's `time` definition, alone, as schema text.
    static func timeDefinition() throws -> String {
        guard case .object(let root) = try JSONParser.parse(Array(ReportSchema.text.utf8)), case .object(let defs)? = root["$defs"],
              case .object(let time)? = defs["time"], case .string(let pattern)? = time["pattern"]
        else { throw TestSupportError("no time definition") }
        return #"{"type": "string", "pattern": "\#(pattern.replacingOccurrences(of: "\\", with: "\\\\"))"}"#
    }

    @Test("An agent identity or certificate whose entity name holds control characters is refused")
    func identityControlCharacters() throws {
        #expect(throws: InputError.self) { try AgentIdentity(entityName: "Commune\u{1B}[2J", siren: TrustFixture.siren, host: "srv") }
        #expect(throws: InputError.self) { try AgentIdentity(entityName: "Commune \u{202E}evil", siren: TrustFixture.siren, host: "srv") }
        let subject = DistinguishedName([.init("C", "FR"), .init("O", "Mairie\u{9B}31m"), .init("organizationIdentifier", "NTRFR-\(TrustFixture.siren)"), .init("CN", "srv")])
        guard case .failure(let problem) = AgentIdentity.from(subject) else {
            Issue.record("a subject with a C1 control in O was accepted")
            return
        }
        #expect(problem.description.contains("\\u009b"), "\(problem)")
    }

    // MARK: Non-regular files

    /// Runs `body` on another thread; false when it has not returned within `seconds` (then `release`
    /// is called, to unblock it, and the test fails without hanging).
    static func finishes(within seconds: Double, release: () -> Void, _ body: @escaping @Sendable () -> Void) -> Bool {
        let done = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            body()
            done.signal()
        }
        if done.wait(timeout: .now() + seconds) == .success { return true }
        release()
        _ = done.wait(timeout: .now() + 5)
        return false
    }

    /// Opens the FIFO for writing and closes it: a reader blocked in open(2) or read(2) returns.
    static func unblock(_ fifo: String) {
        let descriptor = open(fifo, O_WRONLY | O_NONBLOCK)
        if descriptor >= 0 { close(descriptor) }
    }

    @Test("A FIFO given as a report, signature, CA, CRL, certificate, key or CSR is refused at once, never read")
    func fifos() throws {
        let fixture = try TrustFixture()
        let fifo = fixture.folder.url("pipe")
        #expect(mkfifo(fifo, 0o600) == 0)
        let report = try fixture.folder.write("r.json", Data(try TrustFixture.reportBytes()))
        let reports = fixture.folder.url("r2.json")
        #expect(mkfifo(reports, 0o600) == 0)
        try fixture.folder.write("r2.json.p7s", Data([0x30]))
        #expect(mkfifo(report + ".p7s", 0o600) == 0)
        let key = fixture.folder.url("key-pipe")
        #expect(mkfifo(key, 0o600) == 0)
        let outcomes = Outcomes()
        let cases: [(String, String, @Sendable () throws -> Void)] = [
            ("signature", report + ".p7s", { _ = try ReportVerifier.readPair(reportPath: report) }),
            ("report", reports, { _ = try ReportVerifier.readPair(reportPath: reports) }),
            ("CA", fifo, { _ = try TrustAnchors.load(caFile: fifo, crlFiles: []) }),
            ("CRL", fifo, { _ = try TrustAnchors.load(caFile: fixture.authority.certificatePath, crlFiles: [fifo]) }),
            ("certificate", fifo, { _ = try TrustFiles.readCertificate(fifo) }),
            ("key", key, { _ = try TrustFiles.readPrivateKey(key) }),
            ("CSR", fifo, { _ = try TrustFiles.read(fifo, limit: TrustFiles.maximumPKIFileBytes, what: LocalizedText(fr: "demande de certificat", en: "certificate request")) }),
            ("bytes", fifo, { _ = try RegularFile.read(fifo, limit: 10) }),
        ]
        for (what, path, body) in cases {
            let returned = Self.finishes(within: 20, release: { Self.unblock(path) }) {
                do { try body(); outcomes.add("\(what): read") } catch { outcomes.add("\(what): \(error)") }
            }
            #expect(returned, "reading the \(what) FIFO blocked")
        }
        for line in outcomes.lines {
            #expect(line.contains("FIFO"), "\(line)")
            #expect(!line.hasSuffix(": read"), "\(line)")
        }
        // A regular file, a /proc file (st_size 0) and a folder, for comparison.
        let written = Array(try Data(contentsOf: URL(fileURLWithPath: report)))
        #expect(try RegularFile.read(report, limit: 1 << 20) == written)
        #expect(!(try RegularFile.read("/proc/self/status", limit: 1 << 20)).isEmpty)
        #expect(throws: RegularFile.Failure.isADirectory) { try RegularFile.read(fixture.folder.path, limit: 10) }
        #expect(throws: RegularFile.Failure.notARegularFile(kind: "character device")) { try RegularFile.read("/dev/zero", limit: 10) }
        #expect(throws: RegularFile.Failure.tooLarge(bytes: written.count, limit: 10)) { try RegularFile.read(report, limit: 10) }
    }

    final class Outcomes: @unchecked Sendable {
        private let lock = NSLock()
        private var values: [String] = []
        func add(_ line: String) { lock.withLock { values.append(line) } }
        var lines: [String] { lock.withLock { values } }
    }
}
