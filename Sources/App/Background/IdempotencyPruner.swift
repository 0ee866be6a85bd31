import Foundation
import GatewayHTTP
package import Logging
import ServiceLifecycle
package import Storage

/// Deletes idempotency keys older than the retention, at start and then periodically.
package struct IdempotencyPruner: Service {
    let store: any Store
    let retention: Duration
    let interval: Duration
    let logger: Logger

    package init(store: any Store, retention: Duration, interval: Duration = .seconds(600), logger: Logger) {
        self.store = store
        self.retention = retention
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        // Stops at graceful shutdown: the sleep is cancelled and the loop ends.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let cutoff = Date().addingTimeInterval(-Double(self.retention.components.seconds))
                do {
                    let pruned = try await self.store.pruneIdempotency(createdBefore: cutoff)
                    if pruned > 0 { self.logger.info("pruned idempotency keys", metadata: ["count": "\(pruned)"]) }
                } catch {
                    self.logger.warning("pruning idempotency keys failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(for: self.interval)
            }
        }
    }
}
