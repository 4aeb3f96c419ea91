import Checks
import FoundationEssentials
import NIS2
import Model
import OpenSSLKit
import ShippedData
import YAML

/// A scan profile: which checks run, with which parameters. Read from YAML:
///
/// ```yaml
/// name: default
/// description: Tout ce que l'agent trouve seul sur ce serveur.
/// checks:
///   cert.files:
///     discover: true
///     warning_days: 30
/// ```
/// Unknown keys, unknown check ids and wrong types are errors naming the file, line and key.
public struct Profile: Sendable {
    public let name: String
    public let description: String?
    /// Where it was read from.
    public let file: String
    /// SHA-256 of the file's bytes, lower-case hex; recorded in every report.
    public let sha256: String
    /// The configured checks, in profile order.
    public let checks: [any Check]

    static let topLevelKeys = ["name", "description", "checks"]
    /// The file, in error messages.
    static let noun = LocalizedText(fr: "profil", en: "profile")

    /// Reads and validates a profile file.
    /// - Throws: `InputError` (.missing when absent, .invalidData with line and key when malformed).
    public static func load(path: String) throws(InputError) -> Profile {
        try parse(bytes: InputError.readInput(path, what: Self.noun), file: path)
    }

    /// Parses profile text; `file` names it in errors.
    public static func parse(bytes: [UInt8], file: String) throws(InputError) -> Profile {
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InputError(.invalidData, file: file, fr: "ce n'est pas du texte UTF-8", en: "not UTF-8 text")
        }
        let root = try YAMLInput.mapping(YAMLInput.compose(text, file: file), file: file, what: Self.noun)
        try YAMLInput.requireKnownKeys(root, allowed: topLevelKeys, file: file, context: Self.noun)
        guard let name = root["name"]?.scalar?.string, !name.isEmpty else {
            throw InputError(.invalidData, file: file, line: root.mark?.line, fr: "clé « name » absente : le nom du profil est attendu",
                en: "missing key \"name\": expected the profile's name")
        }
        let description = root["description"]?.scalar?.string
        guard let checksNode = root["checks"] else {
            throw InputError(.invalidData, file: file, line: root.mark?.line,
                fr: "clé « checks » absente : un dictionnaire des identifiants de contrôles vers leurs paramètres est attendu",
                en: "missing key \"checks\": expected a mapping of check ids to parameters")
        }
        let checksMapping = try YAMLInput.mapping(checksNode, file: file, what: LocalizedText(both: "checks"))
        var checks: [any Check] = []
        for (key, value) in checksMapping {
            let id = key.scalar?.string ?? ""
            guard let type = CheckRegistry.type(withID: id) else {
                throw InputError(
                    .invalidData, file: file, line: key.mark?.line, column: key.mark?.column,
                    fr: "contrôle inconnu « \(id) » ; contrôles possibles : \(CheckRegistry.all.map { $0.id }.joined(separator: ", "))",
                    en: "unknown check \"\(id)\"; expected one of: \(CheckRegistry.all.map { $0.id }.joined(separator: ", "))")
            }
            checks.append(try makeCheck(type, from: value, file: file))
        }
        return Profile(name: name, description: description, file: file, sha256: Digest.sha256Hex(bytes), checks: checks)
    }

    private static func makeCheck<T: ConfigurableCheck>(_ type: T.Type, from node: Node, file: String) throws(InputError) -> any Check {
        // `cert.files:` with nothing after it means "with the defaults".
        if node.scalar.map({ $0.string.isEmpty || $0.string == "~" || $0.string == "null" }) == true { return T() }
        let parameters = LocalizedText(fr: "paramètres de \(T.id)", en: "parameters of \(T.id)")
        let mapping = try YAMLInput.mapping(node, file: file, what: parameters)
        try YAMLInput.requireKnownKeys(mapping, allowed: T.parameterNames, file: file, context: parameters)
        return try YAMLInput.decode(T.self, from: node, file: file, context: LocalizedText(both: T.id))
    }
}

/// Finds profiles by name: a path given as is; otherwise `<name>.yaml` in the installed share
/// folder (`<prefix>/share/cyberctl/profiles`, next to `<prefix>/bin/cyberctl`), then in the
/// `Profiles/` folder of the checkout the binary was built in.
public enum ProfileLocator {
    /// Folders searched for named profiles, in order; only existing ones.
    public static func searchDirectories(executable: String = CommandLine.arguments.first ?? "") -> [String] {
        ShippedData.folders(executable: executable)
    }

    /// The file for `nameOrPath`.
    /// - Throws: `InputError(.missing)` listing where it looked.
    public static func locate(_ nameOrPath: String, executable: String = CommandLine.arguments.first ?? "") throws(InputError) -> String {
        if nameOrPath.contains("/") || nameOrPath.hasSuffix(".yaml") || nameOrPath.hasSuffix(".yml") {
            guard FileManager.default.fileExists(atPath: nameOrPath) else {
                throw InputError(.missing, file: nameOrPath, fr: "profil introuvable", en: "profile not found")
            }
            return nameOrPath
        }
        let folders = searchDirectories(executable: executable)
        for folder in folders {
            let path = "\(folder)/\(nameOrPath).yaml"
            if FileManager.default.fileExists(atPath: path) { return path }
        }
        throw InputError(
            .missing,
            fr: "aucun profil nommé « \(nameOrPath) » dans \(folders.isEmpty ? "les dossiers de profils (aucun trouvé)" : folders.joined(separator: ", "))",
            en: "no profile named \"\(nameOrPath)\" in \(folders.isEmpty ? "any profile folder (none found)" : folders.joined(separator: ", "))")
    }

    /// Every profile found in the search folders (first one wins for a name), sorted by name.
    public static func available(executable: String = CommandLine.arguments.first ?? "") -> [(name: String, path: String)] {
        var found: [String: String] = [:]
        for folder in searchDirectories(executable: executable) {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where file.hasSuffix(".yaml") {
                let name = String(file.dropLast(5))
                if found[name] == nil { found[name] = "\(folder)/\(file)" }
            }
        }
        return found.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
