import Foundation
import Testing
import TestSupport

/// A relative `outbox:` in agent.yaml is the one next to the file, whatever folder `push` runs from (it used to be
/// taken from the working folder: "unreadable state … state.json").
@Suite
struct AgentRelativePathTests {
    @Test("push --status reads the outbox named relatively in agent.yaml from the file's folder, not the working folder")
    func relativeOutbox() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-relative")
        let config = try folder.write(
            "etc/agent.yaml", "entity:\n  name: Commune\ncollector:\n  url: https://127.0.0.1:9\n  ca: ca.pem\n  outbox: outbox\n")
        let elsewhere = try folder.makeDirectory("ailleurs")
        let expected = URL(fileURLWithPath: folder.url("etc/outbox")).standardizedFileURL.path
        let status = try BuiltBinary.run(["push", "--status", "--config", config], currentDirectory: elsewhere)
        #expect(status.exitCode == 0, "\(status.stderr)")
        #expect(status.stdout.contains(expected), "\(status.stdout)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere + "/outbox"))
        let english = try BuiltBinary.run(["push", "--status", "--config", config, "--lang", "en"], currentDirectory: elsewhere)
        #expect(english.stdout.contains("Outbox empty (\(expected))"), "\(english.stdout)")
    }
}
