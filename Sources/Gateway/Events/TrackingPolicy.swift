import Foundation

/// How often the tracker polls `…/signing`: seconds at first, minutes later, with jitter so replicas and
/// instances do not poll in lockstep.
package struct TrackingPolicy: Sendable, Equatable {
    package var initialInterval: Duration
    package var maxInterval: Duration
    /// Each poll waits this much longer than the one before, up to `maxInterval`.
    package var growth: Double
    /// Fraction of the interval added or taken at random (0.2 = ±20 %).
    package var jitter: Double
    /// How long an instance is tracked at most.
    package var deadline: Duration
    /// How long a tracker holds an instance while polling it; also when a `process/next` claim counts as stale.
    package var lease: Duration
    /// Instances polled at once per tracker.
    package var batch: Int
    /// A signee unsigned (or whose notification or delegation failed) this long is stalled (`signee.stalled`).
    package var stallAfter: Duration

    package init(
        initialInterval: Duration = .seconds(2),
        maxInterval: Duration = .seconds(300),
        growth: Double = 2,
        jitter: Double = 0.2,
        deadline: Duration = .seconds(14 * 24 * 3600),
        lease: Duration = .seconds(60),
        batch: Int = 16,
        stallAfter: Duration = .seconds(72 * 3600)
    ) {
        self.initialInterval = initialInterval
        self.maxInterval = maxInterval
        self.growth = growth
        self.jitter = jitter
        self.deadline = deadline
        self.lease = lease
        self.batch = batch
        self.stallAfter = stallAfter
    }

    /// The wait after the `polls`-th poll (0 before the first).
    package func interval(afterPolls polls: Int, using rng: inout some RandomNumberGenerator) -> Duration {
        let initial = Self.seconds(self.initialInterval)
        let base = min(initial * pow(self.growth, Double(min(polls, 64))), Self.seconds(self.maxInterval))
        let spread = base * self.jitter
        let jittered = spread > 0 ? Double.random(in: (base - spread)...(base + spread), using: &rng) : base
        return .milliseconds(Int64(max(jittered, 0.05) * 1000))
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
