import Gateway
import GatewayHTTP
package import Logging
import ServiceLifecycle
package import Storage

/// Refreshes the outbox, dead-letter and tracking gauges from the store, at start and then periodically:
/// counts the store keeps anyway, read by one query each instead of being tracked in memory (which several
/// replicas would get wrong).
package struct EventGauges: Service {
    let store: any Store
    let interval: Duration
    let logger: Logger

    package init(store: any Store, interval: Duration = .seconds(10), logger: Logger) {
        self.store = store
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.refresh()
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
}
