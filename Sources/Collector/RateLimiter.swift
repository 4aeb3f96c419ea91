import Foundation

/// A token bucket per client certificate: `perMinute` uploads a minute on average, bursts of up to
/// `perMinute` (a full minute's allowance). Clients idle long enough to be full again are forgotten,
/// so memory stays bounded by the clients of the last minute.
public final class RateLimiter: @unchecked Sendable {
    public let perMinute: Int
    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]
    private var lastSweep = ContinuousClock.now

    public init(perMinute: Int) { self.perMinute = max(1, perMinute) }

    /// Takes one token for `client`.
    /// - Returns: nil when allowed; otherwise the seconds until a token is available (≥ 1), for `Retry-After`.
    public func take(_ client: String, now: ContinuousClock.Instant = .now) -> Int? {
        let capacity = Double(perMinute)
        let perSecond = capacity / 60
        return lock.withLock {
            if now - lastSweep > .seconds(60) {
                buckets = buckets.filter { Self.seconds(now - $0.value.at) * perSecond + $0.value.tokens < capacity }
                lastSweep = now
            }
            var bucket = buckets[client] ?? (capacity, now)
            bucket.tokens = min(capacity, bucket.tokens + Self.seconds(now - bucket.at) * perSecond)
            bucket.at = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                buckets[client] = bucket
                return nil
            }
            buckets[client] = bucket
            return max(1, Int(((1 - bucket.tokens) / perSecond).rounded(.up)))
        }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Runs blocking work (verification, fsync, SQLite) on threads of its own, never on the NIO event
/// loops nor on Swift's cooperative pool: at most `width` jobs at once, at most `queueLimit` waiting
/// (beyond that the caller answers 503 and the agent retries later).
public final class BlockingPool: @unchecked Sendable {
    public let width: Int
    public let queueLimit: Int
    private let queue: DispatchQueue
    private let lock = NSLock()
    private var running = 0
    private var waiting: [CheckedContinuation<Void, Never>] = []

    public struct Saturated: Error {}

    public init(label: String, width: Int, queueLimit: Int) {
        self.width = max(1, width)
        self.queueLimit = max(0, queueLimit)
        queue = DispatchQueue(label: label, attributes: .concurrent)
    }

    /// Jobs running now and jobs waiting for a slot (the collector's queue depth).
    public var load: (running: Int, waiting: Int) { lock.withLock { (running, waiting.count) } }

    /// Runs `body` on the pool, waiting for a free slot.
    /// - Throws: `Saturated` when `queueLimit` jobs are already waiting; whatever `body` throws.
    public func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await acquire()
        defer { release() }
        return try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }

    private func acquire() async throws {
        enum Decision { case go, wait, refuse }
        let decision: Decision = lock.withLock {
            if running < width {
                running += 1
                return .go
            }
            return waiting.count >= queueLimit ? .refuse : .wait
        }
        switch decision {
        case .go: return
        case .refuse: throw Saturated()
        case .wait:
            await withCheckedContinuation { continuation in
                let startNow: Bool = lock.withLock {
                    if running < width {
                        running += 1
                        return true
                    }
                    waiting.append(continuation)
                    return false
                }
                if startNow { continuation.resume() }
            }
        }
    }

    private func release() {
        let next: CheckedContinuation<Void, Never>? = lock.withLock {
            if waiting.isEmpty {
                running -= 1
                return nil
            }
            return waiting.removeFirst()  // the slot passes to the next waiter
        }
        next?.resume()
    }
}
