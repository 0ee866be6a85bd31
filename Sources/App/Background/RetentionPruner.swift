package import Foundation
package import Logging
import ServiceLifecycle
package import Storage

/// Retention, at start and then periodically: idempotency keys older than their retention, and delivered or dead
/// deliveries (with their attempts and the events nothing refers to any more) older than theirs. Never a pending
/// delivery or an event one waits to send.
package struct RetentionPruner: Service {
    let store: any Store
    let idempotencyRetention: Duration
    /// nil keeps deliveries and events forever.
    let eventsRetention: Duration?
    let interval: Duration
    let logger: Logger

    package init(
        store: any Store, idempotencyRetention: Duration, eventsRetention: Duration?,
        interval: Duration = .seconds(600), logger: Logger
    ) {
        self.store = store
        self.idempotencyRetention = idempotencyRetention
        self.eventsRetention = eventsRetention
        self.interval = interval
        self.logger = logger
    }

    package func run() async throws {
        // Stops at graceful shutdown: the sleep is cancelled and the loop ends.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await self.prune(now: Date())
                try? await Task.sleep(for: self.interval)
            }
        }
    }

    /// One pass; failures are logged and retried at the next.
    package func prune(now: Date) async {
        do {
            let pruned = try await self.store.pruneIdempotency(
                createdBefore: Self.cutoff(now, self.idempotencyRetention))
            if pruned > 0 { self.logger.info("pruned idempotency keys", metadata: ["count": "\(pruned)"]) }
        } catch {
            self.logger.warning("pruning idempotency keys failed", metadata: ["error": "\(error)"])
        }
        guard let retention = self.eventsRetention else { return }
        do {
            let pruned = try await self.store.pruneDeliveries(before: Self.cutoff(now, retention))
            if pruned.deliveries + pruned.events > 0 {
                self.logger.info(
                    "pruned deliveries and events",
                    metadata: [
                        "deliveries": "\(pruned.deliveries)", "attempts": "\(pruned.attempts)",
                        "events": "\(pruned.events)",
                    ])
            }
        } catch {
            self.logger.warning("pruning deliveries and events failed", metadata: ["error": "\(error)"])
        }
    }

    private static func cutoff(_ now: Date, _ retention: Duration) -> Date {
        now.addingTimeInterval(-Double(retention.components.seconds))
    }
}
