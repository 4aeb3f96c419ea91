import Foundation
import Testing
import TestSupport

/// A SIREN typed with spaces (`212 900 195`, also with no-break spaces) is accepted and stored compact wherever a
/// SIREN is an input of the built binary, and is still checked (9 digits, Luhn key) (issue 18).
@Suite
struct SIRENInputTests {
    @Test("enroll --siren \"212 900 195\" writes a request for NTRFR-212900195 (read back with openssl req)")
    func pkiRequest() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-siren")
        let output = try BuiltBinary.run([
            "enroll", "--entity-name", "Commune de Plouzané", "--siren", "212\u{00A0}900\u{00A0}195", "--host", "srv-mairie",
            "--dir", folder.path,
        ])
        #expect(output.exitCode == 0, "\(output.stderr)")
        let subject = try Command.run("openssl", ["req", "-in", folder.url("agent.csr"), "-noout", "-subject", "-nameopt", "RFC2253"])
        #expect(subject.stdout.contains("NTRFR-212900195"), "\(subject.stdout)")

        let wrong = try BuiltBinary.run([
            "enroll", "--entity-name", "Commune de Plouzané", "--siren", "212 900 196", "--host", "srv", "--dir", folder.url("other"),
        ])
        #expect(wrong.exitCode == 64, "a bad Luhn key is still refused: \(wrong.stderr)")
        #expect(wrong.stderr.contains("212 900 196"), "the SIREN as typed: \(wrong.stderr)")
    }

    @Test("incident open --entity \"212 900 195\" stores 212900195; territory entity and summary --entity accept spaces, refuse a bad key")
    func commandLineSIRENs() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-siren")
        let db = folder.url("territory.sqlite")
        // incident open never creates a store: one is made by importing a roster (as the walkthrough does).
        let roster = try folder.write("roster.yaml", "territory:\n  name: Communauté de communes\n  siren: \"242900645\"\nmembers:\n  - name: Commune\n    siren: \"212900195\"\n")
        #expect(try BuiltBinary.run(["territory", "roster", "import", roster, "--db", db]).exitCode == 0)
        let opened = try BuiltBinary.run([
            "incident", "open", "--title", "Hameçonnage", "--aware-at", "2026-03-01T08:00Z", "--now", "2026-03-01T09:00Z",
            "--entity", "212 900 195", "--db", db, "--agent-config", folder.url("no-agent.yaml"), "--format", "json",
        ])
        #expect(opened.exitCode == 0, "\(opened.stderr)")
        let shown = try JSONSerialization.jsonObject(with: opened.stdoutData) as? [String: Any]
        #expect((shown?["incident"] as? [String: Any])?["siren"] as? String == "212900195", "\(opened.stdout)")

        // A store with no report for it: the SIREN passed validation (65/66 from the store, never 64).
        let entity = try BuiltBinary.run(["territory", "entity", "212 900 195", "--db", db])
        #expect(entity.exitCode != 64 && entity.exitCode != 0, "\(entity.exitCode) \(entity.stderr)")
        #expect(!entity.stderr.contains("Luhn"), "\(entity.stderr)")
        let badEntity = try BuiltBinary.run(["territory", "entity", "212 900 196", "--db", db])
        #expect(badEntity.exitCode == 64, "\(badEntity.stderr)")

        let summary = try BuiltBinary.run(["summary", "--entity", "212\u{202F}900\u{202F}195", "--db", db])
        #expect(summary.exitCode != 64, "\(summary.exitCode) \(summary.stderr)")
        let badSummary = try BuiltBinary.run(["summary", "--entity", "212 900 19", "--db", db])
        #expect(badSummary.exitCode == 64, "\(badSummary.stderr)")
    }
}
