import Agent
import Checks
import Foundation
import Model
import Territory
import TestSupport
import Testing

/// `RSSIConfiguration`: the RSSI side's one configuration file (issue 14): keys, relative paths, which file is
/// read (option > environment > default), and the errors of a missing or malformed file.
@Suite("RSSI configuration (rssi.yaml)")
struct RSSIConfigurationTests {
    @Test("every key read; relative paths resolve against the file's folder, absolute ones stay; lines kept")
    func keysAndRelativePaths() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-rssi-config")
        let file = try folder.write("etc/rssi.yaml", """
            # the RSSI's configuration
            store: territory.sqlite
            ca: ../pki
            inbox: /srv/rapports
            roster: "perimetre.yaml"
            lang: en
            """)
        let configuration = try RSSIConfiguration.load(path: file)
        #expect(configuration.store == .init(path: folder.url("etc/territory.sqlite"), line: 2))
        #expect(configuration.ca?.path == folder.url("pki"))
        #expect(configuration.inbox?.path == "/srv/rapports")
        #expect(configuration.roster?.path == folder.url("etc/perimetre.yaml"))
        #expect(configuration.language == .en)
        // An empty file (comments only) is a configuration without keys.
        let empty = try RSSIConfiguration.load(path: try folder.write("empty.yaml", "# rien encore\n"))
        #expect(empty.store == nil && empty.language == nil)
    }

    @Test("option > $CYBERCTL_RSSI_CONFIG > default file; no default file is no configuration")
    func precedence() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-rssi-config")
        let byOption = try folder.write("option.yaml", "store: a.sqlite\n")
        let byEnvironment = try folder.write("env.yaml", "store: b.sqlite\n")
        let byDefault = try folder.write("default.yaml", "store: c.sqlite\n")
        let environment = [RSSIConfiguration.environmentVariable: byEnvironment]
        let option = try RSSIConfiguration.resolve(option: byOption, environment: environment, defaultPath: byDefault)
        #expect(option?.store?.path == folder.url("a.sqlite") && option?.source == .option)
        let fromEnvironment = try RSSIConfiguration.resolve(option: nil, environment: environment, defaultPath: byDefault)
        #expect(fromEnvironment?.store?.path == folder.url("b.sqlite") && fromEnvironment?.source == .environment)
        let fromDefault = try RSSIConfiguration.resolve(option: nil, environment: [:], defaultPath: byDefault)
        #expect(fromDefault?.store?.path == folder.url("c.sqlite") && fromDefault?.source == .defaultLocation)
        #expect(try RSSIConfiguration.resolve(option: nil, environment: [:], defaultPath: folder.url("absent.yaml")) == nil)
    }

    @Test("a file named by --config or the environment that is missing: 66 naming it and who named it")
    func missingNamedFile() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-rssi-config")
        let absent = folder.url("absent.yaml")
        #expect(throws: InputError.self) { try RSSIConfiguration.resolve(option: absent, environment: [:]) }
        do {
            _ = try RSSIConfiguration.resolve(option: nil, environment: [RSSIConfiguration.environmentVariable: absent], defaultPath: absent)
            Issue.record("a missing file named by the environment was accepted")
        } catch {
            #expect(error.exitCode == 66)
            #expect(error.description.contains(absent) && error.description.contains("$CYBERCTL_RSSI_CONFIG"), "\(error)")
        }
    }

    @Test("malformed: unknown key, a list for a path, a bad lang, YAML syntax — 65 with file:line and what was expected", arguments: [
        ("store: a.sqlite\ndatabase: b.sqlite\n", 2, "clé inconnue « database »"),
        ("store:\n  - a\n  - b\n", 2, "un chemin sur une ligne est attendu"),
        ("lang: de\n", 1, "fr ou en est attendu"),
        ("store: [a\n", nil, "YAML"),
        ("- store\n", 1, "un dictionnaire de clés et de valeurs est attendu"),
    ] as [(String, Int?, String)])
    func malformed(_ text: String, _ line: Int?, _ expected: String) throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-rssi-config")
        let file = try folder.write("rssi.yaml", text)
        do {
            _ = try RSSIConfiguration.load(path: file)
            Issue.record("accepted: \(text)")
        } catch {
            #expect(error.exitCode == 65)
            #expect(error.description.hasPrefix(file + (line.map { ":\($0)" } ?? "")), "\(error)")
            #expect(error.description.contains(expected), "\(error)")
        }
    }
}
