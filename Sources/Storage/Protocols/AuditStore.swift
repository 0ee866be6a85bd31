package import Foundation

/// The hash-chained, append-only audit log.
package protocol AuditStore: Sendable {
    /// Appends one record to the hash chain (for calls without an idempotency key: reads, refusals, changes of
    /// subscriptions and tracking), as durable as asked before it returns.
    func appendAudit(_ entry: AuditEntry, _ durability: Durability) async throws(StoreError)

    /// Records with `sequence > after`, oldest first, at most `limit`, matching `filter`.
    func auditRecords(after: Int64, limit: Int, filter: AuditFilter) async throws(StoreError) -> [AuditRecord]

    /// The newest record's sequence and hash; nil when the log is empty.
    func auditHead() async throws(StoreError) -> AuditHead?

    /// Stores a signed checkpoint; a second one for the same sequence is ignored (two replicas signing one head).
    func appendAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws(StoreError)

    /// Every stored checkpoint, by sequence.
    func auditCheckpoints() async throws(StoreError) -> [AuditCheckpoint]

    /// Retention: deletes the oldest records, as one prefix of the chain, that are older than `cutoff` and below
    /// the newest stored checkpoint's sequence (which vouches for what is left), at most `AuditRetention.batch`
    /// per call so the writer is never held long. Returns how many; call again while it returns a full batch.
    func dropAuditRecords(olderThan cutoff: Date) async throws(StoreError) -> Int
}

extension AuditStore {
    /// Appends one record, fsynced before it returns.
    package func appendAudit(_ entry: AuditEntry) async throws(StoreError) {
        try await self.appendAudit(entry, .synced)
    }
}

/// The chain's newest record.
package struct AuditHead: Sendable, Equatable {
    package var sequence: Int64
    package var hash: String

    package init(sequence: Int64, hash: String) {
        self.sequence = sequence
        self.hash = hash
    }
}
