package import Foundation
import GatewayHTTP
package import Logging
import ServiceLifecycle
package import Storage

/// Signs the audit chain's head at an interval (when it moved), applies audit retention after each checkpoint,
/// and signs once more at shutdown — listed among the application's services, that is after the HTTP server
/// has drained, so the last checkpoint covers the last request.
package struct AuditCheckpointService: Service {
    let checkpointer: AuditCheckpointer
    let store: any AuditStore
    let interval: Duration
    /// nil: records are kept forever.
    let retention: Duration?
    let logger: Logger

    package init(
        store: any AuditStore, key: AuditCheckpointKey, interval: Duration, retention: Duration?, logger: Logger
    ) {
        self.checkpointer = AuditCheckpointer(store: store, key: key)
        self.store = store
        self.interval = interval
        self.retention = retention
        self.logger = logger
    }

    package func run() async throws {
        let last = await cancelWhenGracefulShutdown { () async -> Int64? in
            var last: Int64?
            while !Task.isCancelled {
                do {
                    try await Task.sleep(for: self.interval)
                } catch {
                    break
                }
                last = await self.tick(after: last)
            }
            return last
        }
        _ = await self.tick(after: last ?? nil)
    }

    /// One checkpoint (when the head moved past `after`), then retention. Returns the newest checkpointed sequence.
    package func tick(after: Int64?, now: Date = Date()) async -> Int64? {
        var last = after
        do {
            if let made = try await self.checkpointer.checkpoint(now: now, after: after) {
                last = made.sequence
                self.logger.debug("audit checkpoint", metadata: ["sequence": "\(made.sequence)"])
            }
        } catch {
            self.logger.warning("audit checkpoint failed", metadata: ["error": "\(error)"])
        }
        guard let retention = self.retention else { return last }
        do {
            let cutoff = now.addingTimeInterval(-Double(retention.components.seconds))
            // In batches, each its own short transaction, so appends are never held up for long.
            var dropped = 0
            while !Task.isCancelled {
                let batch = try await self.store.dropAuditRecords(olderThan: cutoff)
                dropped += batch
                if Int64(batch) < AuditRetention.batch { break }
            }
            if dropped > 0 { self.logger.info("audit retention dropped records", metadata: ["count": "\(dropped)"]) }
        } catch {
            self.logger.warning("audit retention failed", metadata: ["error": "\(error)"])
        }
        return last
    }
}
