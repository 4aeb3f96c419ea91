import Agent
import Foundation
import Model
import OpenSSLKit
import TestSupport
import Testing
import Trust

#if canImport(Glibc)
import Glibc
#endif

/// One enrolled agent, compromised, against the collector every agent of the territory depends on.
@Suite("Collector against a hostile agent or file", .serialized)
struct HostileCollectorTests {
    /// A report signed by `agent` with `edit` applied to its JSON text.
    static func edited(_ fixture: CollectorFixture, _ agent: CollectorFixture.Agent, name: String, edit: (String) -> String) throws -> CollectorFixture.Upload {
        let upload = try fixture.signedReport(agent, name: name)
        let text = edit(try String(contentsOfFile: upload.reportPath, encoding: .utf8))
        let bytes = Array(text.utf8)
        try Data(bytes).write(to: URL(fileURLWithPath: upload.reportPath))
        try Data(try agent.signer.sign(bytes, signingTime: fixture.now.addingTimeInterval(-60))).write(to: URL(fileURLWithPath: upload.signaturePath))
        return CollectorFixture.Upload(reportPath: upload.reportPath, signaturePath: upload.signaturePath, sha256: Digest.sha256Hex(bytes))
    }

    static func replacing(_ pattern: String, with replacement: String) -> (String) -> String {
        { text in text.replacingCharacters(in: text.range(of: pattern, options: .regularExpression)!, with: replacement) }
    }

    @Test("with --db: a signed report with a number beyond Int.max is refused (422) and the collector keeps serving every agent")
    func numberBeyondIntMax() throws {
        let fixture = try CollectorFixture()
        let hostile = try fixture.agent(siren: CollectorFixture.sirenA, host: "srv-compromis")
        let other = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-lanveoc")
        let collector = try fixture.startCollector(db: true)
        for (index, edit) in [
            Self.replacing(#""durationMs" *: *[0-9]+"#, with: #""durationMs":9223372036854775808"#),
            Self.replacing(#""population" *: *[0-9]+"#, with: #""population":18446744073709551616"#),
            Self.replacing(#""generatedAt" *: *"[^"]*""#, with: #""generatedAt":"9999-12-31T23:59:59Z""#),
        ].enumerated() {
            let upload = try Self.edited(fixture, hostile, name: "hostile-\(index).json", edit: edit)
            let reply = try fixture.push(upload, as: hostile, port: collector.port)
            #expect(reply.status == 422, "\(reply.json) \(reply.stderr)")
            #expect(["schema-violation", "generated-after-signing"].contains(reply.json["code"] ?? ""), "\(reply.json)")
            #expect(collector.process.isRunning, "the collector died: \(collector.log.suffix(2000))")
        }
        let fine = try fixture.signedReport(other)
        let accepted = try fixture.push(fine, as: other, port: collector.port)
        #expect(accepted.status == 201, "\(accepted.json) \(accepted.stderr)")
        #expect(fixture.inboxFiles().allSatisfy { $0.hasPrefix(CollectorFixture.sirenB) }, "\(fixture.inboxFiles())")
        #expect(collector.stop() == 0)
        // And consolidating the inbox afterwards does not crash either.
        let consolidate = try BuiltBinary.run(["consolidate", fixture.inbox, "--db", fixture.databasePath, "--ca", fixture.caPath], timeout: 120)
        #expect(!consolidate.timedOut && consolidate.output.exitCode == 0, "\(consolidate.output.stderr)")
    }

    @Test("a CRL replaced by a FIFO under a running collector: uploads go on with the trust in force, and SIGTERM stops it")
    func crlBecomesFIFO() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let collector = try fixture.startCollector()
        let first = try fixture.push(try fixture.signedReport(agent), as: agent, port: collector.port)
        #expect(first.status == 201, "\(first.json)")
        try FileManager.default.removeItem(atPath: fixture.crlPath)
        #expect(mkfifo(fixture.crlPath, 0o644) == 0)
        // The change is seen at the next request after a second.
        sleep(2)
        for _ in 0..<3 {
            let reply = try fixture.push(try fixture.signedReport(agent), as: agent, port: collector.port)
            #expect(reply.status == 201, "uploads must go on: \(reply.status) \(reply.json) \(reply.stderr)")
        }
        #expect(collector.log.contains("does not load") && collector.log.contains("FIFO"), "\(collector.log.suffix(3000))")
        // SIGTERM is honoured: no thread is stuck reading the FIFO. Bounded by a watchdog that opens the FIFO.
        let stopped = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            collector.stop(SIGTERM)
            stopped.signal()
        }
        let inTime = stopped.wait(timeout: .now() + 30) == .success
        if !inTime {
            let writer = open(fixture.crlPath, O_WRONLY | O_NONBLOCK)
            if writer >= 0 { close(writer) }
            collector.stop(SIGKILL)
        }
        #expect(inTime, "the collector ignored SIGTERM")
    }

    @Test("control characters in a client's User-Agent or a report's host are escaped in the collector's log")
    func logEscapes() throws {
        let fixture = try CollectorFixture()
        let agent = try fixture.agent()
        let collector = try fixture.startCollector()
        let upload = try Self.edited(fixture, agent, name: "odd-host.json", edit: Self.replacing(#""hostname" *: *"[^"]*""#, with: "\"hostname\":\"srv\u{9B}2J\u{202E}\""))
        let reply = try fixture.push(upload, as: agent, port: collector.port, extra: ["-A", "agent\u{9B}31m\u{202E}evil"])
        #expect(reply.status == 201, "\(reply.json)")
        #expect(collector.stop() == 0)
        let unsafe = collector.log.unicodeScalars.filter { TerminalText.isUnsafe($0) && $0 != "\n" }
        #expect(unsafe.isEmpty, "raw in the log: \(unsafe.map { String(format: "U+%04X", $0.value) })")
        #expect(collector.log.contains("\\u009b31m"), "\(collector.log.suffix(2000))")
    }
}
