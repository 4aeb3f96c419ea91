import Agent
import Delivery
import Foundation
import TestSupport
import Testing

/// `cyberctl push --drop ID` and `--drop-refused` against pairs the real collector refused (issue 18): shown, then
/// removed whole (report, signature, state) after confirmation, `--yes`, or a terminal's answer; a pair refused
/// because its signer was revoked is named as such; `push --status` gives the command to use.
@Suite("push --drop", .serialized)
struct PushDropTests {
    /// Outbox entries and every file left under the outbox folder (staging included).
    static func files(in outbox: String) -> [String] {
        (FileManager.default.enumerator(atPath: outbox)?.allObjects as? [String] ?? []).filter { !$0.hasSuffix(".lock") }
    }

    /// The push arguments in table form (PushToCollectorTests gives JSON).
    static func arguments(_ fixture: CollectorFixture, agent: CollectorFixture.Agent, outbox: String, port: Int) throws -> [String] {
        Array(try PushToCollectorTests.pushArguments(fixture, agent: agent, outbox: outbox, port: port).dropLast(2))
    }

    @Test("a revoked signer's refused pairs: named in push and --status with the --drop command; no terminal and no --yes is 64; --yes drops each pair whole")
    func revokedSigner() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-push-drop")
        let revoked = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-revoked")
        try fixture.authority.revoke(serial: revoked.serial, reason: .keyCompromise)
        let outbox = try PushToCollectorTests.outbox(fixture, for: revoked, [try fixture.signedReport(revoked), try fixture.signedReport(revoked)])
        let collector = try fixture.startCollector()
        let push = try Self.arguments(fixture, agent: revoked, outbox: outbox, port: collector.port)
        let pushed = try BuiltBinary.run(push)
        #expect(pushed.exitCode == 65, "\(pushed.stdout)\(pushed.stderr)")
        #expect(pushed.stdout.contains("SIGNATAIRE RÉVOQUÉ"), "\(pushed.stdout)")
        #expect(pushed.stdout.contains("retrait : cyberctl push --drop "), "\(pushed.stdout)")
        collector.stop()

        let entries = try Outbox(directory: outbox, create: false).entries()
        #expect(entries.count == 2)
        let first = try #require(entries.first)
        let status = try BuiltBinary.run(push + ["--status"])
        #expect(status.exitCode == 0, "\(status.stderr)")
        #expect(status.stdout.contains("refusé (signataire révoqué)"), "\(status.stdout)")
        #expect(status.stdout.contains("SIGNATAIRE RÉVOQUÉ : le RSSI a révoqué le certificat de cet agent"), "\(status.stdout)")
        let config = push[push.firstIndex(of: "--config")! + 1]
        #expect(status.stdout.contains("→ retirer : cyberctl push --drop \(first.name) --config \(config)"), "\(status.stdout)")
        #expect(status.stdout.contains("cyberctl push --drop-refused --config \(config)"), "\(status.stdout)")
        let english = try BuiltBinary.run(push + ["--status", "--lang", "en"])
        #expect(english.stdout.contains("refused (signer revoked)") && english.stdout.contains("→ drop: cyberctl push --drop"), "\(english.stdout)")
        let json = try BuiltBinary.run(push + ["--status", "--format", "json"])
        let rows = try JSONSerialization.jsonObject(with: json.stdoutData) as? [[String: Any]] ?? []
        #expect(rows.count == 2 && rows.allSatisfy { $0["signerRevoked"] as? Bool == true }, "\(json.stdout)")

        // No terminal (the test's pipe) and no --yes: refused, nothing removed.
        let unconfirmed = try BuiltBinary.run(push + ["--drop", first.name])
        #expect(unconfirmed.exitCode == 64, "\(unconfirmed.stdout)\(unconfirmed.stderr)")
        #expect(unconfirmed.stderr.contains("pas de terminal pour confirmer le retrait : ajoutez --yes"), "\(unconfirmed.stderr)")
        #expect(unconfirmed.stdout.contains("✗ \(first.fileName)"), "shown first: \(unconfirmed.stdout)")
        #expect(try Outbox(directory: outbox, create: false).entries().count == 2)
        #expect(FileManager.default.fileExists(atPath: first.reportPath) && FileManager.default.fileExists(atPath: first.signaturePath))

        let dropped = try BuiltBinary.run(push + ["--drop", first.name, "--yes"])
        #expect(dropped.exitCode == 0, "\(dropped.stdout)\(dropped.stderr)")
        #expect(dropped.stdout.contains("✗ \(first.fileName) (\(first.name))"), "\(dropped.stdout)")
        #expect(dropped.stdout.contains("HTTP 403 certificate-revoked"), "\(dropped.stdout)")
        #expect(dropped.stdout.contains("Retiré de la file : \(first.fileName)"), "\(dropped.stdout)")
        let left = try Outbox(directory: outbox, create: false).entries()
        #expect(left.map(\.name) == [entries[1].name])
        // Report and signature went together, and nothing of the pair is left in staging.
        #expect(!FileManager.default.fileExists(atPath: first.path))
        #expect(!Self.files(in: outbox).contains { $0.contains(first.name) }, "\(Self.files(in: outbox))")

        let unknown = try BuiltBinary.run(push + ["--drop", "no-such-pair", "--yes"])
        #expect(unknown.exitCode == 64 && unknown.stderr.contains("--drop no-such-pair : aucune paire de ce nom"), "\(unknown.stderr)")
        let all = try BuiltBinary.run(push + ["--drop-refused", "--yes", "--format", "json"])
        #expect(all.exitCode == 0, "\(all.stderr)")
        let object = try JSONSerialization.jsonObject(with: all.stdoutData) as? [String: Any]
        #expect((object?["dropped"] as? [[String: Any]])?.first?["name"] as? String == entries[1].name, "\(all.stdout)")
        #expect(try Outbox(directory: outbox, create: false).entries().isEmpty)
    }

    @Test("only refused pairs are dropped: --drop of a pending pair is 64, --drop-refused keeps it; a content refusal is not called a revoked signer")
    func pendingPairsStay() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-push-drop")
        let agent = try fixture.agent()
        let tampered = try fixture.signedReport(agent)
        var bytes = try Data(contentsOf: URL(fileURLWithPath: tampered.reportPath))
        bytes[bytes.firstRange(of: Data("srv-mairie".utf8))!.lowerBound] = UInt8(ascii: "S")
        try bytes.write(to: URL(fileURLWithPath: tampered.reportPath))
        let outbox = try PushToCollectorTests.outbox(fixture, for: agent, [tampered])
        let collector = try fixture.startCollector()
        let push = try Self.arguments(fixture, agent: agent, outbox: outbox, port: collector.port)
        #expect(try BuiltBinary.run(push).exitCode == 65)
        collector.stop()
        // A pair queued after the push: pending, not refused.
        let fresh = try fixture.signedReport(agent)
        let box = try Outbox(directory: outbox, create: false)
        let pending = try box.enqueue(
            report: Array(try Data(contentsOf: URL(fileURLWithPath: fresh.reportPath))),
            signature: Array(try Data(contentsOf: URL(fileURLWithPath: fresh.signaturePath))), fileName: URL(fileURLWithPath: fresh.reportPath).lastPathComponent)

        let status = try BuiltBinary.run(push + ["--status"])
        #expect(status.stdout.contains("HTTP 422 content-mismatch") && !status.stdout.contains("signataire révoqué"), "\(status.stdout)")
        let notRefused = try BuiltBinary.run(push + ["--drop", pending.fileName, "--yes"])
        #expect(notRefused.exitCode == 64, "\(notRefused.stderr)")
        #expect(notRefused.stderr.contains("cette paire n'est pas refusée, elle attend d'être envoyée"), "\(notRefused.stderr)")
        let english = try BuiltBinary.run(push + ["--drop", pending.name, "--yes", "--lang", "en"])
        #expect(english.stderr.contains("this pair was not refused, it is waiting to be sent"), "\(english.stderr)")

        let dropped = try BuiltBinary.run(push + ["--drop-refused", "--yes"])
        #expect(dropped.exitCode == 0, "\(dropped.stderr)")
        #expect(try box.entries().map(\.name) == [pending.name])
        #expect(try BuiltBinary.run(push + ["--drop-refused", "--yes"]).stdout.contains("Aucune paire refusée"))
        #expect(try BuiltBinary.run(push + ["--drop-refused", "--status"]).exitCode == 64, "--drop goes alone")
        #expect(try BuiltBinary.run(push + ["--yes"]).exitCode == 64, "--yes goes with --drop")
    }

    @Test("on a terminal (script(1) gives the command a pty), the answer decides: n keeps the pair (exit 1), o removes it")
    func terminalConfirmation() throws {
        let fixture = try CollectorFixture(prefix: "cyberctl-push-drop")
        let revoked = try fixture.agent(siren: CollectorFixture.sirenB, host: "srv-revoked")
        try fixture.authority.revoke(serial: revoked.serial, reason: .superseded)
        let outbox = try PushToCollectorTests.outbox(fixture, for: revoked, [try fixture.signedReport(revoked)])
        let collector = try fixture.startCollector()
        let push = try Self.arguments(fixture, agent: revoked, outbox: outbox, port: collector.port)
        #expect(try BuiltBinary.run(push).exitCode == 65)
        collector.stop()
        let name = try #require(try Outbox(directory: outbox, create: false).entries().first?.name)
        let command = ([try BuiltBinary.path] + push + ["--drop", name]).joined(separator: " ")

        let declined = try Command.run("script", ["-qec", command, "/dev/null"], input: Data("n\n".utf8))
        #expect(declined.exitCode == 1, "\(declined.stdout)")
        #expect(declined.stdout.contains("Retirer 1 paire(s) de la file ? [o/N]"), "\(declined.stdout)")
        #expect(declined.stdout.contains("Rien n'a été retiré."), "\(declined.stdout)")
        #expect(try Outbox(directory: outbox, create: false).entries().count == 1)

        let accepted = try Command.run("script", ["-qec", command, "/dev/null"], input: Data("o\n".utf8))
        #expect(accepted.exitCode == 0, "\(accepted.stdout)")
        #expect(accepted.stdout.contains("Retiré de la file"), "\(accepted.stdout)")
        #expect(try Outbox(directory: outbox, create: false).entries().isEmpty)
    }
}
