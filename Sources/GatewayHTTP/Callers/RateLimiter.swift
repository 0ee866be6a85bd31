import Synchronization

/// A token bucket per client, in this process (each replica limits on its own: the configured rate is
/// per replica). `now` is injected so tests control time instead of sleeping.
final class RateLimiter: Sendable {
    private let buckets = Mutex<[String: TokenBucket]>([:])
    private let now: @Sendable () -> ContinuousClock.Instant

    init(now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.now = now
    }

    /// nil when the call may go ahead; otherwise how long until a token is available.
    func take(_ clientId: String, _ limit: RateLimit) -> Duration? {
        let now = self.now()
        return self.buckets.withLock { buckets in
            var bucket = buckets[clientId] ?? TokenBucket(burst: limit.burst, at: now)
            defer { buckets[clientId] = bucket }
            return bucket.take(perSecond: limit.perSecond, burst: limit.burst, now: now)
        }
    }
}
