package import Foundation
package import Logging
import ServiceLifecycle
package import Storage
import Synchronization

/// Bounds for refusals where no client was established (missing or unknown key, bad signature, …).
package struct PreAuthLimits: Sendable, Equatable {
    /// Refusals a source address may earn per second (token bucket refill), per replica.
    package var perSecond: Double
    /// Refusals a source may earn at once.
    package var burst: Double
    /// Source addresses tracked at once; beyond it, new sources share one bucket (and one count line).
    package var maxSources: Int
    /// Refusals are counted per (source, reason) and written as one audit record per window.
    package var window: Duration

    package init(perSecond: Double = 5, burst: Double = 20, maxSources: Int = 10_000, window: Duration = .seconds(60)) {
        self.perSecond = perSecond
        self.burst = burst
        self.maxSources = maxSources
        self.window = window
    }
}

/// The pre-authentication defence: an unauthenticated refusal costs the caller a token from its source
/// address's bucket (none left: 429, nothing written), and is counted rather than written — one audit record
/// per (source, reason, window) carries the count. So a flood of bad credentials never serializes on the audit
/// chain's single writer, and every refusal answered 401 is still accounted for.
///
/// Aggregated records use the audit fields in a fixed way: `operation` `refused`, `outcome`
/// `refused:<type>:<reason> x<count>`, `requestId` `preauth-window:<start>-<end>` (seconds since 1970),
/// `sourceAddress` the source (`overflow` once `maxSources` are tracked), `clientId` null, `latencyMicros` 0,
/// `time` the end of the window.
package final class PreAuthDefence: Sendable {
    private struct CountKey: Hashable {
        var source: String
        var outcome: String
    }

    private struct State {
        var buckets: [String: TokenBucket] = [:]
        var lastSweep: ContinuousClock.Instant?
        var counts: [CountKey: Int] = [:]
        var windowStart: Date
    }

    static let overflowSource = "overflow"
    static let unknownSource = "unknown"

    package let limits: PreAuthLimits
    private let state: Mutex<State>
    private let now: @Sendable () -> ContinuousClock.Instant

    package init(
        limits: PreAuthLimits = PreAuthLimits(),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.limits = limits
        self.now = now
        self.state = Mutex(State(windowStart: Date()))
    }

    /// Takes a token for a refusal from `source`: nil when it may be answered (and counted), otherwise how long
    /// until the source may earn another.
    package func admit(source: String?) -> Duration? {
        let now = self.now()
        let limits = self.limits
        return self.state.withLock { state in
            var key = source ?? Self.unknownSource
            if state.buckets[key] == nil, state.buckets.count >= limits.maxSources {
                Self.sweep(&state, now: now, limits: limits)
                if state.buckets.count >= limits.maxSources { key = Self.overflowSource }
            }
            var bucket = state.buckets[key] ?? TokenBucket(burst: limits.burst, at: now)
            defer { state.buckets[key] = bucket }
            return bucket.take(perSecond: limits.perSecond, burst: limits.burst, now: now)
        }
    }

    /// Counts one answered refusal (`outcome` as an individual record would have it).
    package func count(source: String?, outcome: String) {
        let maxSources = self.limits.maxSources
        self.state.withLock { state in
            var key = CountKey(source: source ?? Self.unknownSource, outcome: outcome)
            if state.counts[key] == nil, state.counts.count >= maxSources {
                key.source = Self.overflowSource
            }
            state.counts[key, default: 0] += 1
        }
    }

    /// Ends the current window: its counts as audit entries (the counts are gone from here).
    package func closeWindow(at end: Date = Date()) -> [AuditEntry] {
        let (counts, start) = self.state.withLock { state in
            defer {
                state.counts = [:]
                state.windowStart = end
            }
            return (state.counts, state.windowStart)
        }
        let window =
            "preauth-window:\(Int64(start.timeIntervalSince1970.rounded(.down)))-\(Int64(end.timeIntervalSince1970.rounded(.up)))"
        return counts.sorted { ($0.key.source, $0.key.outcome) < ($1.key.source, $1.key.outcome) }.map { key, count in
            AuditEntry(
                time: end, clientId: nil, sourceAddress: key.source, requestId: window, traceparent: nil,
                idempotencyKey: nil, operation: "refused", instance: nil, tokenProfile: nil, upstreamMethod: nil,
                upstreamURL: nil, upstreamStatus: nil, latencyMicros: 0, outcome: "\(key.outcome) x\(count)",
                requestDigest: nil, responseDigest: nil)
        }
    }

    /// Puts counts that could not be written back into the current window.
    func restore(_ entries: some Sequence<AuditEntry>) {
        self.state.withLock { state in
            for entry in entries {
                guard let range = entry.outcome.range(of: " x", options: .backwards),
                    let count = Int(entry.outcome[range.upperBound...])
                else { continue }
                let key = CountKey(
                    source: entry.sourceAddress ?? Self.unknownSource,
                    outcome: String(entry.outcome[..<range.lowerBound]))
                state.counts[key, default: 0] += count
            }
        }
    }

    /// Writes the current window's records; returns how many. Counts not written stay for the next flush.
    @discardableResult
    package func flush(into store: any AuditStore, at end: Date = Date()) async throws(StoreError) -> Int {
        let entries = self.closeWindow(at: end)
        for (index, entry) in entries.enumerated() {
            do {
                try await store.appendAudit(entry, .written)
            } catch {
                self.restore(entries[index...])
                throw error
            }
        }
        return entries.count
    }

    /// Forgets buckets that have refilled (they are the same as a fresh one), at most once a second.
    private static func sweep(_ state: inout State, now: ContinuousClock.Instant, limits: PreAuthLimits) {
        if let last = state.lastSweep, now - last < .seconds(1) { return }
        state.lastSweep = now
        state.buckets = state.buckets.filter { _, bucket in
            !bucket.isFull(perSecond: limits.perSecond, burst: limits.burst, now: now)
        }
    }
}

/// Writes the pre-authentication refusal counts once per window, and a last time at shutdown. Listed among the
/// application's services, it is shut down after the HTTP server has drained, so no refusal goes uncounted.
package struct PreAuthFlusher: Service {
    let defence: PreAuthDefence
    let store: any AuditStore
    let logger: Logger

    package init(defence: PreAuthDefence, store: any AuditStore, logger: Logger) {
        self.defence = defence
        self.store = store
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: self.defence.limits.window)
                } catch {
                    break
                }
                await self.flush()
            }
        }
        await self.flush()
    }

    private func flush() async {
        do {
            try await self.defence.flush(into: self.store)
        } catch {
            self.logger.warning(
                "writing pre-authentication refusal counts failed; kept for the next window",
                metadata: ["error": "\(error)"])
        }
    }
}
