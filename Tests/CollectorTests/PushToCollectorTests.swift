import Agent
import Delivery
import Foundation
import OpenSSLKit
import TestSupport
import Testing
import Trust

/// The agent side (`cyberctl push`, branch push) against the collector (`cyberctl collect`), both the
/// built binary, on loopback: the protocol of issue 11 end to end.
@Suite("push → collect end to end", .serialized)
struct PushToCollectorTests {
    /// Queues `uploads` in a fresh outbox of `agent`; returns the outbox folder.
    static func outbox(_ fixture: CollectorFixture, for agent: CollectorFixture.Agent, _ uploads: [CollectorFixture.Upload]) throws -> String {
        let directory = fixture.folder.url("outboxes/\(agent.siren)-\(agent.host)")
        let box = try Outbox(directory: directory, create: true)
        for upload in uploads {
            let report = Array(try Data(contentsOf: URL(fileURLWithPath: upload.reportPath)))
            let signature = Array(try Data(contentsOf: URL(fileURLWithPath: upload.signaturePath)))
            try box.enqueue(report: report, signature: signature, fileName: URL(fileURLWithPath: upload.reportPath).lastPathComponent)
        }
        return directory
    }

    /// `cyberctl push --config agent.yaml`: the agent's real configuration file, with its signing
    /// identity (also the TLS client certificate) and its collector section.
    static func pushArguments(_ fixture: CollectorFixture, agent: CollectorFixture.Agent, outbox: String, port: Int) throws -> [String] {
        let config = try fixture.folder.write("configs/\(agent.siren)-\(agent.host)-\(port).yaml", """
            signing:
              key: \(agent.keyPath)
              certificate: \(agent.certificatePath)
            collector:
              url: https://127.0.0.1:\(port)
              ca: \(fixture.caPath)
              outbox: \(outbox)

            """)
        return ["push", "--config", config, "--format", "json"]
    }

    @Test("cyberctl push delivers the outbox to cyberctl collect: outbox emptied, inbox and store hold the reports")
    func delivered() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-push-collect")
        let agent = try fixture.agent()
        let uploads = try (0..<3).map { _ in try fixture.signedReport(agent) }
        let outbox = try Self.outbox(fixture, for: agent, uploads)
        let collector = try fixture.startCollector(db: true)
        let push = try BuiltBinary.run(try Self.pushArguments(fixture, agent: agent, outbox: outbox, port: collector.port))
        #expect(push.exitCode == 0, "\(push.stdout)\(push.stderr)")
        #expect(try Outbox(directory: outbox, create: false).entries().isEmpty)
        let stored = fixture.inboxFiles().filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }
        #expect(Set(stored) == Set(uploads.map { "\(agent.siren)/" + URL(fileURLWithPath: $0.reportPath).lastPathComponent }))
        let rows = try Command.run("sqlite3", [fixture.databasePath, "SELECT count(*) FROM report;"])
        #expect(rows.stdout == "3\n")
        #expect(collector.log.contains("agent=cyberctl/"))
        // Pushing an empty outbox again sends nothing and succeeds.
        #expect(try BuiltBinary.run(try Self.pushArguments(fixture, agent: agent, outbox: outbox, port: collector.port)).exitCode == 0)
    }

    @Test("a tampered report is refused (422) and stays in the agent's outbox with the status, code and message; nothing reaches the inbox")
    func tamperedStays() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-push-collect")
        let agent = try fixture.agent()
        let upload = try fixture.signedReport(agent)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: upload.reportPath))
        let position = bytes.firstRange(of: Data("srv-mairie".utf8))!.lowerBound
        bytes[position] = UInt8(ascii: "S")
        try bytes.write(to: URL(fileURLWithPath: upload.reportPath))
        let outbox = try Self.outbox(fixture, for: agent, [upload])
        let collector = try fixture.startCollector(db: true)
        let push = try BuiltBinary.run(try Self.pushArguments(fixture, agent: agent, outbox: outbox, port: collector.port))
        #expect(push.exitCode == 65, "\(push.stdout)\(push.stderr)")
        let entries = try Outbox(directory: outbox, create: false).entries()
        #expect(entries.count == 1)
        let refusal = entries.first?.state?.refusal
        #expect(refusal?.httpStatus == 422)
        #expect(refusal?.code == "content-mismatch")
        #expect(refusal?.message?.isEmpty == false)
        #expect(fixture.inboxFiles().filter { !$0.hasPrefix(".") }.isEmpty)
        // Not retried by a plain push: the collector sees no second upload.
        let before = collector.log.components(separatedBy: "POST /v1/reports").count
        _ = try BuiltBinary.run(try Self.pushArguments(fixture, agent: agent, outbox: outbox, port: collector.port))
        #expect(collector.log.components(separatedBy: "POST /v1/reports").count == before)
        #expect(try Outbox(directory: outbox, create: false).entries().count == 1)
    }

    @Test("push --status --lang fr says the last error in French (stored with the pair), --lang en in English; status and code said once")
    func lastErrorInBothLanguages() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-push-collect")
        let agent = try fixture.agent()
        let outbox = try Self.outbox(fixture, for: agent, [try fixture.signedReport(agent)])
        let collector = try fixture.startCollector()
        // A collector URL with a wrong path: the collector answers 404 not-found; the agent keeps the pair for a
        // retry and exits 78 (EX_CONFIG) so that someone corrects the URL.
        var arguments = try Self.pushArguments(fixture, agent: agent, outbox: outbox, port: collector.port)
        arguments += ["--collector", "https://127.0.0.1:\(collector.port)/wrong"]
        let push = try BuiltBinary.run(arguments)
        #expect(push.exitCode == 78, "\(push.stdout)\(push.stderr)")
        let config = arguments[arguments.firstIndex(of: "--config")! + 1]
        let french = try BuiltBinary.run(["push", "--config", config, "--status", "--lang", "fr"])
        #expect(french.exitCode == 0)
        #expect(french.stdout.contains("dernière erreur : HTTP 404 not-found : Adresse inconnue"), "\(french.stdout)")
        #expect(!french.stdout.contains("Unknown address"), "\(french.stdout)")
        let english = try BuiltBinary.run(["push", "--config", config, "--status", "--lang", "en"])
        #expect(english.stdout.contains("last error: HTTP 404 not-found: Unknown address"), "\(english.stdout)")
        // The next run, not yet due, says it in French too.
        let again = try BuiltBinary.run(["push", "--config", config, "--collector", "https://127.0.0.1:\(collector.port)/wrong"])
        #expect(again.stdout.contains("Adresse inconnue") && !again.stdout.contains("Unknown address"), "\(again.stdout)")
    }

    @Test("rate limited (429): the agent keeps the pair, not before Retry-After, and a revoked agent's pair is kept refused (403)")
    func transientAndForbidden() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-push-collect")
        let agent = try fixture.agent()
        let outbox = try Self.outbox(fixture, for: agent, try (0..<2).map { _ in try fixture.signedReport(agent) })
        let collector = try fixture.startCollector(extra: ["--rate", "1/min"])
        let before = Date()
        let push = try BuiltBinary.run(try Self.pushArguments(fixture, agent: agent, outbox: outbox, port: collector.port))
        #expect(push.exitCode == 75, "\(push.stdout)\(push.stderr)")
        let left = try Outbox(directory: outbox, create: false).entries()
        #expect(left.count == 1)
        #expect(left.first?.state?.refusal == nil)
        #expect(left.first?.state?.lastError?.contains("429") == true)
        // Retry-After at 1/min is up to 60 s; the agent waits at least that long.
        #expect((left.first?.state?.nextAttemptAt ?? before) >= before.addingTimeInterval(50))
        #expect(fixture.inboxFiles().filter { !$0.hasPrefix(".") }.count == 2)

        let revoked = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-revoked")
        try fixture.authority.revoke(serial: revoked.serial, reason: .keyCompromise)
        let revokedOutbox = try Self.outbox(fixture, for: revoked, [try fixture.signedReport(revoked)])
        collector.stop()  // one collector per inbox
        let fresh = try fixture.startCollector()
        let refused = try BuiltBinary.run(try Self.pushArguments(fixture, agent: revoked, outbox: revokedOutbox, port: fresh.port))
        #expect(refused.exitCode == 65, "\(refused.stdout)\(refused.stderr)")
        let kept = try Outbox(directory: revokedOutbox, create: false).entries()
        #expect(kept.first?.state?.refusal?.httpStatus == 403)
        #expect(kept.first?.state?.refusal?.code == "certificate-revoked")
    }

    @Test("1,000 reports from 50 agents, 50 cyberctl push processes at once: every outbox emptied, each report stored exactly once")
    func fiftyAgents() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-push-collect-load")
        var jobs: [(agent: CollectorFixture.Agent, outbox: String)] = []
        for n in 1...50 {
            let agent = try fixture.agent(siren: CollectorLoadTests.siren(n), host: "srv-\(n)")
            let uploads = try (0..<20).map { _ in try fixture.signedReport(agent) }
            jobs.append((agent, try Self.outbox(fixture, for: agent, uploads)))
        }
        let collector = try fixture.startCollector(db: true, extra: ["--rate", "600/min"])
        var processes: [Process] = []
        for job in jobs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: try BuiltBinary.path)
            process.arguments = try Self.pushArguments(fixture, agent: job.agent, outbox: job.outbox, port: collector.port)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            processes.append(process)
        }
        for process in processes { try process.run() }
        for process in processes { process.waitUntilExit() }
        #expect(processes.allSatisfy { $0.terminationStatus == 0 }, "\(processes.map(\.terminationStatus))")
        for job in jobs { #expect(try Outbox(directory: job.outbox, create: false).entries().isEmpty) }
        let files = fixture.inboxFiles()
        #expect(files.filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.count == 1000)
        #expect(files.filter { $0.hasSuffix(".json.p7s") && !$0.hasPrefix(".") }.count == 1000)
        let rows = try Command.run("sqlite3", [fixture.databasePath, "SELECT count(*), count(DISTINCT sha256), count(DISTINCT siren) FROM report;"])
        #expect(rows.stdout == "1000|1000|50\n", "\(rows.stdout) \(rows.stderr)")
        let accepted = collector.log.components(separatedBy: "status=201").count - 1
        #expect(accepted == 1000)
    }
}
