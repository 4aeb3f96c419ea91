import FoundationEssentials
import Logging
import Model

/// A modular check: a small value that looks at one aspect of a host and returns results.
///
/// A check never throws and never crashes the scan: what it cannot decide becomes an `error` or
/// `skip` result with the reason. Everything it reads comes through its `CheckContext`.
public protocol Check: Sendable {
    /// Stable id (`cert.files`); also the prefix of the profile section that configures it.
    static var id: String { get }
    /// The domain its rules score in.
    static var domain: Domain { get }
    /// Runs the check. Honours task cancellation where it waits (network, processes).
    func run(_ context: CheckContext) async -> [CheckResult]
}

extension Check {
    public var id: String { Self.id }
    public var domain: Domain { Self.domain }
}

/// A check that a profile configures: its parameters are its decoded fields, with defaults for
/// what the profile leaves out.
public protocol ConfigurableCheck: Check, Decodable {
    /// The parameter names a profile may give (snake_case), for unknown-key errors.
    static var parameterNames: [String] { get }
    /// The check with every parameter at its default.
    init()
}

/// Everything a check may read or use. Tests build one over a fixture tree and a fixed clock.
public struct CheckContext: Sendable {
    /// The filesystem the check audits (`/`, or a mounted image with `--root`).
    public var root: FileSystemRoot
    /// The time the scan considers "now".
    public var clock: ScanClock
    /// The only way a check may start a program: absolute paths on an allowlist, no shell.
    public var commands: CommandRunner
    /// Bounds for network operations.
    public var network: NetworkLimits
    public var logger: Logger
    /// The entity's domain names as its agent configuration declares them (`entity.domains`), for
    /// `exposition.domains`; empty when none is declared.
    public var domains: [DeclaredDomain]

    public init(
        root: FileSystemRoot, clock: ScanClock = .system, commands: CommandRunner = CommandRunner(),
        network: NetworkLimits = NetworkLimits(), logger: Logger = Logger(label: "cyberctl.check"),
        domains: [DeclaredDomain] = []
    ) {
        self.root = root
        self.clock = clock
        self.commands = commands
        self.network = network
        self.logger = logger
        self.domains = domains
    }
}

/// The scan's notion of "now": the system clock, or a fixed instant in tests.
public struct ScanClock: Sendable {
    private let read: @Sendable () -> Date
    public init(_ read: @escaping @Sendable () -> Date) { self.read = read }
    public static let system = ScanClock { Date() }
    public static func fixed(_ date: Date) -> ScanClock { ScanClock { date } }
    public func now() -> Date { read() }
}

/// Time bounds for network work, in seconds.
public struct NetworkLimits: Sendable {
    /// Per-connection timeout (connect, each read or write), seconds.
    public var connectionTimeout: Double
    /// Whole-endpoint deadline, seconds.
    public var endpointDeadline: Double
    public init(connectionTimeout: Double = 5, endpointDeadline: Double = 30) {
        self.connectionTimeout = connectionTimeout
        self.endpointDeadline = endpointDeadline
    }
}

/// Measures the wall time of a piece of work, in whole milliseconds.
public struct Stopwatch: Sendable {
    private let start = ContinuousClock.now
    public init() {}
    public var elapsedMs: Int {
        let elapsed = ContinuousClock.now - start
        return Int(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)
    }
}
