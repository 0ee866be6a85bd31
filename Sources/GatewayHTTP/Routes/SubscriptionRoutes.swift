import AltinnAPI
import Foundation
import Gateway
import Hummingbird
import Storage

/// `/v1/subscriptions` and `/v1/deliveries`: HTTP in, the subscriptions use case, HTTP out.
struct SubscriptionRoutes: Sendable {
    let subscriptions: Subscriptions
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
        let caller = try context.caller()
        let inbound = InboundFacts(context, request: request, clientId: context.clientId)
        let created = try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.create(url: url, body.changes, by: caller, inbound, now: Date())
        }
        return Response(stored: .json(201, SubscriptionJSON.withSecret(created)))
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        _ = try QueryParameters(request.uri.queryParameters, allowed: [])
        let caller = try context.caller()
        let all = try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.list(for: caller)
        }
        return Response(stored: .ok(.object([("items", .array(all.map(SubscriptionJSON.subscription)))])))
    }

    @Sendable func get(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.id(context)
        let caller = try context.caller()
        let subscription = try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.subscription(id: id, for: caller)
        }
        return Response(stored: .ok(SubscriptionJSON.subscription(subscription)))
    }

    @Sendable func update(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.id(context)
        let body = try JSONBody.decode(
            SubscriptionBody.self, from: try await JSONBody.read(request, limit: self.maxBodyBytes))
        let caller = try context.caller()
        let inbound = InboundFacts(context, request: request, clientId: context.clientId)
        let updated = try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.update(id: id, body.changes, by: caller, inbound, now: Date())
        }
        return Response(stored: .ok(SubscriptionJSON.subscription(updated)))
    }

    @Sendable func delete(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.id(context)
        let caller = try context.caller()
        let inbound = InboundFacts(context, request: request, clientId: context.clientId)
        try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.delete(id: id, by: caller, inbound)
        }
        return Response(status: .noContent)
    }

    @Sendable func rotate(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.id(context)
        var request = request
        let bytes = try await JSONBody.collect(&request, limit: self.maxBodyBytes)
        let body = try JSONBody.decode(RotateSecretBody.self, from: bytes.isEmpty ? Array("{}".utf8) : bytes)
        let caller = try context.caller()
        let inbound = InboundFacts(context, request: request, clientId: context.clientId, body: bytes)
        let rotated = try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.rotateSecret(
                id: id, gracePeriodSeconds: body.gracePeriodSeconds, by: caller, inbound, now: Date())
        }
        return Response(stored: .ok(SubscriptionJSON.withSecret(rotated)))
    }

    @Sendable func replay(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.id(context)
        let query = try QueryParameters(request.uri.queryParameters, allowed: ["since"])
        guard let since = try query.time("since") else {
            throw QueryParameters.invalid("since", "since is required: an RFC 3339 time")
        }
        let caller = try context.caller()
        let inbound = InboundFacts(context, request: request, clientId: context.clientId)
        let count = try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.replay(id: id, since: since, by: caller, inbound, now: Date())
        }
        return Response(stored: .json(202, .object([("subscriptionId", .string(id)), ("deliveries", .int(count))])))
    }

    @Sendable func deliveries(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let query = try QueryParameters(
            request.uri.queryParameters, allowed: ["status", "subscription", "instance", "after", "limit"])
        var filter = DeliveryFilter(subscriptionId: query["subscription"], instance: try query.instance())
        if let text = query["status"] {
            guard let state = DeliveryState(rawValue: text) else {
                throw QueryParameters.invalid("status", "status must be pending, delivered or dead")
            }
            filter.state = state
        }
        let after = try query.sequence("after")
        let limit = try query.limit(default: 100, max: 1000)
        let caller = try context.caller()
        let (records, scanned) = try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.deliveries(after: after, limit: limit, filter: filter, for: caller)
        }
        return Response(stored: .ok(.object([("items", .array(records.map(SubscriptionJSON.delivery)))])))
            .nextCursor(scanned.map { String($0) })
    }

    @Sendable func delivery(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.deliveryId(context)
        let caller = try context.caller()
        let (record, attempts) = try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.delivery(id: id, for: caller)
        }
        guard case .object(var members) = SubscriptionJSON.delivery(record) else { throw Self.notFound }
        members.append(("attemptLog", .array(attempts.map(SubscriptionJSON.attempt))))
        return Response(stored: .ok(.object(members)))
    }

    @Sendable func retry(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let id = try Self.deliveryId(context)
        let caller = try context.caller()
        let inbound = InboundFacts(context, request: request, clientId: context.clientId)
        let record = try await Self.run { () async throws(Subscriptions.Failure) in
            try await self.subscriptions.retry(deliveryId: id, by: caller, inbound, now: Date())
        }
        return Response(stored: .json(202, SubscriptionJSON.delivery(record)))
    }

    // MARK: - Helpers

    /// The use case's failures as problems.
    private static func run<T>(_ body: () async throws(Subscriptions.Failure) -> T) async throws(Problem) -> T {
        do {
            return try await body()
        } catch {
            switch error {
            case .notFound: throw Self.notFound
            case .refusedURL(let why): throw Problem.invalidMember("/url", why)
            case .appNotAllowed(let app): throw Problem(ClientRefusal.appNotAllowed(app))
            case .limitReached(let limit):
                throw Problem(.limitReached, "A client may have at most \(limit) subscriptions; delete one first.")
            case .store(let failure): throw Problem(failure)
            }
        }
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
