import Foundation
import TestSupport
import Testing

/// The RSSI configuration through the built binary (issue 14): read commands never create a store and say
/// where the path they looked at came from; only consolidate (and collect, roster import) create one and say
/// so; `lang:` is the default language; `--db` and `--lang` still win; bad configurations are named.
@Suite("RSSI configuration end to end (one configuration, one store)")
struct RSSIConfigurationCommandTests {
    /// An environment without XDG_DATA_HOME, HOME in `folder`, and `$CYBERCTL_RSSI_CONFIG` as given.
    static func environment(_ folder: TemporaryDirectory, config: String?) -> [String: String] {
        var environment = ProcessInfo.processInfo.environment
        environment["XDG_DATA_HOME"] = nil
        environment["HOME"] = folder.url("home")
        environment["CYBERCTL_RSSI_CONFIG"] = config
        return environment
    }

    @Test("every read command: exit 66, the path and where it came from (configuration file and key), nothing created", arguments: [
        ["territory", "status"], ["territory", "findings"], ["territory", "certificates"], ["territory", "alerts"],
        ["territory", "digest", "--entity", "212 901 896"], ["territory", "roster", "show"], ["summary", "--territory"],
        ["incident", "list"], ["incident", "due"], ["incident", "show", "1"],
    ])
    func readCommandsNeverCreate(_ arguments: [String]) throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-rssi-read")
        let config = try folder.write("etc/rssi.yaml", "store: data/territory.sqlite\n")
        let store = folder.url("etc/data/territory.sqlite")
        let output = try BuiltBinary.run(arguments, environment: Self.environment(folder, config: config))
        #expect(output.exitCode == 66, "\(arguments): \(output.stderr)")
        #expect(
            output.stderr.contains("aucune base du territoire à \(store) (chemin donné par \(config), clé store) ; `cyberctl consolidate` ou `cyberctl collect` la créent"),
            "\(arguments): \(output.stderr)")
        #expect(!FileManager.default.fileExists(atPath: store))
        #expect(!FileManager.default.fileExists(atPath: folder.url("etc/data")))
    }

    @Test("origins: --db, the default path (no configuration); English with --lang en and with lang: en in the configuration")
    func originsAndLanguage() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-rssi-origin")
        let none = Self.environment(folder, config: nil)
        let byOption = try BuiltBinary.run(["territory", "status", "--db", folder.url("x.sqlite")], environment: none)
        #expect(byOption.exitCode == 66)
        #expect(byOption.stderr.contains("aucune base du territoire à \(folder.url("x.sqlite")) (chemin donné par --db)"), "\(byOption.stderr)")
        // Without a configuration file and XDG_DATA_HOME: the default under HOME, said as such (this test cannot
        // rely on /etc/cyberctl/rssi.yaml being absent on the machine, so it names an empty configuration).
        let empty = try folder.write("empty.yaml", "# rien\n")
        let byDefault = try BuiltBinary.run(["territory", "status"], environment: Self.environment(folder, config: empty))
        #expect(byDefault.exitCode == 66)
        #expect(
            byDefault.stderr.contains("aucune base du territoire à \(folder.url("home"))/.local/share/cyberctl/territory.sqlite (chemin par défaut : ni --db, ni clé store dans \(empty))"),
            "\(byDefault.stderr)")
        let config = try folder.write("rssi.yaml", "store: t.sqlite\nlang: en\n")
        let english = try BuiltBinary.run(["territory", "alerts"], environment: Self.environment(folder, config: config))
        #expect(english.exitCode == 66)
        #expect(english.stderr.contains("no territory store at \(folder.url("t.sqlite")) (path given by \(config), key store)"), "\(english.stderr)")
        let french = try BuiltBinary.run(["territory", "alerts", "--lang", "fr", "--config", config], environment: none)
        #expect(french.stderr.contains("aucune base du territoire à \(folder.url("t.sqlite"))"), "\(french.stderr)")
    }

    @Test("a configuration named but missing: 66 naming it; malformed: 65 with file:line and what was expected")
    func badConfigurations() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-rssi-bad")
        let absent = folder.url("absent.yaml")
        let missing = try BuiltBinary.run(["territory", "status", "--config", absent], environment: Self.environment(folder, config: nil))
        #expect(missing.exitCode == 66)
        #expect(missing.stderr.contains("\(absent): configuration du RSSI introuvable (nommée par --config)"), "\(missing.stderr)")
        let fromEnvironment = try BuiltBinary.run(["incident", "list"], environment: Self.environment(folder, config: absent))
        #expect(fromEnvironment.exitCode == 66)
        #expect(fromEnvironment.stderr.contains("nommée par $CYBERCTL_RSSI_CONFIG"), "\(fromEnvironment.stderr)")
        let malformed = try folder.write("rssi.yaml", "store: t.sqlite\nbase: x\n")
        let bad = try BuiltBinary.run(["territory", "status"], environment: Self.environment(folder, config: malformed))
        #expect(bad.exitCode == 65)
        #expect(bad.stderr.contains("\(malformed):2:1: clé inconnue « base » ; clés attendues : store, ca, inbox, roster, lang"), "\(bad.stderr)")
    }

    @Test("consolidate creates the configured store from the configured inbox and CA, and says so; the read commands then work; --db still wins")
    func consolidateCreates() throws {
        let folder = try TemporaryDirectory(prefix: "cyberctl-rssi-create")
        let created = try BuiltBinary.run(["pki", "init", "--dir", folder.url("pki"), "--name", "RSSI de test"])
        #expect(created.exitCode == 0, "\(created.stderr)")
        _ = try folder.makeDirectory("inbox")
        let config = try folder.write("rssi.yaml", "store: territory.sqlite\nca: pki\ninbox: inbox\n")
        let environment = Self.environment(folder, config: config)
        let consolidated = try BuiltBinary.run(["consolidate"], environment: environment)
        #expect(consolidated.exitCode == 0, "\(consolidated.stderr)")
        #expect(consolidated.stderr.contains("base du territoire créée : \(folder.url("territory.sqlite")) (chemin donné par \(config), clé store)"), "\(consolidated.stderr)")
        let again = try BuiltBinary.run(["consolidate"], environment: environment)
        #expect(!again.stderr.contains("créée"), "\(again.stderr)")
        let status = try BuiltBinary.run(["territory", "status"], environment: environment)
        #expect(status.exitCode == 0, "\(status.stderr)")
        // The digest of a SIREN the store does not know: 66 naming it (spaces accepted and normalised).
        let digest = try BuiltBinary.run(["territory", "digest", "--entity", "212 901 896"], environment: environment)
        #expect(digest.exitCode == 66)
        #expect(digest.stderr.contains("SIREN 212901896 : ni membre du périmètre déclaré, ni dans les rapports de la base"), "\(digest.stderr)")
        #expect(try BuiltBinary.run(["territory", "digest", "--entity", "212 901 897"], environment: environment).exitCode == 64)
        // --db wins over the configuration's store.
        let other = try BuiltBinary.run(["territory", "status", "--db", folder.url("other.sqlite")], environment: environment)
        #expect(other.exitCode == 66 && other.stderr.contains("(chemin donné par --db)"), "\(other.stderr)")
    }
}
