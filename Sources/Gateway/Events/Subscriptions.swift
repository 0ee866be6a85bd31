package import Foundation
package import Storage
package import Webhooks

/// Subscriptions and their deliveries: who gets events, under which rules, and what happened to each delivery.
/// A subscriber's URL is vetted against the destination policy on every change; changes that create work wake
/// the dispatcher.
package struct Subscriptions: Sendable {
    private let store: any SubscriptionStore & DeliveryStore
    private let destinations: DestinationPolicy
    private let doorbell: Doorbell

    package init(store: any SubscriptionStore & DeliveryStore, destinations: DestinationPolicy, doorbell: Doorbell) {
        self.store = store
        self.destinations = destinations
        self.doorbell = doorbell
    }

    package enum Failure: Error, Sendable {
        case notFound
        /// The URL is malformed or resolves to an address the policy refuses; the description says which rule.
        case refusedURL(String)
        case store(StoreError)
    }

    /// The members a caller sets; nil leaves a member as it is (on create: its default).
    package struct Changes: Sendable {
        package var url: String?
        package var types: [String]?
        package var apps: [String]?
        package var enabled: Bool?
        package var description: String?

        package init(url: String?, types: [String]?, apps: [String]?, enabled: Bool?, description: String?) {
            self.url = url
            self.types = types
            self.apps = apps
            self.enabled = enabled
            self.description = description
        }
    }

    /// A new subscription with a fresh secret (shown once, by the caller's answer).
    package func create(url: String, _ changes: Changes, now: Date) async throws(Failure) -> Subscription {
        try await self.vet(url)
        let subscription = Subscription(
            id: "sub_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(), url: url,
            types: changes.types ?? [], apps: changes.apps ?? [], enabled: changes.enabled ?? true,
            description: changes.description, secret: WebhookSecret.generate().encoded, createdAt: now,
            updatedAt: now)
        try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.createSubscription(subscription)
        }
        return subscription
    }

    package func all() async throws(Failure) -> [Subscription] {
        try await storing(Failure.store) { () async throws(StoreError) in try await self.store.subscriptions() }
    }

    package func subscription(id: String) async throws(Failure) -> Subscription {
        let found = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.subscription(id: id)
        }
        guard let found else { throw .notFound }
        return found
    }

    /// Applies `changes`; re-enabling clears the reason it was disabled and wakes the dispatcher.
    package func update(id: String, _ changes: Changes, now: Date) async throws(Failure) -> Subscription {
        if let url = changes.url { try await self.vet(url) }
        let updated = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.updateSubscription(id: id) { current in
                var next = current
                next.url = changes.url ?? current.url
                next.types = changes.types ?? current.types
                next.apps = changes.apps ?? current.apps
                next.description = changes.description ?? current.description
                if let enabled = changes.enabled {
                    next.enabled = enabled
                    if enabled { next.disabledReason = nil }
                }
                next.updatedAt = now
                return next
            }
        }
        guard let updated else { throw .notFound }
        if updated.enabled { self.doorbell.ring() }
        return updated
    }

    package func delete(id: String) async throws(Failure) {
        let deleted = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.deleteSubscription(id: id)
        }
        guard deleted else { throw .notFound }
    }

    /// A new secret; the old one keeps signing (a second signature) for `gracePeriodSeconds`.
    package func rotateSecret(id: String, gracePeriodSeconds: Int, now: Date) async throws(Failure) -> Subscription {
        let secret = WebhookSecret.generate().encoded
        let rotated = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.updateSubscription(id: id) { current in
                var next = current
                next.previousSecret = gracePeriodSeconds > 0 ? current.secret : nil
                next.previousSecretExpiresAt =
                    gracePeriodSeconds > 0 ? now.addingTimeInterval(Double(gracePeriodSeconds)) : nil
                next.secret = secret
                next.updatedAt = now
                return next
            }
        }
        guard let rotated else { throw .notFound }
        return rotated
    }

    /// Re-sends every stored event since `since` that matches the subscription (same event ids); how many.
    package func replay(id: String, since: Date, now: Date) async throws(Failure) -> Int {
        let count = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.replay(subscriptionId: id, since: since, now: now)
        }
        guard let count else { throw .notFound }
        if count > 0 { self.doorbell.ring() }
        return count
    }

    package func deliveries(after: Int64, limit: Int, filter: DeliveryFilter) async throws(Failure) -> [DeliveryRecord]
    {
        try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.deliveries(after: after, limit: limit, filter: filter)
        }
    }

    /// One delivery with its attempt log.
    package func delivery(id: Int64) async throws(Failure) -> (DeliveryRecord, [DeliveryAttempt]) {
        let record = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.delivery(id: id)
        }
        guard let record else { throw .notFound }
        let attempts = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.deliveryAttempts(deliveryId: id)
        }
        return (record, attempts)
    }

    /// Re-arms a delivery in any state for an attempt now, its retry schedule starting over.
    package func retry(deliveryId id: Int64, now: Date) async throws(Failure) -> DeliveryRecord {
        let record = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.retryDelivery(id: id, now: now)
        }
        guard let record else { throw .notFound }
        self.doorbell.ring()
        return record
    }

    private func vet(_ url: String) async throws(Failure) {
        do {
            _ = try await self.destinations.vet(url)
        } catch {
            throw .refusedURL(error.description)
        }
    }

}
