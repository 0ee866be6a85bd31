package import Foundation

/// Deliveries of events to subscriptions, their leases and attempt log.
package protocol DeliveryStore: Sendable {
    /// Leases up to `limit` pending deliveries due at `now` of enabled subscriptions (only `subscriptionId`'s when
    /// given), oldest event first, to `owner` until `leaseUntil`. Never one whose subscription has an earlier
    /// pending delivery for the same instance: per (subscription, instance) one delivery is in flight at a time,
    /// in event order.
    func claimDeliveries(
        owner: String, now: Date, leaseUntil: Date, limit: Int, subscriptionId: String?
    ) async throws(StoreError) -> [ClaimedDelivery]

    /// Records each attempt and applies its outcome (and any subscription disabling) in one transaction;
    /// clears the leases.
    func finishDeliveries(_ outcomes: [DeliveryOutcome]) async throws(StoreError)

    /// Ordered by id, those after `after`, at most `limit`.
    func deliveries(after: Int64, limit: Int, filter: DeliveryFilter) async throws(StoreError) -> [DeliveryRecord]
    func delivery(id: Int64) async throws(StoreError) -> DeliveryRecord?
    func deliveryAttempts(deliveryId: Int64) async throws(StoreError) -> [DeliveryAttempt]

    /// Re-arms a delivery (any state) for an attempt at `now`, the retry schedule starting over. Nil when unknown.
    func retryDelivery(id: Int64, now: Date) async throws(StoreError) -> DeliveryRecord?

    /// New pending deliveries, to this subscription, of every stored event at or after `since` that matches
    /// its filters (same event ids, so subscribers dedupe). Returns how many; nil when the subscription is unknown.
    func replay(subscriptionId: String, since: Date, now: Date) async throws(StoreError) -> Int?

    func deliveryCounts() async throws(StoreError) -> [DeliveryCount]
    /// Delivery attempts made since `since`, per subscription and verdict, with the latest of each: a subscriber's
    /// recent success rate and its last failure.
    func attemptSummary(since: Date) async throws(StoreError) -> [AttemptSummary]

    /// Retention: removes delivered and dead deliveries last changed before `cutoff` with their attempts, then the
    /// events before `cutoff` that no delivery refers to any more. Never a pending delivery, never an event a
    /// pending delivery waits to send. One transaction.
    func pruneDeliveries(before cutoff: Date) async throws(StoreError) -> PrunedDeliveries
}

/// What one retention pass removed.
package struct PrunedDeliveries: Sendable, Equatable {
    package var attempts: Int
    package var deliveries: Int
    package var events: Int

    package init(attempts: Int, deliveries: Int, events: Int) {
        self.attempts = attempts
        self.deliveries = deliveries
        self.events = events
    }
}

extension DeliveryStore {
    /// Any subscription's due deliveries.
    package func claimDeliveries(
        owner: String, now: Date, leaseUntil: Date, limit: Int
    ) async throws(StoreError) -> [ClaimedDelivery] {
        try await self.claimDeliveries(
            owner: owner, now: now, leaseUntil: leaseUntil, limit: limit, subscriptionId: nil)
    }
}
