import Foundation

/// Who gets events.
package protocol SubscriptionStore: Sendable {
    /// Fails with `.conflict` when the id exists.
    func createSubscription(_ subscription: Subscription) async throws(StoreError)
    func subscription(id: String) async throws(StoreError) -> Subscription?
    /// Ordered by creation.
    func subscriptions() async throws(StoreError) -> [Subscription]
    /// Replaces the subscription with `change(current)` in one transaction; nil when it does not exist.
    func updateSubscription(id: String, _ change: @escaping @Sendable (Subscription) -> Subscription)
        async throws(StoreError) -> Subscription?
    /// Deletes it with its deliveries and their attempts. False when it did not exist.
    func deleteSubscription(id: String) async throws(StoreError) -> Bool
}
