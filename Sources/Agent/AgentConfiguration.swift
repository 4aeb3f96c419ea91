import Foundation
import Yams

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
/// profile: default
/// signing:
///   key: /etc/cyberctl/agent.key
///   certificate: /etc/cyberctl/agent.crt
/// ```
public struct AgentConfiguration: Sendable, Equatable {
    public var entity: Entity
    /// Profile name or path; nil means `default`.
    public var profile: String?
    /// Agent key and certificate for signing reports; nil when not enrolled.
    public var signing: Signing?

    public struct Signing: Codable, Sendable, Equatable {
        /// Private key file (PEM, mode 0600).
        public var key: String
        /// Agent certificate issued by the RSSI's CA (PEM).
        public var certificate: String
    }

    public init(entity: Entity = Entity(), profile: String? = nil, signing: Signing? = nil) {
        self.entity = entity
        self.profile = profile
        self.signing = signing
    }

    /// The default location on a host.
    public static let defaultPath = "/etc/cyberctl/agent.yaml"

    static let keys = ["entity", "profile", "signing"]
    static let entityKeys = ["name", "siren", "insee", "kind", "population", "departement", "region"]

    /// Reads a configuration file.
    /// - Throws: `InputError` (.missing, or .invalidData naming line and key, including SIREN/INSEE checks).
    public static func load(path: String) throws(InputError) -> AgentConfiguration {
        let bytes = try InputError.readInput(path, what: "agent configuration")
        guard let text = String(validating: bytes, as: UTF8.self) else { throw InputError(.invalidData, file: path, "not UTF-8 text") }
        let root = try YAMLInput.mapping(YAMLInput.compose(text, file: path), file: path, what: "agent configuration")
        try YAMLInput.requireKnownKeys(root, allowed: keys, file: path, context: "agent configuration")
        var configuration = AgentConfiguration()
        if let entityNode = root["entity"] {
            let mapping = try YAMLInput.mapping(entityNode, file: path, what: "entity")
            try YAMLInput.requireKnownKeys(mapping, allowed: entityKeys, file: path, context: "entity")
            configuration.entity = try YAMLInput.decode(Entity.self, from: entityNode, file: path, context: "entity")
            if let problem = configuration.entity.problems().first {
                throw InputError(.invalidData, file: path, line: entityNode.mark?.line, "entity: \(problem)")
            }
        }
        configuration.profile = root["profile"]?.scalar?.string
        if let signingNode = root["signing"] {
            let mapping = try YAMLInput.mapping(signingNode, file: path, what: "signing")
            try YAMLInput.requireKnownKeys(mapping, allowed: ["key", "certificate"], file: path, context: "signing")
            configuration.signing = try YAMLInput.decode(Signing.self, from: signingNode, file: path, context: "signing")
        }
        return configuration
    }
}
