import Synchronization

/// A token bucket per client, in this process (each replica limits on its own: the configured rate is
/// per replica). `now` is injected so tests control time instead of sleeping.
final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let buckets = Mutex<[String: Bucket]>([:])
    private let now: @Sendable () -> ContinuousClock.Instant

    init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    /// nil when the call may go ahead; otherwise how long until a token is available.
    func take(_ clientId: String, _ limit: RateLimit) -> Duration? {
        let now = self.now()
        return self.buckets.withLock { buckets in
            var bucket = buckets[clientId] ?? Bucket(tokens: limit.burst, updated: now)
            let elapsed = now - bucket.updated
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(limit.burst, bucket.tokens + max(0, seconds) * limit.perSecond)
            bucket.updated = now
            defer { buckets[clientId] = bucket }
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                return nil
            }
            // Bounded before the conversion, so no configured rate can make it trap; a day is "not soon".
            let milliseconds = min(((1 - bucket.tokens) / limit.perSecond * 1000).rounded(.up), 86_400_000)
            return .milliseconds(Int64(milliseconds.isFinite ? milliseconds : 86_400_000))
        }
    }
}
