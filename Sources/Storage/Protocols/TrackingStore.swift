package import Foundation

/// Tracked instances and the event outbox they append to (with its pull feed).
package protocol TrackingStore: Sendable {
    /// Locks the instance's tracking row, runs `write.apply` on it, stores the row it returns and appends its new
    /// events, fanning each out to a pending delivery per matching enabled subscription — all in one transaction.
    func commit(_ write: OutboxWrite) async throws(StoreError) -> OutboxCommit

    func trackedInstance(_ instance: String) async throws(StoreError) -> TrackedInstance?

    /// Ordered by instance, those after `after`, at most `limit`.
    func trackedInstances(after: String?, limit: Int, status: TrackingStatus?) async throws(StoreError)
        -> [TrackedInstance]

    /// The tracked instances whose key starts with `keyPrefix` (an app's: `{org}/{app}/instances/`), ordered by
    /// instance, those after `after`, at most `limit`; only those in `status` when given. A plain prefix compare
    /// (no `LIKE` patterns, no collation), the same on both engines.
    func trackedInstances(keyPrefix: String, after: String?, limit: Int, status: TrackingStatus?)
        async throws(StoreError) -> [TrackedInstance]

    /// Stops tracking (deletes the row; its events stay). False when it was not tracked.
    func untrack(_ instance: String) async throws(StoreError) -> Bool

    /// Leases up to `limit` active instances due at `now` whose lease is free or expired, to `owner` until
    /// `leaseUntil`. Replicas never get the same row (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
    func claimDueTrackedInstances(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws(StoreError)
        -> [TrackedInstance]

    func trackingCounts() async throws(StoreError) -> [TrackingCount]

    /// The pull feed: events with `sequence > after` in commit order, at most `limit`; only one instance's (its
    /// key, `org/app/instances/party/guid`) when `instance` is given.
    func events(after: Int64, limit: Int, instance: InstanceMatch?) async throws(StoreError) -> [EventRecord]
}

extension TrackingStore {
    /// Every instance's events.
    package func events(after: Int64, limit: Int) async throws(StoreError) -> [EventRecord] {
        try await self.events(after: after, limit: limit, instance: nil)
    }
}
