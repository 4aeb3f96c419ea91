import Agent
import AgentCLI
import ArgumentParser
import Checks
import Foundation
import Model
import Territory
import Trust

/// `--config FILE`: the RSSI's configuration (`RSSIConfiguration`), else `$CYBERCTL_RSSI_CONFIG`, else
/// `/etc/cyberctl/rssi.yaml` when it exists. Read once per run.
struct RSSIConfigOption: ParsableArguments {
    @Option(
        name: .customLong("config"),
        help: "Configuration du RSSI (base, autorité, boîte de réception, périmètre, langue) ; par défaut : $CYBERCTL_RSSI_CONFIG, sinon /etc/cyberctl/rssi.yaml s'il existe (RSSI configuration file).",
        completion: .file())
    var file: String?

    /// The configuration in force, nil when none is named and the default file is absent; errors in `language`.
    func configuration(language: Language = .fr) throws(InputError) -> RSSIConfiguration? {
        try RSSIConfigurationCache.configuration(option: file, language: language)
    }

    /// `explicit` (the command's `--lang`) when given, else the configuration's `lang:`, else French. A
    /// configuration that cannot be read gives French here; the command reports its error when it reads it.
    func language(_ explicit: Language?) -> Language {
        if let explicit { return explicit }
        return ((try? configuration()) ?? nil)?.language ?? .fr
    }
}

/// The help of every `--lang` that falls back to the configuration.
let languageOptionHelp = ArgumentHelp(
    "Langue des textes : fr ou en ; par défaut : la clé lang de la configuration du RSSI, sinon fr (language of what people read; default: the configuration's lang, else fr).")

/// The configuration loaded once per process and message language (commands read it from several places).
enum RSSIConfigurationCache {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var loaded: [String: Result<RSSIConfiguration?, InputError>] = [:]

    static func configuration(option: String?, language: Language) throws(InputError) -> RSSIConfiguration? {
        let key = "\(language.rawValue)\u{0}\(option ?? "")"
        let result = lock.withLock {
            if let known = loaded[key] { return known }
            let result: Result<RSSIConfiguration?, InputError>
            do throws(InputError) {
                result = .success(try RSSIConfiguration.resolve(option: option, language: language))
            } catch {
                result = .failure(error)
            }
            loaded[key] = result
            return result
        }
        return try result.get()
    }
}

/// A path chosen for the store, the CA or the inbox, and where it came from (for messages).
struct ResolvedPath {
    enum Origin {
        /// The command-line option (`--db`, `--ca`…).
        case option(String)
        /// The configuration file's key.
        case configuration(file: String, key: String)
        /// The default location under `$XDG_DATA_HOME`.
        case environment(String)
        /// The built-in default; `configuration` is the file read without that key, if any.
        case builtIn(configuration: String?, key: String, option: String)
    }

    var path: String
    var origin: Origin

    /// "chemin donné par /etc/cyberctl/rssi.yaml, clé store" and the like.
    func originText(_ language: Language) -> String {
        let fr = language == .fr
        switch origin {
        case .option(let name):
            return fr ? "chemin donné par \(name)" : "path given by \(name)"
        case .configuration(let file, let key):
            return fr ? "chemin donné par \(file), clé \(key)" : "path given by \(file), key \(key)"
        case .environment(let variable):
            return fr
                ? "chemin par défaut sous $\(variable) : ni --db, ni clé store dans une configuration"
                : "default path under $\(variable): no --db and no store key in a configuration"
        case .builtIn(let file, let key, let option):
            if let file {
                return fr ? "chemin par défaut : ni \(option), ni clé \(key) dans \(file)" : "default path: no \(option) and no \(key) key in \(file)"
            }
            return fr
                ? "chemin par défaut : ni \(option), ni configuration (\(RSSIConfiguration.defaultPath) absent, $\(RSSIConfiguration.environmentVariable) vide)"
                : "default path: no \(option) and no configuration (\(RSSIConfiguration.defaultPath) absent, $\(RSSIConfiguration.environmentVariable) unset)"
        }
    }
}

/// Where the store is: `--db`, else the configuration's `store:`, else the default path.
struct StoreOptions: ParsableArguments {
    @OptionGroup var config: RSSIConfigOption

    @Option(help: "Base du territoire : un fichier SQLite, ou une base PostgreSQL (postgresql://UTILISATEUR@HÔTE:PORT/BASE?sslmode=verify-full&sslrootcert=CA.pem ; mot de passe par PGPASSWORD ou ~/.pgpass) ; par défaut : la clé store de la configuration du RSSI, sinon $XDG_DATA_HOME/cyberctl/territory.sqlite, soit ~/.local/share/cyberctl/territory.sqlite (territory store).")
    var db: String?

    /// The store's path and its origin; a configuration that cannot be read is an error in `language`.
    func location(_ language: Language) throws(InputError) -> ResolvedPath {
        // Read first, even when --db wins: a configuration named but unreadable is an error, never ignored.
        let configuration = try config.configuration(language: language)
        if let db { return ResolvedPath(path: db, origin: .option("--db")) }
        if let store = configuration?.store {
            return ResolvedPath(path: store.path, origin: .configuration(file: configuration!.file, key: "store"))
        }
        let environment = ProcessInfo.processInfo.environment
        if let data = environment["XDG_DATA_HOME"], data.hasPrefix("/") {
            return ResolvedPath(path: TerritoryStore.defaultPath(environment: environment), origin: .environment("XDG_DATA_HOME"))
        }
        return ResolvedPath(path: TerritoryStore.defaultPath(environment: environment), origin: .builtIn(configuration: configuration?.file, key: "store", option: "--db"))
    }

    /// Opens the store. Without `create`, a missing store is `.missing` (66) naming the path and where it came
    /// from; with `create`, a store created now is announced on stderr.
    func open(create: Bool = false, readOnly: Bool = false, language: Language) throws(InputError) -> TerritoryStore {
        let location = try location(language)
        if StoreLocation.isPostgres(location.path) {
            return try TerritoryStore(location: location.path, create: create, readOnly: readOnly)
        }
        var status = stat()
        let existed = lstat(location.path, &status) == 0
        if !existed && !create {
            throw InputError(
                .missing,
                fr: "aucune base du territoire à \(location.path) (\(location.originText(.fr))) ; `cyberctl consolidate` ou `cyberctl collect` la créent",
                en: "no territory store at \(location.path) (\(location.originText(.en))); `cyberctl consolidate` or `cyberctl collect` creates it")
        }
        let store = try TerritoryStore(path: location.path, create: create, readOnly: readOnly)
        if !existed { announceCreation(location, language) }
        return store
    }
}

/// "base du territoire créée : PATH (origin)" on stderr; French then English for a command without `--lang`.
func announceCreation(_ location: ResolvedPath, _ language: Language?) {
    switch language {
    case .fr?: note("cyberctl: base du territoire créée : \(location.path) (\(location.originText(.fr)))")
    case .en?: note("cyberctl: territory store created: \(location.path) (\(location.originText(.en)))")
    case nil: note("cyberctl: base du territoire créée (territory store created) : \(location.path) (\(location.originText(.fr)))")
    }
}

/// The trusted CA and its CRLs, as `cyberctl verify` takes them: `--ca`, else `ca.pem` in the configuration's
/// CA folder, else /etc/cyberctl/ca.pem; the CRLs `--crl`, else `crl.pem` beside the CA file.
struct TrustOptions: ParsableArguments {
    @Option(help: "Certificat(s) de l'autorité de confiance, PEM ; par défaut : ca.pem du dossier ca de la configuration du RSSI, sinon /etc/cyberctl/ca.pem (trusted CA certificates).", completion: .file())
    var ca: String?

    @Option(parsing: .singleValue, help: "CRL de l'autorité, PEM ou DER, répétable ; par défaut : crl.pem à côté du fichier de l'autorité s'il existe (CA's CRL, repeatable).")
    var crl: [String] = []

    /// The CA certificate file in force.
    func caFile(_ config: RSSIConfigOption, language: Language = .fr) throws(InputError) -> String {
        try Self.caFile(option: ca, config, language: language)
    }

    static func caFile(option: String?, _ config: RSSIConfigOption, language: Language = .fr) throws(InputError) -> String {
        if let option { return option }
        if let folder = try config.configuration(language: language)?.ca { return folder.path + "/ca.pem" }
        return "/etc/cyberctl/ca.pem"
    }

    /// `crl` when given, else `crl.pem` beside `caFile` when it exists.
    static func crlFiles(_ crl: [String], caFile: String) -> [String] {
        guard crl.isEmpty else { return crl }
        let sibling = URL(fileURLWithPath: caFile).deletingLastPathComponent().appendingPathComponent("crl.pem").path
        return FileManager.default.fileExists(atPath: sibling) ? [sibling] : []
    }

    /// The same verifier `cyberctl verify` builds.
    func verifier(_ config: RSSIConfigOption, language: Language = .fr) throws(InputError) -> ReportVerifier {
        let file = try caFile(config, language: language)
        return ReportVerifier(trust: try TrustAnchors.load(caFile: file, crlFiles: Self.crlFiles(crl, caFile: file)))
    }
}

/// The CA folder of `cyberctl pki`: `--dir`, else the configuration's `ca:`, else `fallback`.
func pkiDirectory(_ option: String?, _ config: RSSIConfigOption, fallback: String? = defaultPKIDirectory) throws(InputError) -> String {
    if let option { return option }
    if let folder = try config.configuration()?.ca { return folder.path }
    guard let fallback else {
        throw InputError(
            .usage, fr: "donnez --dir DOSSIER, ou une clé ca dans la configuration du RSSI", en: "give --dir FOLDER, or a ca key in the RSSI configuration")
    }
    return fallback
}
