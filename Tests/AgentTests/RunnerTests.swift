import Agent
import Checks
import Foundation
import Model
import Testing

/// A check that never finishes in time and ignores cancellation: it waits on a blocked thread of its
/// own (not one of the few cooperative threads other tests need).
struct StuckCheck: Check {
    static let id = "cert.stuck"
    static let domain = Domain.certificates
    func run(_ context: CheckContext) async -> [CheckResult] {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread {
                sleep(30)
                continuation.resume()
            }
        }
        return []
    }
}

/// A check that answers at once.
struct QuickCheck: Check {
    static let id = "cert.quick"
    static let domain = Domain.certificates
    func run(_ context: CheckContext) async -> [CheckResult] {
        [CheckResult(check: Self.id, target: "t", code: "cert.expiry", status: .pass, severity: .high)]
    }
}

@Suite struct RunnerTests {
    @Test func aStuckCheckEndsAsAnErrorAndTheOthersStillReport() async {
        let runner = Runner(checkDeadline: 0.3, concurrency: 2)
        let results = await runner.run([StuckCheck(), QuickCheck()], context: CheckContext(root: .system))
        #expect(results.map(\.check) == ["cert.stuck", "cert.quick"])
        #expect(results[0].status == .error)
        #expect(results[0].reason?.contains("deadline") == true)
        #expect(results[1].status == .pass)
    }

    @Test func resultsKeepTheProfileOrder() async {
        let results = await Runner(concurrency: 3).run([QuickCheck(), QuickCheck(), QuickCheck()], context: CheckContext(root: .system))
        #expect(results.count == 3)
    }
}
