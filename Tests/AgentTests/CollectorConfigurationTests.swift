import Agent
import Foundation
import Model
import TestSupport
import Testing

/// The `collector:` section of agent.yaml: strict like the rest, every mistake at its line.
@Suite("Agent configuration: collector section")
struct CollectorConfigurationTests {
    static let head = "entity:\n  name: Commune de Plouzané\n"

    func load(_ text: String) throws -> AgentConfiguration {
        let folder = try TemporaryDirectory()
        return try AgentConfiguration.load(path: try folder.write("agent.yaml", Self.head + text))
    }

    func error(_ text: String) throws -> InputError? {
        do {
            _ = try load(text)
            return nil
        } catch let error as InputError {
            return error
        }
    }

    @Test("Without a collector section there is no collector; with one, defaults fill the optional keys")
    func defaults() throws {
        #expect(try load("").collector == nil)
        let configuration = try load("collector:\n  url: https://collecteur.example.fr:8443\n  ca: /etc/cyberctl/ca.pem\n")
        let collector = try #require(configuration.collector)
        #expect(collector.url == "https://collecteur.example.fr:8443")
        #expect(collector.endpoint == "https://collecteur.example.fr:8443/v1/reports")
        #expect(collector.ca == "/etc/cyberctl/ca.pem")
        #expect(collector.outbox == "/var/lib/cyberctl/outbox")
        #expect(collector.connectTimeout == 10 && collector.timeout == 60)
        let full = try load("collector:\n  url: https://c.example.fr/v1/reports/\n  ca: ca.pem\n  outbox: /srv/outbox\n  connect_timeout: 2.5\n  timeout: 30\n")
        #expect(full.collector?.endpoint == "https://c.example.fr/v1/reports")
        #expect(full.collector?.outbox == "/srv/outbox")
        #expect(full.collector?.connectTimeout == 2.5 && full.collector?.timeout == 30)
    }

    @Test("Timeouts take a number of seconds or a duration with its unit, French or English (DurationText)")
    func timeoutUnits() throws {
        let configuration = try load("collector:\n  url: https://c.example.fr\n  ca: ca.pem\n  connect_timeout: 15s\n  timeout: 2min\n")
        #expect(configuration.collector?.connectTimeout == 15 && configuration.collector?.timeout == 120)
        let hour = try load("collector:\n  url: https://c.example.fr\n  ca: ca.pem\n  timeout: 1 heure\n")
        #expect(hour.collector?.timeout == 3600)
        let tooLong = try #require(try error("collector:\n  url: https://c.example.fr\n  ca: ca.pem\n  timeout: 2j\n"))
        #expect(tooLong.line == 6)
        #expect(tooLong.englishMessage.contains("at most 3600 seconds"), "\(tooLong.englishMessage)")
        #expect(tooLong.englishMessage.contains("w (or sem)"), "the message lists the units: \(tooLong.englishMessage)")
    }

    @Test("Unknown keys, missing keys, non-https URLs and bad timeouts are refused at their line (file:line)")
    func mistakes() throws {
        // Line numbers count the two entity lines first.
        let unknown = try #require(try error("collector:\n  url: https://c.example.fr\n  ca: ca.pem\n  proxy: http://p\n"))
        #expect(unknown.line == 6)
        #expect(unknown.englishMessage.contains("unknown key \"proxy\" in collector"))
        #expect(unknown.description.contains("agent.yaml:6"))

        let missing = try #require(try error("collector:\n  url: https://c.example.fr\n"))
        #expect(missing.englishMessage.contains("missing required key \"ca\""))
        #expect(missing.line == 4)

        let plain = try #require(try error("collector:\n  url: http://c.example.fr\n  ca: ca.pem\n"))
        #expect(plain.line == 4)
        #expect(plain.message.contains("https://"))

        let credentials = try #require(try error("collector:\n  url: https://user:secret@c.example.fr\n  ca: ca.pem\n"))
        #expect(credentials.englishMessage.contains("no user or password"))

        let timeout = try #require(try error("collector:\n  url: https://c.example.fr\n  ca: ca.pem\n  timeout: -1\n"))
        #expect(timeout.line == 6)
        #expect(timeout.englishMessage.contains("timeout"))
        // 0 is refused too, and the message does not claim otherwise.
        let zero = try #require(try error("collector:\n  url: https://c.example.fr\n  ca: ca.pem\n  timeout: 0\n"))
        #expect(zero.englishMessage.contains("greater than 0 and at most 3600"), "\(zero.englishMessage)")

        let notMapping = try #require(try error("collector: https://c.example.fr\n"))
        #expect(notMapping.line == 3)
        #expect(notMapping.exitCode == 65)
    }

    @Test("A CR, LF, tab, space or C1 control in collector.url is refused at its line (65), not left for push to retry forever",
          arguments: ["https://c.example.fr\\r\\n", "https://c.example.fr\\n/v1", "https://c.example.fr/\\r", "https://c.exa mple.fr",
                      "https://c.example.fr\\t", "https://c.example.fr\\u0085", "https://c.example.fr\\u001b[2J"])
    func controlCharactersInURL(url: String) throws {
        let error = try #require(try error("collector:\n  url: \"\(url)\"\n  ca: ca.pem\n"), "\(url) was accepted")
        #expect(error.exitCode == 65)
        #expect(error.line == 4, "\(error)")
        #expect(error.description.contains("agent.yaml:4"), "\(error)")
        #expect(error.englishMessage.contains("collector key \"url\""), "\(error.englishMessage)")
        #expect(!error.englishMessage.unicodeScalars.contains { $0.value < 0x20 || (0x7F...0x9F).contains($0.value) }, "the message itself is one safe line")
        #expect(AgentConfiguration.Collector.problem(url: "https://c.example.fr:8443/v1/reports") == nil)
    }

    @Test("Relative paths in agent.yaml (outbox, ca, signing key and certificate, a profile file) resolve against its folder")
    func relativePathsResolveAgainstTheFile() throws {
        let folder = try TemporaryDirectory()
        let path = try folder.write(
            "conf/agent.yaml",
            Self.head + """
                profile: profils/maison.yaml
                signing: {key: agent.key, certificate: ../pki/agent.crt}
                collector: {url: "https://c.example.fr", ca: ca.pem, outbox: outbox}

                """)
        let configuration = try AgentConfiguration.load(path: path)
        let base = URL(fileURLWithPath: folder.url("conf")).standardizedFileURL.path
        #expect(configuration.collector?.outbox == base + "/outbox")
        #expect(configuration.collector?.ca == base + "/ca.pem")
        #expect(configuration.signing?.key == base + "/agent.key")
        #expect(configuration.signing?.certificate == URL(fileURLWithPath: folder.url("pki/agent.crt")).standardizedFileURL.path)
        #expect(configuration.profile == base + "/profils/maison.yaml")
        // A profile name stays a name (ProfileLocator finds it); absolute paths stay as written.
        let named = try AgentConfiguration.load(
            path: try folder.write("agent2.yaml", Self.head + "profile: commune\ncollector: {url: \"https://c.example.fr\", ca: /etc/ca.pem}\n"))
        #expect(named.profile == "commune")
        #expect(named.collector?.ca == "/etc/ca.pem")
        #expect(named.collector?.outbox == "/var/lib/cyberctl/outbox")
    }
}
