import Checks
import FoundationEssentials
import NIS2
import Model
import Synchronization

/// Runs checks concurrently, each under a deadline. A check that overruns is cancelled and
/// replaced by one `error` result saying so; the scan never waits past the deadline for it.
public struct Runner: Sendable {
    /// Per-check deadline, seconds.
    public var checkDeadline: Double
    /// Checks running at once.
    public var concurrency: Int

    public init(checkDeadline: Double = 300, concurrency: Int = 4) {
        self.checkDeadline = checkDeadline
        self.concurrency = max(1, concurrency)
    }

    /// Runs every check and returns all results, grouped in the order of `checks`.
    /// - Parameter progress: called after each check with (checks done, total).
    public func run(
        _ checks: [any Check], context: CheckContext, progress: (@Sendable (Int, Int) -> Void)? = nil
    ) async -> [CheckResult] {
        var byIndex: [Int: [CheckResult]] = [:]
        progress?(0, checks.count)
        await withTaskGroup(of: (Int, [CheckResult]).self) { group in
            var next = 0
            func startNext() {
                guard next < checks.count else { return }
                let index = next
                let check = checks[index]
                next += 1
                group.addTask { (index, await runWithDeadline(check, context: context)) }
            }
            for _ in 0..<min(concurrency, checks.count) { startNext() }
            while let (index, results) = await group.next() {
                byIndex[index] = results
                progress?(byIndex.count, checks.count)
                startNext()
            }
        }
        // A scan of thousands of certificate files holds ~1.5 MB of results per copy: hand the results of a
        // single check back as they are, and free each check's array once it has been appended.
        if byIndex.count == 1, let only = byIndex.popFirst()?.value { return only }
        var all: [CheckResult] = []
        all.reserveCapacity(byIndex.values.reduce(0) { $0 + $1.count })
        for index in 0..<checks.count {
            if let results = byIndex.removeValue(forKey: index) { all += results }
        }
        return all
    }

    /// Runs one check, or gives up on it after `checkDeadline` seconds.
    func runWithDeadline(_ check: any Check, context: CheckContext) async -> [CheckResult] {
        let stopwatch = Stopwatch()
        let deadline = checkDeadline
        let race = Race()
        return await withCheckedContinuation { (continuation: CheckedContinuation<[CheckResult], Never>) in
            // Both tasks race; whichever settles first resumes the continuation, exactly once. The
            // work task is not awaited after a timeout, so a check stuck in a blocking call cannot hang the scan.
            let work = Task {
                let results = await check.run(context)
                if race.settle() {
                    race.cancelTimer()
                    continuation.resume(returning: results)
                }
            }
            race.setTimer(Task {
                try? await Task.sleep(for: .seconds(deadline))
                if race.settle() {
                    work.cancel()
                    continuation.resume(returning: [CheckResult(
                        check: check.id, target: check.id, code: check.id, status: .error, severity: .medium,
                        reason: .init(
                            fr: "le contrôle n'a pas fini dans son délai de \(Int(deadline)) s et a été arrêté",
                            en: "the check did not finish within its \(Int(deadline)) s deadline and was stopped"),
                        durationMs: stopwatch.elapsedMs)])
                }
            })
        }
    }
}

/// Who finished first between a check and its deadline.
private final class Race: Sendable {
    private let settled = Mutex(false)
    private let timer = Mutex<Task<Void, Never>?>(nil)

    /// True for the first caller only.
    func settle() -> Bool { settled.withLock { done in defer { done = true }; return !done } }
    func setTimer(_ task: Task<Void, Never>) { timer.withLock { $0 = task } }
    func cancelTimer() { timer.withLock { $0?.cancel() } }
}
