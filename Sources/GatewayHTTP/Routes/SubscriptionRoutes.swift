import AltinnAPI
import Foundation
import Gateway
import Hummingbird
import Storage
import Webhooks

/// `/v1/subscriptions` and `/v1/deliveries`: who gets events, and what happened to each delivery.
struct SubscriptionRoutes: Sendable {
    let store: any Store
    let destinations: DestinationPolicy
    let doorbell: Doorbell
    let maxBodyBytes: Int

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("subscriptions", use: self.create)
        group.get("subscriptions", use: self.list)
        group.get("subscriptions/:id", use: self.get)
        group.patch("subscriptions/:id", use: self.update)
        group.delete("subscriptions/:id", use: self.delete)
        group.post("subscriptions/:id/rotate-secret", use: self.rotate)
        group.post("subscriptions/:id/replay", use: self.replay)
        group.get("deliveries", use: self.deliveries)
        group.get("deliveries/:id", use: self.delivery)
        group.post("deliveries/:id/retry", use: self.retry)
    }

    @Sendable func create(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let body = try JSONBody.decode(
            SubscriptionBody.self, from: try await JSONBody.read(request, limit: self.maxBodyBytes))
        guard let url = body.url else { throw Problem.invalidMember("/url", "url is required") }
        try self.authorizeApps(body.apps ?? [], context)
        try await self.vet(url)
        let now = Date()
        let subscription = Subscription(
            id: "sub_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased(), url: url,
            types: body.types ?? [], apps: body.apps ?? [], enabled: body.enabled ?? true,
            description: body.description, secret: Webhooks.WebhookSecret.generate().encoded, createdAt: now,
            updatedAt: now)
        try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.createSubscription(subscription)
        }
        return Response(stored: .json(201, SubscriptionJSON.withSecret(subscription)))
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        _ = try QueryParameters(request.uri.queryParameters, allowed: [])
        let all = try await Problem.fromStore { () async throws(StoreError) in try await self.store.subscriptions() }
        return Response(stored: .ok(.object([("items", .array(all.map(SubscriptionJSON.subscription)))])))
    }

    @Sendable func get(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let subscription = try await self.existing(context)
        return Response(stored: .ok(SubscriptionJSON.subscription(subscription)))
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.id(context)
        let body = try JSONBody.decode(
            SubscriptionBody.self, from: try await JSONBody.read(request, limit: self.maxBodyBytes))
        if let apps = body.apps { try self.authorizeApps(apps, context) }
        if let url = body.url { try await self.vet(url) }
        let now = Date()
        let updated = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.updateSubscription(id: id) { current in
                var next = current
                next.url = body.url ?? current.url
                next.types = body.types ?? current.types
                next.apps = body.apps ?? current.apps
                next.description = body.description ?? current.description
                if let enabled = body.enabled {
                    next.enabled = enabled
                    if enabled { next.disabledReason = nil }
                }
                next.updatedAt = now
                return next
            }
        }
        guard let updated else { throw Self.notFound }
        if updated.enabled { self.doorbell.ring() }
        return Response(stored: .ok(SubscriptionJSON.subscription(updated)))
    }

    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.id(context)
        let deleted = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.deleteSubscription(id: id)
        }
        guard deleted else { throw Self.notFound }
        return Response(status: .noContent)
    }

    /// A new secret; the old one keeps signing (a second signature) for the grace period.
    @Sendable func rotate(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.id(context)
        var request = request
        let bytes = try await JSONBody.collect(&request, limit: self.maxBodyBytes)
        let body =
            bytes.isEmpty
            ? try JSONBody.decode(RotateSecretBody.self, from: Array("{}".utf8))
            : try JSONBody.decode(RotateSecretBody.self, from: bytes)
        let now = Date()
        let secret = Webhooks.WebhookSecret.generate().encoded
        let rotated = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.updateSubscription(id: id) { current in
                var next = current
                next.previousSecret = body.gracePeriodSeconds > 0 ? current.secret : nil
                next.previousSecretExpiresAt =
                    body.gracePeriodSeconds > 0 ? now.addingTimeInterval(Double(body.gracePeriodSeconds)) : nil
                next.secret = secret
                next.updatedAt = now
                return next
            }
        }
        guard let rotated else { throw Self.notFound }
        return Response(stored: .ok(SubscriptionJSON.withSecret(rotated)))
    }

    /// Re-sends every stored event since `since` that matches the subscription (same event ids).
    @Sendable func replay(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.id(context)
        let query = try QueryParameters(request.uri.queryParameters, allowed: ["since"])
        guard let since = try query.time("since") else {
            throw QueryParameters.invalid("since", "since is required: an RFC 3339 time")
        }
        let count = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.replay(subscriptionId: id, since: since, now: Date())
        }
        guard let count else { throw Self.notFound }
        if count > 0 { self.doorbell.ring() }
        return Response(stored: .json(202, .object([("subscriptionId", .string(id)), ("deliveries", .int(count))])))
    }

    @Sendable func deliveries(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let query = try QueryParameters(
            request.uri.queryParameters, allowed: ["status", "subscription", "instance", "after", "limit"])
        var filter = DeliveryFilter(subscriptionId: query["subscription"], instance: query["instance"])
        if let text = query["status"] {
            guard let state = DeliveryState(rawValue: text) else {
                throw QueryParameters.invalid("status", "status must be pending, delivered or dead")
            }
            filter.state = state
        }
        let after = try query.sequence("after")
        let limit = try query.limit(default: 100, max: 1000)
        let records = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.deliveries(after: after, limit: limit, filter: filter)
        }
        let next: JSONValue = records.count == limit ? records.last.map { .int(Int($0.id)) } ?? .null : .null
        return Response(
            stored: .ok(.object([("items", .array(records.map(SubscriptionJSON.delivery))), ("next", next)])))
    }

    @Sendable func delivery(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.deliveryId(context)
        guard
            let record = try await Problem.fromStore({ () async throws(StoreError) in
                try await self.store.delivery(id: id)
            })
        else { throw Self.notFound }
        let attempts = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.deliveryAttempts(deliveryId: id)
        }
        guard case .object(var members) = SubscriptionJSON.delivery(record) else { throw Self.notFound }
        members.append(("attemptLog", .array(attempts.map(SubscriptionJSON.attempt))))
        return Response(stored: .ok(.object(members)))
    }

    /// Re-arms a delivery in any state for an attempt now, its retry schedule starting over.
    @Sendable func retry(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.deliveryId(context)
        guard
            let record = try await Problem.fromStore({ () async throws(StoreError) in
                try await self.store.retryDelivery(id: id, now: Date())
            })
        else { throw Self.notFound }
        self.doorbell.ring()
        return Response(stored: .json(202, SubscriptionJSON.delivery(record)))
    }

    // MARK: - Helpers

    private func vet(_ url: String) async throws(Problem) {
        do {
            _ = try await self.destinations.vet(url)
        } catch {
            throw Problem.invalidMember("/url", error.description)
        }
    }

    private func authorizeApps(_ apps: [String], _ context: GatewayRequestContext) throws(Problem) {
        guard !apps.isEmpty else { return try context.authorizeEveryApp() }
        for app in apps {
            if let reference = try? AppReference(app) { try context.authorize(app: reference) }
        }
    }

    private func existing(_ context: GatewayRequestContext) async throws -> Subscription {
        let id = try Self.id(context)
        guard
            let subscription = try await Problem.fromStore({ () async throws(StoreError) in
                try await self.store.subscription(id: id)
            })
        else { throw Self.notFound }
        return subscription
    }

    static let notFound = Problem(.notFound, "No such subscription or delivery.")

    static func id(_ context: GatewayRequestContext) throws(Problem) -> String {
        let id = context.parameters.get("id") ?? ""
        guard id.hasPrefix("sub_"), (5...64).contains(id.count), id.utf8.allSatisfy({ (0x21...0x7E).contains($0) })
        else { throw Self.notFound }
        return id
    }

    static func deliveryId(_ context: GatewayRequestContext) throws(Problem) -> Int64 {
        guard let id = context.parameters.get("id").flatMap(Int64.init), id > 0 else { throw Self.notFound }
        return id
    }

}
