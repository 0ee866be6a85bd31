import Foundation

/// The hash-chained, append-only audit log.
package protocol AuditStore: Sendable {
    /// Appends one record to the hash chain (for calls without an idempotency key: reads, refusals).
    func appendAudit(_ entry: AuditEntry) async throws(StoreError)

    /// Records with `sequence > after`, oldest first, at most `limit`, matching `filter`.
    func auditRecords(after: Int64, limit: Int, filter: AuditFilter) async throws(StoreError) -> [AuditRecord]
}
