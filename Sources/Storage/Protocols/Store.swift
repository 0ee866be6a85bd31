import Foundation

/// The durable store: idempotency keys, the audit log, tracked instances, the event outbox, subscriptions and
/// deliveries — one protocol per concern, composed. Two engines implement it (SQLite, PostgreSQL) and pass one
/// conformance suite; a use case asks only for the concerns it uses.
///
/// Every method that writes an audit record does so in the same transaction as the rest of its write,
/// so an acknowledged call never lacks its record.
package protocol Store: IdempotencyStore, AuditStore, TrackingStore, SubscriptionStore, DeliveryStore,
    ConsoleSessionStore
{
    /// Creates or upgrades the schema. Safe when several replicas start at once.
    func migrate() async throws(StoreError)

    /// Releases connections and files.
    func close() async
}
