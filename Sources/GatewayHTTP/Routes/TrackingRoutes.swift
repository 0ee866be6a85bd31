import AltinnAPI
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import Storage
import Transport

/// `/v1/tracked-instances`: start, list, read and stop tracking.
struct TrackingRoutes: Sendable {
    let useCases: UseCases
    let maxBodyBytes: Int

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("tracked-instances", use: self.track)
        group.get("tracked-instances", use: self.list)
        group.get("tracked-instances/:org/:app/:partyId/:instanceGuid", use: self.get)
        group.delete("tracked-instances/:org/:app/:partyId/:instanceGuid", use: self.untrack)
    }

    @Sendable func track(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let bytes = try await JSONBody.read(request, limit: self.maxBodyBytes)
        let body = try JSONBody.decode(TrackRequestBody.self, from: bytes)
        // Arming makes the gateway call process/next later, in this client's name.
        if body.completeWhenAllSigned { try context.authorize(.processNext) }
        let instance = try body.selector.resolve(in: self.useCases.environment)
        try context.authorize(app: instance.app)
        let trackRequest = InstanceObserver.TrackRequest(
            clientId: context.clientId,
            tokenProfile: try context.tokenProfile(
                requested: body.tokenProfile, gatewayDefault: self.useCases.defaultTokenProfile),
            taskId: body.taskId, completeWhenAllSigned: body.completeWhenAllSigned,
            traceparent: TraceContext.current?.traceparent)
        let (row, created) = try await Self.run { () async throws(Tracking.Failure) in
            try await self.useCases.tracking.track(
                instance, trackRequest,
                InboundFacts(context, request: request, clientId: context.clientId, body: bytes),
                now: Date())
        }
        return Response(
            stored: .json(created ? 201 : 200, TrackingJSON.tracked(row, environment: self.useCases.environment)))
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let query = try QueryParameters(request.uri.queryParameters, allowed: ["status", "after", "limit"])
        var status: TrackingStatus?
        if let text = query["status"] {
            guard let parsed = TrackingStatus(rawValue: text) else {
                throw QueryParameters.invalid("status", "status must be active, complete, ended or expired")
            }
            status = parsed
        }
        let limit = try query.limit(default: 100, max: 1000)
        let caller = try context.caller()
        let (rows, scanned) = try await Self.run { () async throws(Tracking.Failure) in
            try await self.useCases.tracking.rows(after: query["after"], limit: limit, status: status, for: caller)
        }
        return Response(
            stored: .ok(
                .object([
                    ("items", .array(rows.map { TrackingJSON.tracked($0, environment: self.useCases.environment) }))
                ]))
        ).nextCursor(scanned)
    }

    @Sendable func get(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let instance = try context.instanceFromPath()
        try context.authorize(app: instance.app)
        let row = try await Self.run { () async throws(Tracking.Failure) in
            try await self.useCases.tracking.row(instance)
        }
        return Response(stored: .ok(TrackingJSON.tracked(row, environment: self.useCases.environment)))
    }

    @Sendable func untrack(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let instance = try context.instanceFromPath()
        try context.authorize(app: instance.app)
        let inbound = InboundFacts(context, request: request, clientId: context.clientId)
        try await Self.run { () async throws(Tracking.Failure) in
            try await self.useCases.tracking.untrack(instance, inbound)
        }
        return Response(status: .noContent)
    }

    /// The use case's failures as problems.
    static func run<T>(_ body: () async throws(Tracking.Failure) -> T) async throws(Problem) -> T {
        do {
            return try await body()
        } catch {
            switch error {
            case .notTracked: throw Problem(.notFound, "This instance is not tracked.")
            case .store(let failure): throw Problem(failure)
            }
        }
    }
}
