package import Foundation

/// Signs the chain head and stores the checkpoint: what the background service does at its interval and
/// `audit checkpoint` does on demand.
package struct AuditCheckpointer: Sendable {
    let store: any AuditStore
    let key: AuditCheckpointKey

    package init(store: any AuditStore, key: AuditCheckpointKey) {
        self.store = store
        self.key = key
    }

    /// A checkpoint of the current head, stored; nil when the log is empty. When `after` is given and the head
    /// has not moved past it, nothing is signed (an idle gateway adds no rows).
    package func checkpoint(now: Date = Date(), after: Int64? = nil) async throws(StoreError) -> AuditCheckpoint? {
        guard let head = try await self.store.auditHead() else { return nil }
        if let after, head.sequence <= after { return nil }
        let checkpoint = try AuditCheckpoint.sign(sequence: head.sequence, hash: head.hash, time: now, key: self.key)
        try await self.store.appendAuditCheckpoint(checkpoint)
        return checkpoint
    }
}
