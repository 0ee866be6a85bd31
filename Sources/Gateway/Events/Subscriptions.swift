import AltinnAPI
package import Foundation
package import Storage
package import Webhooks

/// Subscriptions and their deliveries: who gets events, under which rules, and what happened to each delivery.
///
/// Every subscription belongs to the client that created it: a caller sees and changes only its own (an admin
/// sees all), and another client's subscription or delivery is answered as absent. A subscription's apps stay
/// within its owner's policy on every change; its URL is vetted against the destination policy on every change.
/// Every change is in the audit chain with the acting client. Changes that create work wake the dispatcher.
package struct Subscriptions: Sendable {
    private let store: any SubscriptionStore & DeliveryStore
    private let audit: AuditTrail
    private let destinations: DestinationPolicy
    /// Secrets are stored sealed; callers see the plaintext once, in the answer that creates or rotates one.
    private let sealer: SecretSealer
    /// Rung when a change leaves deliveries due (a replay, a retry, a subscription enabled again).
    private let deliveries: Doorbell
    /// Rung when the set of subscriptions changed, so the dispatcher starts or stops their loops at once.
    private let changed: Doorbell
    /// The app patterns of a client's policy (empty for a client no longer configured).
    private let appsOf: @Sendable (String) -> [AppPattern]
    private let maxPerClient: Int

    package init(
        store: any SubscriptionStore & DeliveryStore, audit: AuditTrail, destinations: DestinationPolicy,
        sealer: SecretSealer, deliveries: Doorbell, changed: Doorbell,
        appsOf: @escaping @Sendable (String) -> [AppPattern], maxPerClient: Int
    ) {
        self.sealer = sealer
        self.store = store
        self.audit = audit
        self.destinations = destinations
        self.deliveries = deliveries
        self.changed = changed
        self.appsOf = appsOf
        self.maxPerClient = maxPerClient
    }

    package enum Failure: Error, Sendable {
        case notFound
        /// The URL is malformed or resolves to an address the policy refuses; the description says which rule.
        case refusedURL(String)
        /// An app filter outside the owner's policy (an empty filter means every app); the app named.
        case appNotAllowed(String)
        /// The owner already has the most subscriptions a client may have.
        case limitReached(Int)
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

    /// A new subscription owned by the caller, with a fresh secret (shown once, by the caller's answer).
    package func create(url: String, _ changes: Changes, by caller: Caller, _ inbound: InboundFacts, now: Date)
        async throws(Failure) -> Subscription
    {
        let apps = changes.apps ?? []
        try self.checkApps(apps, owner: caller.clientId)
        try await self.vet(url)
        let owned = try await self.all(for: caller, everyone: false)
        guard owned.count < self.maxPerClient else { throw .limitReached(self.maxPerClient) }
        let id = "sub_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let secret = WebhookSecret.generate().encoded
        var subscription = Subscription(
            id: id, url: url, types: changes.types ?? [], apps: apps, enabled: changes.enabled ?? true,
            description: changes.description, secret: self.sealer.seal(secret, subscription: id), createdAt: now,
            updatedAt: now, owner: caller.clientId)
        try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.createSubscription(subscription)
        }
        try await self.record("subscription.create", subscription.id, inbound)
        self.changed.ring()
        subscription.secret = secret
        return subscription
    }

    /// The caller's subscriptions; an admin's list holds every client's.
    package func list(for caller: Caller) async throws(Failure) -> [Subscription] {
        try await self.all(for: caller, everyone: caller.isAdmin)
    }

    package func subscription(id: String, for caller: Caller) async throws(Failure) -> Subscription {
        let found = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.subscription(id: id)
        }
        guard let found, caller.owns(found.owner) else { throw .notFound }
        return found
    }

    /// Applies `changes`; re-enabling clears the reason it was disabled and wakes the dispatcher.
    package func update(
        id: String, _ changes: Changes, by caller: Caller, _ inbound: InboundFacts, now: Date
    ) async throws(Failure) -> Subscription {
        // The owner never changes, so checking it before the update cannot be raced.
        let current = try await self.subscription(id: id, for: caller)
        try self.checkApps(changes.apps ?? current.apps, owner: current.owner)
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
        try await self.record("subscription.update", id, inbound)
        self.changed.ring()
        if updated.enabled { self.deliveries.ring() }
        return updated
    }

    package func delete(id: String, by caller: Caller, _ inbound: InboundFacts) async throws(Failure) {
        _ = try await self.subscription(id: id, for: caller)
        let deleted = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.deleteSubscription(id: id)
        }
        guard deleted else { throw .notFound }
        EventMetrics.forget(subscription: id)
        try await self.record("subscription.delete", id, inbound)
        self.changed.ring()
    }

    /// A new secret (in the answer, in plaintext, this once); the old one keeps signing (a second signature) for
    /// `gracePeriodSeconds`.
    package func rotateSecret(
        id: String, gracePeriodSeconds: Int, by caller: Caller, _ inbound: InboundFacts, now: Date
    ) async throws(Failure) -> Subscription {
        _ = try await self.subscription(id: id, for: caller)
        let secret = WebhookSecret.generate().encoded
        let sealed = self.sealer.seal(secret, subscription: id)
        let rotated = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.updateSubscription(id: id) { current in
                var next = current
                next.previousSecret = gracePeriodSeconds > 0 ? current.secret : nil
                next.previousSecretExpiresAt =
                    gracePeriodSeconds > 0 ? now.addingTimeInterval(Double(gracePeriodSeconds)) : nil
                next.secret = sealed
                next.updatedAt = now
                return next
            }
        }
        guard var rotated else { throw .notFound }
        try await self.record("subscription.rotateSecret", id, inbound)
        rotated.secret = secret
        return rotated
    }

    /// Re-sends every stored event since `since` that matches the subscription (same event ids) and is not
    /// already waiting for it; how many.
    package func replay(
        id: String, since: Date, by caller: Caller, _ inbound: InboundFacts, now: Date
    ) async throws(Failure) -> Int {
        _ = try await self.subscription(id: id, for: caller)
        let count = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.replay(subscriptionId: id, since: since, now: now)
        }
        guard let count else { throw .notFound }
        try await self.record("subscription.replay", id, inbound)
        if count > 0 { self.deliveries.ring() }
        return count
    }

    /// A page of the caller's deliveries (an admin's: everyone's). `scanned` is the last id looked at, the cursor
    /// for the next page: a page may hold fewer than `limit` items when others' deliveries were passed over.
    package func deliveries(after: Int64, limit: Int, filter: DeliveryFilter, for caller: Caller)
        async throws(Failure) -> (items: [DeliveryRecord], scanned: Int64?)
    {
        let page = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.deliveries(after: after, limit: limit, filter: filter)
        }
        let scanned = page.count == limit ? page.last?.id : nil
        if caller.isAdmin { return (page, scanned) }
        let own = Set(try await self.all(for: caller, everyone: false).map(\.id))
        return (page.filter { own.contains($0.subscriptionId) }, scanned)
    }

    /// One of the caller's deliveries with its attempt log.
    package func delivery(id: Int64, for caller: Caller) async throws(Failure) -> (DeliveryRecord, [DeliveryAttempt]) {
        let record = try await self.ownDelivery(id, caller)
        let attempts = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.deliveryAttempts(deliveryId: id)
        }
        return (record, attempts)
    }

    /// Re-arms one of the caller's deliveries, in any state, for an attempt now, its retry schedule starting over.
    package func retry(deliveryId id: Int64, by caller: Caller, _ inbound: InboundFacts, now: Date)
        async throws(Failure) -> DeliveryRecord
    {
        _ = try await self.ownDelivery(id, caller)
        let record = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.retryDelivery(id: id, now: now)
        }
        guard let record else { throw .notFound }
        try await self.record("delivery.retry", record.subscriptionId, inbound)
        self.deliveries.ring()
        return record
    }

    /// Seals every secret still stored in plaintext, or sealed under a key other than the current one (after a
    /// key rotation); how many subscriptions were re-sealed. Run at start, before deliveries.
    package func resealSecrets() async throws(Failure) -> Int {
        let all = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.subscriptions()
        }
        var resealed = 0
        for subscription in all
        where self.sealer.needsReseal(subscription.secret)
            || subscription.previousSecret.map(self.sealer.needsReseal) == true
        {
            let sealer = self.sealer
            let updated = try await storing(Failure.store) { () async throws(StoreError) in
                try await self.store.updateSubscription(id: subscription.id) { current in
                    var next = current
                    // Re-read under the row's lock; a secret that does not open is left for the operator.
                    func reseal(_ stored: String) -> String {
                        guard sealer.needsReseal(stored), let plain = try? sealer.open(stored, subscription: current.id)
                        else { return stored }
                        return sealer.seal(plain, subscription: current.id)
                    }
                    next.secret = reseal(current.secret)
                    next.previousSecret = current.previousSecret.map(reseal)
                    return next
                }
            }
            // A secret whose key has left the key file stays as it was and is not counted.
            if let updated,
                updated.secret != subscription.secret || updated.previousSecret != subscription.previousSecret
            {
                resealed += 1
            }
        }
        return resealed
    }

    // MARK: - Rules

    private func all(for caller: Caller, everyone: Bool) async throws(Failure) -> [Subscription] {
        let all = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.subscriptions()
        }
        return everyone ? all : all.filter { $0.owner == caller.clientId }
    }

    private func ownDelivery(_ id: Int64, _ caller: Caller) async throws(Failure) -> DeliveryRecord {
        let record = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.delivery(id: id)
        }
        guard let record else { throw .notFound }
        // A delivery is its subscription's: answered as absent unless the caller owns that.
        _ = try await self.subscription(id: record.subscriptionId, for: caller)
        return record
    }

    /// `apps` (empty: every app) within the owner's policy.
    private func checkApps(_ apps: [String], owner: String) throws(Failure) {
        let policy = Caller(clientId: owner, isAdmin: false, apps: self.appsOf(owner), mayProcessNext: false)
        guard !apps.isEmpty else {
            guard policy.coversEveryApp else { throw .appNotAllowed("*") }
            return
        }
        for app in apps where !policy.covers(app: app) { throw .appNotAllowed(app) }
    }

    private func vet(_ url: String) async throws(Failure) {
        do {
            _ = try await self.destinations.vet(url)
        } catch {
            throw .refusedURL(error.description)
        }
    }

    /// The change in the audit chain, naming the subscription it touched.
    private func record(_ operation: String, _ subscription: String, _ inbound: InboundFacts) async throws(Failure) {
        try await storing(Failure.store) { () async throws(StoreError) in
            try await self.audit.append(
                inbound, CallRecord(operation: operation, instance: subscription, outcome: "succeeded"),
                responseBody: nil)
        }
    }
}
