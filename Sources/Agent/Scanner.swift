import Checks
import FoundationEssentials
import Logging
import Model

/// The agent's pipeline: profile → checks (filtered) → runner → report.
public struct Scanner: Sendable {
    /// cyberctl's version, written into every report.
    public static let version = "0.1.0"

    public var profile: Profile
    public var root: FileSystemRoot
    public var entity: Entity
    public var clock: ScanClock
    public var runner: Runner
    public var network: NetworkLimits
    /// Check ids or domain names to keep; empty keeps all.
    public var only: [String]
    /// The entity's domain names (agent.yaml `entity.domains`), handed to the checks.
    public var domains: [DeclaredDomain]

    public init(
        profile: Profile, root: FileSystemRoot = .system, entity: Entity = Entity(), clock: ScanClock = .system,
        runner: Runner = Runner(), network: NetworkLimits = NetworkLimits(), only: [String] = [], domains: [DeclaredDomain] = []
    ) {
        self.domains = domains
        self.profile = profile
        self.root = root
        self.entity = entity
        self.clock = clock
        self.runner = runner
        self.network = network
        self.only = only
    }

    /// The profile's checks that `only` keeps.
    /// - Throws: `InputError(.usage)` for a name that is neither a domain nor a known check id.
    public func selectedChecks() throws(InputError) -> [any Check] {
        guard !only.isEmpty else { return profile.checks }
        for name in only where Domain(rawValue: name) == nil && CheckRegistry.type(withID: name) == nil {
            throw InputError(
                .usage,
                fr: "--only \(name) : un domaine (\(Domain.allCases.map(\.rawValue).joined(separator: ", "))) ou un identifiant de contrôle (\(CheckRegistry.all.map { $0.id }.joined(separator: ", "))) est attendu",
                en: "--only \(name): expected a domain (\(Domain.allCases.map(\.rawValue).joined(separator: ", "))) or a check id (\(CheckRegistry.all.map { $0.id }.joined(separator: ", ")))")
        }
        return profile.checks.filter { check in
            only.contains(check.id) || only.contains(check.domain.rawValue)
        }
    }

    /// Runs the scan and assembles the report.
    public func scan(progress: (@Sendable (Int, Int) -> Void)? = nil) async throws(InputError) -> Report {
        let checks = try selectedChecks()
        let context = CheckContext(root: root, clock: clock, network: network, logger: Logger(label: "cyberctl.scan"), domains: domains)
        // Technical results beside the NIS 2 declarations they bear on (contradicted "oui" flagged).
        let results = DeclarationCrossCheck.apply(await runner.run(checks, context: context, progress: progress))
        return Report(
            generatedAt: clock.now(),
            agent: .init(version: Self.version, profile: profile.name, profileSHA256: profile.sha256, only: only.isEmpty ? nil : only),
            entity: entity, host: HostFacts.collect(root: root), results: results)
    }
}
