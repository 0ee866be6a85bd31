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

    /// The events with `sequence > after` in commit order, among the next `limit`, about apps the caller's policy
    /// covers. `cursor` is the last sequence looked at: others' events are passed over, so a page may hold fewer
    /// than `limit` (even none) while more follow.
    package func events(after: Int64, limit: Int, instance: InstanceMatch? = nil, for caller: Caller)
        async throws(StoreError)
        -> (events: [EventRecord], cursor: Int64)
    {
        let page = try await self.store.events(after: after, limit: limit, instance: instance)
        return (page.filter { caller.covers(app: $0.event.app) }, page.last?.sequence ?? after)
    }
}
