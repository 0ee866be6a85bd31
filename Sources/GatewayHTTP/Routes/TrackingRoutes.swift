import AltinnAPI
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import Storage
import Transport

/// `/v1/tracked-instances`: start, list, read and stop tracking.
struct TrackingRoutes: Sendable {
    let store: any Store
    let observer: InstanceObserver
    let trackerDoorbell: Doorbell
    let environment: AltinnEnvironment
    let defaultTokenProfile: String
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
        let instance = try body.selector.resolve(in: self.environment)
        try context.authorize(app: instance.app)
        let trackRequest = InstanceObserver.TrackRequest(
            clientId: context.clientId,
            tokenProfile: try context.tokenProfile(
                requested: body.tokenProfile, gatewayDefault: self.defaultTokenProfile),
            taskId: body.taskId, completeWhenAllSigned: body.completeWhenAllSigned,
            traceparent: TraceContext.current?.traceparent)
        let now = Date()
        let committed = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.commit(self.observer.track(instance, trackRequest, now: now))
        }
        guard let row = committed.tracked else { throw Problem(.storeUnavailable, "The instance was not tracked.") }
        self.trackerDoorbell.ring()
        // A row created by this call carries this call's time (as stored: to the microsecond).
        let created = AuditChain.micros(row.createdAt) == AuditChain.micros(now)
        return Response(stored: .json(created ? 201 : 200, TrackingJSON.tracked(row, environment: self.environment)))
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
        let rows = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.trackedInstances(after: query["after"], limit: limit, status: status)
        }
        let next: JSONValue = rows.count == limit ? rows.last.map { .string($0.instance) } ?? .null : .null
        return Response(
            stored: .ok(
                .object([
                    ("items", .array(rows.map { TrackingJSON.tracked($0, environment: self.environment) })),
                    ("next", next),
                ])))
    }

    @Sendable func get(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let instance = try context.instanceFromPath()
        try context.authorize(app: instance.app)
        guard
            let row = try await Problem.fromStore({ () async throws(StoreError) in
                try await self.store.trackedInstance(instance.description)
            })
        else { throw Problem(.notFound, "This instance is not tracked.") }
        return Response(stored: .ok(TrackingJSON.tracked(row, environment: self.environment)))
    }

    @Sendable func untrack(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let instance = try context.instanceFromPath()
        try context.authorize(app: instance.app)
        let removed = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.untrack(instance.description)
        }
        guard removed else { throw Problem(.notFound, "This instance is not tracked.") }
        return Response(status: .noContent)
    }

}
