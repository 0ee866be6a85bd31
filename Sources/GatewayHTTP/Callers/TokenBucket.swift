/// A token bucket: holds at most `burst` tokens and refills at `perSecond`. A value; its owner keeps it behind
/// its own lock (`RateLimiter` per client, `PreAuthDefence` per source address).
struct TokenBucket {
    private var tokens: Double
    private var updated: ContinuousClock.Instant

    /// A full bucket.
    init(burst: Double, at now: ContinuousClock.Instant) {
        self.tokens = burst
        self.updated = now
    }

    /// Refills up to `now`, then takes one token: nil when taken, otherwise how long until one is there. The wait
    /// is bounded before the conversion, so no configured rate can make it trap; a day is "not soon".
    mutating func take(perSecond: Double, burst: Double, now: ContinuousClock.Instant) -> Duration? {
        self.tokens = self.level(perSecond: perSecond, burst: burst, now: now)
        self.updated = now
        if self.tokens >= 1 {
            self.tokens -= 1
            return nil
        }
        let milliseconds = min(((1 - self.tokens) / perSecond * 1000).rounded(.up), 86_400_000)
        return .milliseconds(Int64(milliseconds.isFinite ? milliseconds : 86_400_000))
    }

    /// Full again by `now`: forgetting the bucket then changes nothing.
    func isFull(perSecond: Double, burst: Double, now: ContinuousClock.Instant) -> Bool {
        self.level(perSecond: perSecond, burst: burst, now: now) >= burst
    }

    private func level(perSecond: Double, burst: Double, now: ContinuousClock.Instant) -> Double {
        let elapsed = now - self.updated
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return min(burst, self.tokens + max(0, seconds) * perSecond)
    }
}
