import Foundation

// Placeholder until the events schema lands: every call fails clearly.
extension SQLiteStore {
    private static func notYet() -> StoreError { .failed("events: not implemented yet") }

    public func commit(_ write: OutboxWrite) async throws(StoreError) -> OutboxCommit { throw Self.notYet() }
    public func trackedInstance(_ instance: String) async throws(StoreError) -> TrackedInstance? { throw Self.notYet() }
    public func trackedInstances(after: String?, limit: Int, status: TrackingStatus?) async throws(StoreError)
        -> [TrackedInstance]
    { throw Self.notYet() }
    public func untrack(_ instance: String) async throws(StoreError) -> Bool { throw Self.notYet() }
    public func claimDueTrackedInstances(owner: String, now: Date, leaseUntil: Date, limit: Int)
        async throws(StoreError) -> [TrackedInstance]
    { throw Self.notYet() }
    public func trackingCounts() async throws(StoreError) -> [TrackingCount] { throw Self.notYet() }
    public func events(after: Int64, limit: Int) async throws(StoreError) -> [EventRecord] { throw Self.notYet() }
    public func createSubscription(_ subscription: Subscription) async throws(StoreError) { throw Self.notYet() }
    public func subscription(id: String) async throws(StoreError) -> Subscription? { throw Self.notYet() }
    public func subscriptions() async throws(StoreError) -> [Subscription] { throw Self.notYet() }
    public func updateSubscription(id: String, _ change: @escaping @Sendable (Subscription) -> Subscription)
        async throws(StoreError) -> Subscription?
    { throw Self.notYet() }
    public func deleteSubscription(id: String) async throws(StoreError) -> Bool { throw Self.notYet() }
    public func claimDeliveries(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws(StoreError)
        -> [ClaimedDelivery]
    { throw Self.notYet() }
    public func finishDeliveries(_ outcomes: [DeliveryOutcome]) async throws(StoreError) { throw Self.notYet() }
    public func deliveries(after: Int64, limit: Int, filter: DeliveryFilter) async throws(StoreError)
        -> [DeliveryRecord]
    { throw Self.notYet() }
    public func delivery(id: Int64) async throws(StoreError) -> DeliveryRecord? { throw Self.notYet() }
    public func deliveryAttempts(deliveryId: Int64) async throws(StoreError) -> [DeliveryAttempt] {
        throw Self.notYet()
    }
    public func retryDelivery(id: Int64, now: Date) async throws(StoreError) -> DeliveryRecord? { throw Self.notYet() }
    public func replay(subscriptionId: String, since: Date, now: Date) async throws(StoreError) -> Int? {
        throw Self.notYet()
    }
    public func deliveryCounts() async throws(StoreError) -> [DeliveryCount] { throw Self.notYet() }
}
