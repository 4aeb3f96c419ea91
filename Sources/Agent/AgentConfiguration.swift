import Checks
import FoundationEssentials
import FoundationGaps
import NIS2
import Model
import YAML

/// `/etc/cyberctl/agent.yaml`: who this agent speaks for, which profile it runs, and (later issues)
/// how it signs and where it delivers.
///
/// ```yaml
/// entity:
///   name: Commune de Plouzané
///   siren: "212900195"
///   insee: "29212"
///   kind: commune
///   population: 13000
///   departement: "29"
///   region: Bretagne
///   domains:                       # optional: the domain names checked by exposition.domains
///     - mairie-exemple.fr
///     - {name: ville-exemple.fr, dkim_selectors: [s1]}
/// profile: default
/// signing:
///   key: /etc/cyberctl/agent.key
///   certificate: /etc/cyberctl/agent.crt
/// collector:                       # optional: without it, nothing is ever sent anywhere
///   url: https://collecteur.example.fr:8443
///   ca: /etc/cyberctl/ca.pem       # the RSSI's CA certificate: the only anchor the collector is verified against
///   outbox: /var/lib/cyberctl/outbox   # default
///   connect_timeout: 10            # seconds, default 10; or with a unit: 10s, 1min (DurationText)
///   timeout: 60                    # seconds per report, default 60; or 1min, 90s
/// ```
public struct AgentConfiguration: Sendable, Equatable {
    public var entity: Entity
    /// The entity's domain names (`entity.domains`), for `exposition.domains`. Not part of the report's entity.
    public var domains: [DeclaredDomain]
    /// Profile name or path; nil means `default`.
    public var profile: String?
    /// Agent key and certificate for signing reports; nil when not enrolled.
    public var signing: Signing?
    /// Where signed reports are delivered (`cyberctl push`); nil: the agent sends nothing anywhere.
    public var collector: Collector?

    public struct Signing: Codable, Sendable, Equatable {
        /// Private key file (PEM, mode 0600).
        public var key: String
        /// Agent certificate issued by the RSSI's CA (PEM).
        public var certificate: String
    }

    /// The RSSI's collector (issue 11, push protocol `POST /v1/reports` over mutual TLS).
    public struct Collector: Sendable, Equatable {
        /// Base URL, `https://` only (e.g. `https://collecteur.example.fr:8443`); reports go to `<url>/v1/reports`.
        public var url: String
        /// The RSSI's CA certificate (PEM): the collector's certificate must chain to it and name the URL's host.
        public var ca: String
        /// Outbox folder where signed pairs wait for delivery.
        public var outbox: String
        /// Seconds allowed to establish the TCP connection and the TLS handshake.
        public var connectTimeout: Double
        /// Seconds allowed for one whole upload (connection, request and response).
        public var timeout: Double

        public static let defaultOutbox = "/var/lib/cyberctl/outbox"
        public static let defaultConnectTimeout = 10.0
        public static let defaultTimeout = 60.0

        public init(
            url: String, ca: String, outbox: String = defaultOutbox, connectTimeout: Double = defaultConnectTimeout,
            timeout: Double = defaultTimeout
        ) {
            self.url = url
            self.ca = ca
            self.outbox = outbox
            self.connectTimeout = connectTimeout
            self.timeout = timeout
        }

        /// Why `url` is not a usable collector URL, in both languages, or nil when it is (https, a host, no query,
        /// no credentials).
        public static func problem(url: String) -> LocalizedText? {
            // RFC 3986 has no place for spaces or control characters; a CR or LF would otherwise pass here and
            // make every upload fail later, as a temporary error retried forever.
            if let bad = url.unicodeScalars.first(where: { $0.value <= 0x20 || (0x7F...0x9F).contains($0.value) }) {
                let name = [0x0A: "LF", 0x0D: "CR", 0x09: "TAB"][bad.value] ?? "U+" + bad.value.zeroPadded(4, radix: 16, uppercase: true)
                let shown = TerminalText.line(url)
                return bad.value == 0x20
                    ? LocalizedText(
                        fr: "« \(shown) » : espace dans l'URL : https://HÔTE[:PORT][/CHEMIN] est attendu sur une ligne, sans espace ni caractère de contrôle",
                        en: "\"\(shown)\": space in the URL: expected https://HOST[:PORT][/PATH] on one line, without spaces or control characters")
                    : LocalizedText(
                        fr: "« \(shown) » : \(name) dans l'URL : https://HÔTE[:PORT][/CHEMIN] est attendu sur une ligne, sans espace ni caractère de contrôle",
                        en: "\"\(shown)\": \(name) in the URL: expected https://HOST[:PORT][/PATH] on one line, without spaces or control characters")
            }
            guard let components = URLComponents(string: url), let scheme = components.scheme?.lowercased() else {
                return LocalizedText(
                    fr: "« \(url) » n'est pas une URL : https://HÔTE[:PORT][/CHEMIN] est attendu",
                    en: "\"\(url)\" is not a URL: expected https://HOST[:PORT][/PATH]")
            }
            guard scheme == "https" else {
                return LocalizedText(
                    fr: "« \(url) » : une URL https:// est attendue (les rapports ne voyagent qu'en TLS mutuel)",
                    en: "\"\(url)\": expected an https:// URL (reports travel over mutual TLS only)")
            }
            guard let host = components.host, !host.isEmpty else {
                return LocalizedText(fr: "« \(url) » : un nom d'hôte est attendu après https://", en: "\"\(url)\": expected a host name after https://")
            }
            guard components.user == nil, components.password == nil else {
                return LocalizedText(
                    fr: "« \(url) » : ni utilisateur ni mot de passe dans l'URL (l'agent s'authentifie par son certificat)",
                    en: "\"\(url)\": no user or password in the URL (the agent authenticates with its certificate)")
            }
            guard components.query == nil, components.fragment == nil else {
                return LocalizedText(fr: "« \(url) » : ni requête (?) ni fragment (#) dans l'URL", en: "\"\(url)\": no query or fragment expected")
            }
            if let port = components.port, !(1...65_535).contains(port) {
                return LocalizedText(fr: "« \(url) » : port \(port) hors limites (1 à 65535)", en: "\"\(url)\": port \(port) out of range (1 to 65535)")
            }
            return nil
        }

        /// Where reports are posted: `<url>/v1/reports` (the URL as given when it already ends with it).
        public var endpoint: String { Self.endpoint(for: url) }

        public static func endpoint(for url: String) -> String {
            var base = url
            while base.hasSuffix("/") { base.removeLast() }
            return base.hasSuffix("/v1/reports") ? base : base + "/v1/reports"
        }
    }

    public init(
        entity: Entity = Entity(), domains: [DeclaredDomain] = [], profile: String? = nil, signing: Signing? = nil, collector: Collector? = nil
    ) {
        self.entity = entity
        self.domains = domains
        self.profile = profile
        self.signing = signing
        self.collector = collector
    }

    /// The default location on a host.
    public static let defaultPath = "/etc/cyberctl/agent.yaml"

    static let keys = ["entity", "profile", "signing", "collector"]
    static let collectorKeys = ["url", "ca", "outbox", "connect_timeout", "timeout"]
    static let entityKeys = ["name", "siren", "insee", "kind", "population", "departement", "region", "domains"]

    /// The file and its sections, in error messages.
    static let noun = LocalizedText(fr: "configuration de l'agent", en: "agent configuration")
    static let entityNoun = LocalizedText(fr: "entity (collectivité)", en: "entity")

    /// Reads a configuration file. A relative path in it (`signing.key`, `signing.certificate`, `collector.ca`,
    /// `collector.outbox`, a `profile` given as a path) is resolved against the folder of the file, as
    /// `rssi.yaml`'s are, so that a folder holding `agent.yaml` and its files can be moved as a whole.
    /// - Throws: `InputError` (.missing, or .invalidData naming line and key, including SIREN/INSEE checks), in
    ///   both languages.
    public static func load(path: String) throws(InputError) -> AgentConfiguration {
        let bytes = try InputError.readInput(path, what: noun)
        guard let text = String(validating: bytes, as: UTF8.self) else {
            throw InputError(.invalidData, file: path, fr: "ce n'est pas du texte UTF-8", en: "not UTF-8 text")
        }
        let root = try YAMLInput.mapping(YAMLInput.compose(text, file: path), file: path, what: noun)
        try YAMLInput.requireKnownKeys(root, allowed: keys, file: path, context: noun)
        var configuration = AgentConfiguration()
        if let entityNode = root["entity"] {
            let mapping = try YAMLInput.mapping(entityNode, file: path, what: entityNoun)
            try YAMLInput.requireKnownKeys(mapping, allowed: entityKeys, file: path, context: entityNoun)
            configuration.entity = try YAMLInput.decode(Entity.self, from: entityNode, file: path, context: entityNoun)
            configuration.entity.siren = configuration.entity.siren.map(Identifiers.normalizedSIREN)
            if let problem = configuration.entity.fieldProblems().first {
                // At the offending value's own line, as the decoding errors are.
                let node = mapping[problem.key] ?? entityNode
                throw InputError(
                    .invalidData, file: path, line: node.mark?.line, column: node.mark?.column,
                    fr: "entity, clé « \(problem.key) » : il faut \(problem.expected.fr), trouvé \(problem.value)",
                    en: "entity key \"\(problem.key)\": expected \(problem.expected.en), found \(problem.value)")
            }
            if let domainsNode = mapping["domains"] { configuration.domains = try loadDomains(domainsNode, file: path) }
        }
        let folder = URL(fileURLWithPath: path).standardizedFileURL.deletingLastPathComponent().path
        if let profile = root["profile"]?.scalar?.string {
            // A name (`default`, `commune`) is looked up by ProfileLocator; a path is the file's own.
            let isPath = profile.contains("/") || profile.hasSuffix(".yaml") || profile.hasSuffix(".yml")
            configuration.profile = isPath ? resolve(profile, in: folder) : profile
        }
        if let signingNode = root["signing"] {
            let section = LocalizedText(both: "signing")
            let mapping = try YAMLInput.mapping(signingNode, file: path, what: section)
            try YAMLInput.requireKnownKeys(mapping, allowed: ["key", "certificate"], file: path, context: section)
            var signing = try YAMLInput.decode(Signing.self, from: signingNode, file: path, context: section)
            signing.key = resolve(signing.key, in: folder)
            signing.certificate = resolve(signing.certificate, in: folder)
            configuration.signing = signing
        }
        if let collectorNode = root["collector"] {
            var collector = try loadCollector(collectorNode, file: path)
            collector.ca = resolve(collector.ca, in: folder)
            collector.outbox = resolve(collector.outbox, in: folder)
            configuration.collector = collector
        }
        return configuration
    }

    /// `path` as is when absolute, else relative to `folder` (the configuration file's folder).
    static func resolve(_ path: String, in folder: String) -> String {
        guard !path.hasPrefix("/"), !path.isEmpty else { return path }
        return URL(fileURLWithPath: path, relativeTo: URL(fileURLWithPath: folder, isDirectory: true)).standardizedFileURL.path
    }

    /// `entity.domains`: a sequence of names, or of `{name: …, dkim_selectors: […]}`; each problem at its line.
    static func loadDomains(_ node: Node, file: String) throws(InputError) -> [DeclaredDomain] {
        guard let sequence = node.sequence else {
            throw InputError(
                .invalidData, file: file, line: node.mark?.line, column: node.mark?.column,
                fr: "entity, clé « domains » : une liste de noms de domaine est attendue", en: "entity key \"domains\": expected a list of domain names")
        }
        var domains: [DeclaredDomain] = []
        for item in sequence {
            func invalid(_ at: Node, _ message: LocalizedText) -> InputError {
                InputError(
                    .invalidData, file: file, line: at.mark?.line, column: at.mark?.column, fr: "entity, clé « domains » : \(message.fr)",
                    en: "entity key \"domains\": \(message.en)")
            }
            var name: String
            var selectors: [String] = []
            if let scalar = item.scalar {
                name = scalar.string
            } else if let mapping = item.mapping {
                try YAMLInput.requireKnownKeys(mapping, allowed: ["name", "dkim_selectors"], file: file, context: LocalizedText(both: "entity.domains"))
                guard let nameNode = mapping["name"], let text = nameNode.scalar?.string else { throw invalid(item, LocalizedText(fr: "clé « name » absente", en: "missing \"name\"")) }
                name = text
                if let selectorsNode = mapping["dkim_selectors"] {
                    guard let list = selectorsNode.sequence else { throw invalid(selectorsNode, LocalizedText(fr: "dkim_selectors : une liste de sélecteurs est attendue", en: "dkim_selectors: expected a list of selectors")) }
                    for selector in list {
                        guard let text = selector.scalar?.string else { throw invalid(selector, LocalizedText(fr: "dkim_selectors : un nom de sélecteur est attendu", en: "dkim_selectors: expected a selector name")) }
                        if let problem = DomainWording.selectorProblem(text) { throw invalid(selector, problem) }
                        selectors.append(text)
                    }
                }
            } else {
                throw invalid(
                    item, LocalizedText(fr: "un nom de domaine ou {name: …, dkim_selectors: […]} est attendu", en: "expected a domain name or {name: …, dkim_selectors: […]}"))
            }
            if let problem = DomainWording.problem(name) { throw invalid(item.mapping?["name"] ?? item, problem) }
            domains.append(DeclaredDomain(name: name, dkimSelectors: selectors))
        }
        return domains
    }

    /// The `collector:` section: `url` and `ca` required, every value checked, each error at its line.
    static func loadCollector(_ node: Node, file: String) throws(InputError) -> Collector {
        let section = LocalizedText(both: "collector")
        let mapping = try YAMLInput.mapping(node, file: file, what: section)
        try YAMLInput.requireKnownKeys(mapping, allowed: collectorKeys, file: file, context: section)
        func text(_ key: String, required: Bool) throws(InputError) -> (String, Node)? {
            guard let value = mapping[key] else {
                if required {
                    throw InputError(
                        .invalidData, file: file, line: node.mark?.line, fr: "collector : clé obligatoire « \(key) » absente",
                        en: "collector: missing required key \"\(key)\"")
                }
                return nil
            }
            guard let scalar = value.scalar, !scalar.string.trimming(.whitespaces).isEmpty else {
                throw InputError(
                    .invalidData, file: file, line: value.mark?.line, column: value.mark?.column, fr: "collector, clé « \(key) » : un texte est attendu",
                    en: "collector key \"\(key)\": expected a text value")
            }
            return (scalar.string, value)
        }
        func seconds(_ key: String, default fallback: Double) throws(InputError) -> Double {
            guard let value = mapping[key] else { return fallback }
            guard let number = value.scalar.flatMap({ DurationText.seconds($0.string, bareUnit: .seconds) }), number > 0, number <= 3600 else {
                throw InputError(
                    .invalidData, file: file, line: value.mark?.line, column: value.mark?.column,
                    fr: "collector, clé « \(key) » : une durée supérieure à 0 et d'au plus 3600 secondes (1h) est attendue : un nombre de secondes, ou un nombre et une unité, \(DurationText.unitsList(english: false))",
                    en: "collector key \"\(key)\": expected a duration greater than 0 and at most 3600 seconds (1h): a number of seconds, or a number and a unit, \(DurationText.unitsList(english: true))")
            }
            return number
        }
        let (url, urlNode) = try text("url", required: true)!
        if let problem = Collector.problem(url: url) {
            throw InputError(
                .invalidData, file: file, line: urlNode.mark?.line, column: urlNode.mark?.column, fr: "collector, clé « url » : \(problem.fr)",
                en: "collector key \"url\": \(problem.en)")
        }
        let (ca, _) = try text("ca", required: true)!
        let outbox = try text("outbox", required: false)?.0 ?? Collector.defaultOutbox
        return Collector(
            url: url, ca: ca, outbox: outbox,
            connectTimeout: try seconds("connect_timeout", default: Collector.defaultConnectTimeout),
            timeout: try seconds("timeout", default: Collector.defaultTimeout))
    }
}
