import Synchronization

/// Values a command has finished with and that are left for the process's end to free: `cyberctl` exits as soon as
/// the command returns, and the system takes the whole heap back at once, where freeing a view object by object costs
/// CPU for nothing (a 20,000-row `territory status` view: a tenth of the command, measured in docs/benchmarks.md).
/// Only for a view printed last, never in a loop or a long-running command (`collect`).
enum KeptUntilExit {
    private static let kept = Mutex<[any Sendable]>([])

    /// Keeps `value` alive until the process ends.
    static func keep(_ value: any Sendable) {
        kept.withLock { $0.append(value) }
    }
}
