package import Storage

/// Reading the audit log and the event feed: paged, oldest first. Where a caller may see only part of them,
/// that rule belongs here.
package struct Feeds: Sendable {
    private let store: any AuditStore & TrackingStore

    package init(store: any AuditStore & TrackingStore) {
        self.store = store
    }

    /// Audit records with `sequence > after`, at most `limit`, matching `filter`.
    package func auditRecords(after: Int64, limit: Int, filter: AuditFilter) async throws(StoreError)
        -> [AuditRecord]
    {
        try await self.store.auditRecords(after: after, limit: limit, filter: filter)
    }

    /// Events with `sequence > after` in commit order, at most `limit`.
    package func events(after: Int64, limit: Int) async throws(StoreError) -> [EventRecord] {
        try await self.store.events(after: after, limit: limit)
    }
}
