import Foundation
import Gateway
import GatewayHTTP
package import Logging
import ServiceLifecycle
package import Storage

/// Refreshes the outbox, dead-letter, tracking and stalled-signee gauges from the store, at start and then
/// periodically: counts the store keeps anyway, read from the store instead of being tracked in memory (which
/// several replicas would get wrong: each polls only the rows it leases, so each would count a different part).
package struct EventGauges: Service {
    let store: any Store
    let interval: Duration
    /// `events.stallAfterHours`.
    let stallAfter: Duration
    /// The stalled-signee census reads every active row's remembered state, so it runs every this many refreshes
    /// (a minute by default: stalls are counted in hours).
    let censusEvery: Int
    let logger: Logger

    package init(
        store: any Store, interval: Duration = .seconds(10), stallAfter: Duration, censusEvery: Int = 6,
        logger: Logger
    ) {
        self.store = store
        self.interval = interval
        self.stallAfter = stallAfter
        self.censusEvery = max(1, censusEvery)
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            var round = 0
            while !Task.isCancelled {
                await self.refresh()
                if round % self.censusEvery == 0 { await self.countStalls() }
                round += 1
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    func refresh() async {
        do {
            EventMetrics.record(
                deliveries: try await self.store.deliveryCounts(), tracking: try await self.store.trackingCounts(),
                subscriptions: try await self.store.subscriptions().map(\.id))
        } catch {
            self.logger.warning("reading event counts failed", metadata: ["error": "\(error)"])
        }
    }

    /// Pages through the active tracked instances and counts their stalled signees.
    func countStalls(now: Date = Date()) async {
        var counts: [StallReason: Int] = [:]
        var after: String?
        do {
            repeat {
                let page = try await self.store.trackedInstances(after: after, limit: 500, status: .active)
                counts.merge(StallCensus.count(page, now: now, after: self.stallAfter), uniquingKeysWith: +)
                after = page.count == 500 ? page.last?.instance : nil
            } while after != nil
            EventMetrics.record(stalled: counts)
        } catch {
            self.logger.warning("counting stalled signees failed", metadata: ["error": "\(error)"])
        }
    }
}
