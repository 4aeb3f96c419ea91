import Checks
import Model

/// A service state as monitoring plugins report it (Monitoring Plugins Development Guidelines, "Plugin
/// Return Codes"): the process exit code is the state, read by Nagios, Icinga, Centreon, Naemon, Shinken.
public enum PluginState: Int32, Sendable, CaseIterable, Comparable {
    /// The service was verified and is fine (exit 0).
    case ok = 0
    /// Above a warning threshold, or a finding that is not urgent (exit 1).
    case warning = 1
    /// Above a critical threshold, or a serious finding verified (exit 2).
    case critical = 2
    /// Bad arguments, or the plugin could not verify what it was asked to (exit 3).
    case unknown = 3

    /// The word the status line starts with (`OK`, `WARNING`, `CRITICAL`, `UNKNOWN`), never translated:
    /// monitoring servers and their users read these words.
    public var word: String {
        switch self {
        case .ok: return "OK"
        case .warning: return "WARNING"
        case .critical: return "CRITICAL"
        case .unknown: return "UNKNOWN"
        }
    }

    /// The process exit code (0–3).
    public var exitCode: Int32 { rawValue }

    /// How bad a state is, for the worst of several: OK < WARNING < UNKNOWN < CRITICAL. UNKNOWN outranks
    /// WARNING because what could not be verified may hide a critical problem; a verified critical
    /// finding outranks UNKNOWN because it is certain and asks for action now.
    var badness: Int {
        switch self {
        case .ok: return 0
        case .warning: return 1
        case .unknown: return 2
        case .critical: return 3
        }
    }

    public static func < (lhs: PluginState, rhs: PluginState) -> Bool { lhs.badness < rhs.badness }

    /// The state one result calls for, or nil for `skip` (does not apply: counted, but no state):
    /// - `pass` → OK;
    /// - `warn` → WARNING, whatever its severity (the rule holds in part);
    /// - `fail` → CRITICAL at severity `high` or `critical` (an expired certificate, pending security
    ///   updates, no recent backup), WARNING below (`info`, `low`, `medium`);
    /// - `error` → UNKNOWN (the check could not look: never OK for what was not verified).
    public init?(_ result: CheckResult) {
        switch result.status {
        case .pass: self = .ok
        case .warn: self = .warning
        case .fail: self = result.severity >= .high ? .critical : .warning
        case .error: self = .unknown
        case .skip: return nil
        }
    }
}
