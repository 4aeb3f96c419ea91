import Foundation

/// Runs blocking work (child processes, big files) on a thread of its own, so an async test does not
/// hold one of the few cooperative threads other tests need (the runner's deadline tests among them).
public enum OffPool {
    public static func run<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
        }
    }
}
