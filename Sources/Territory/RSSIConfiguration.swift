import Agent
import Checks
import Foundation
import NIS2
import Model
import YAML

/// `/etc/cyberctl/rssi.yaml`: the one configuration of the mutualised RSSI's side (issue 14). `collect`,
/// `consolidate`, `territory …`, `summary`, `incident …` and `pki` read their store, CA folder, inbox, roster
/// and language from it; an option given on the command line (`--db`, `--ca`, `--dir`, `--inbox`, `--lang`)
/// still wins.
///
/// ```yaml
/// store: /var/lib/cyberctl/territory.sqlite   # the territory store (SQLite)
/// ca: /var/lib/cyberctl/pki                   # the CA folder of `cyberctl pki` (ca.pem, crl.pem)
/// inbox: /var/lib/cyberctl/inbox              # where `collect` stores reports, what `consolidate` reads
/// roster: /etc/cyberctl/roster.yaml           # the declared roster (`territory roster import`)
/// lang: fr                                    # fr or en: the language of what people read
/// ```
///
/// Every key is optional. A relative path is resolved against the folder of the configuration file, so a
/// folder holding `rssi.yaml` with `store: territory.sqlite` can be moved as a whole.
public struct RSSIConfiguration: Sendable, Equatable {
    /// A path read from the file: absolute, with the line of its key (1-based) for messages.
    public struct Setting: Sendable, Equatable {
        public var path: String
        public var line: Int?

        public init(path: String, line: Int?) {
            self.path = path
            self.line = line
        }
    }

    /// Where the file was named: `--config`, `$CYBERCTL_RSSI_CONFIG`, or the default location.
    public enum Source: Sendable, Equatable {
        case option, environment, defaultLocation
    }

    /// The configuration file as it was named (absolute or relative to the working folder).
    public var file: String
    public var source: Source
    /// `store:` — the territory store.
    public var store: Setting?
    /// `ca:` — the CA folder (`ca.pem`, `crl.pem`, the folder of `cyberctl pki --dir`).
    public var ca: Setting?
    /// `inbox:` — the folder `collect` writes and `consolidate` reads.
    public var inbox: Setting?
    /// `roster:` — the roster file `territory roster import` reads.
    public var roster: Setting?
    /// `lang:` — the language of what people read, unless `--lang` is given.
    public var language: Language?

    /// The default location.
    /// The file, in error messages.
    static let noun = LocalizedText(fr: "configuration du RSSI", en: "RSSI configuration")

    public static let defaultPath = "/etc/cyberctl/rssi.yaml"
    /// The environment variable naming the file when `--config` is not given.
    public static let environmentVariable = "CYBERCTL_RSSI_CONFIG"
    /// The keys a configuration may have.
    public static let keys = ["store", "ca", "inbox", "roster", "lang"]

    public init(file: String, source: Source = .option) {
        self.file = file
        self.source = source
    }

    /// The configuration in force: the file named by `option` (`--config`), else by `$CYBERCTL_RSSI_CONFIG`,
    /// else `/etc/cyberctl/rssi.yaml` when it exists; nil when none is named and the default file is absent.
    /// Messages are in `language` (French by default).
    /// - Throws: `InputError` `.missing` (66) when a file named by the option or the environment is absent,
    ///   `.invalidData` (65) naming file, line and what was expected when the file cannot be read as a configuration.
    public static func resolve(
        option: String?, environment: [String: String] = ProcessInfo.processInfo.environment, defaultPath: String = defaultPath,
        language: Language = .fr
    ) throws(InputError) -> RSSIConfiguration? {
        if let option {
            return try load(path: option, source: .option, language: language)
        }
        if let named = environment[environmentVariable], !named.isEmpty {
            return try load(path: named, source: .environment, language: language)
        }
        guard FileManager.default.fileExists(atPath: defaultPath) else { return nil }
        return try load(path: defaultPath, source: .defaultLocation, language: language)
    }

    /// Reads the configuration at `path`.
    /// - Throws: `InputError` (.missing, naming the file and who named it; .invalidData with the line and key).
    public static func load(path: String, source: Source = .option, language: Language = .fr) throws(InputError) -> RSSIConfiguration {
        guard FileManager.default.fileExists(atPath: path) else {
            let who: LocalizedText = switch source {
            case .option: LocalizedText(fr: "nommée par --config", en: "named by --config")
            case .environment: LocalizedText(fr: "nommée par $\(environmentVariable)", en: "named by $\(environmentVariable)")
            case .defaultLocation: LocalizedText(fr: "emplacement par défaut", en: "default location")
            }
            throw InputError(
                .missing, file: path, fr: "configuration du RSSI introuvable (\(who.fr))", en: "RSSI configuration not found (\(who.en))")
        }
        let bytes = try InputError.readInput(path, what: Self.noun, limit: 64 << 10)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InputError(.invalidData, file: path, fr: "pas du texte UTF-8",
                                                       en: "not UTF-8 text")
        }
        var configuration = RSSIConfiguration(file: path, source: source)
        // An empty file (or one of comments only) is a configuration with no key.
        do {
            if try YAML.compose(yaml: text) == nil { return configuration }
        } catch {
            // A syntax error: YAMLInput.compose below reports it with its line.
        }
        let root = try YAMLInput.mapping(YAMLInput.compose(text, file: path), file: path, what: Self.noun)
        let folder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        for (keyNode, value) in root {
            guard let key = keyNode.scalar?.string, keys.contains(key) else {
                let name = keyNode.scalar?.string ?? "?"
                throw InputError(
                    .invalidData, file: path, line: keyNode.mark?.line, column: keyNode.mark?.column,
                    fr: "clé inconnue « \(name) » ; clés attendues : \(keys.joined(separator: ", "))",
                    en: "unknown key \"\(name)\"; expected one of: \(keys.joined(separator: ", "))")
            }
            guard let scalar = value.scalar, !scalar.string.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw InputError(
                    .invalidData, file: path, line: value.mark?.line ?? keyNode.mark?.line, column: value.mark?.column,
                    fr: "clé « \(key) » : \(key == "lang" ? "fr ou en est attendu" : "un chemin sur une ligne est attendu")",
                    en: "key \"\(key)\": expected \(key == "lang" ? "fr or en" : "a path on one line")")
            }
            let line = keyNode.mark?.line
            if key == "lang" {
                guard let chosen = Language(rawValue: scalar.string) else {
                    throw InputError(
                        .invalidData, file: path, line: value.mark?.line, column: value.mark?.column,
                        fr: "clé « lang » : fr ou en est attendu, trouvé « \(scalar.string) »",
                        en: "key \"lang\": expected fr or en, found \"\(scalar.string)\"")
                }
                configuration.language = chosen
                continue
            }
            let raw = scalar.string
            if raw.contains(where: { $0.isNewline || $0.asciiValue.map { $0 < 0x20 } == true }) {
                throw InputError(
                    .invalidData, file: path, line: value.mark?.line, column: value.mark?.column,
                    fr: "clé « \(key) » : un chemin sur une ligne est attendu",
                    en: "key \"\(key)\": expected a path on one line")
            }
            // A PostgreSQL connection URI (`store: postgresql://…`) is kept as written; a path is made absolute.
            let absolute = raw.hasPrefix("/") || (key == "store" && StoreLocation.isPostgres(raw)) ? raw : URL(fileURLWithPath: raw, relativeTo: URL(fileURLWithPath: folder, isDirectory: true)).standardizedFileURL.path
            let setting = Setting(path: absolute, line: line)
            switch key {
            case "store": configuration.store = setting
            case "ca": configuration.ca = setting
            case "inbox": configuration.inbox = setting
            default: configuration.roster = setting
            }
        }
        return configuration
    }
}
