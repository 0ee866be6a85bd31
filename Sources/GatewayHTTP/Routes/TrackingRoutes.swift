import AltinnAPI
import CurlHTTP
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import Storage

/// `/v1/tracked-instances`: start, list, read and stop tracking; and `GET /v1/events`, the pull feed.
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
        group.get("events", use: self.feed)
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
        let existed = try await self.read { () async throws(StoreError) in
            try await self.store.trackedInstance(instance.description) != nil
        }
        let committed = try await self.read { () async throws(StoreError) in
            try await self.store.commit(self.observer.track(instance, trackRequest, now: Date()))
        }
        guard let row = committed.tracked else { throw Problem(.storeUnavailable, "The instance was not tracked.") }
        self.trackerDoorbell.ring()
        return Response(
            stored: .json(existed ? 200 : 201, TrackingJSON.tracked(row, environment: self.environment)))
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let query = try QueryParameters(request.uri.queryParameters, allowed: ["status", "after", "limit"])
        var status: TrackingStatus?
        if let text = query["status"] {
            guard let parsed = TrackingStatus(rawValue: text) else {
                throw SigneesQuery.invalid("status", "status must be active, complete, ended or expired")
            }
            status = parsed
        }
        let limit = try query.limit(default: 100, max: 1000)
        let rows = try await self.read { () async throws(StoreError) in
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
            let row = try await self.read({ () async throws(StoreError) in
                try await self.store.trackedInstance(instance.description)
            })
        else { throw Problem(.notFound, "This instance is not tracked.") }
        return Response(stored: .ok(TrackingJSON.tracked(row, environment: self.environment)))
    }

    @Sendable func untrack(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let instance = try context.instanceFromPath()
        try context.authorize(app: instance.app)
        let removed = try await self.read { () async throws(StoreError) in
            try await self.store.untrack(instance.description)
        }
        guard removed else { throw Problem(.notFound, "This instance is not tracked.") }
        return Response(status: .noContent)
    }

    /// `GET /v1/events?after=&limit=`: a CloudEvents batch in commit order. The cursor to pass next is in
    /// `Next-Cursor` (the last event's sequence, or `after` when the batch is empty).
    @Sendable func feed(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let query = try QueryParameters(request.uri.queryParameters, allowed: ["after", "limit"])
        let after = try query.sequence("after")
        let limit = try query.limit(default: 100, max: 1000)
        let events = try await self.read { () async throws(StoreError) in
            try await self.store.events(after: after, limit: limit)
        }
        var body: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: event.event.body)
        }
        body.append(UInt8(ascii: "]"))
        var response = Response(
            stored: StoredResponse(status: 200, contentType: "application/cloudevents-batch+json", body: body))
        response.headers[.nextCursor] = String(events.last?.sequence ?? after)
        return response
    }

    private func read<T>(_ body: () async throws(StoreError) -> T) async throws(Problem) -> T {
        do {
            return try await body()
        } catch {
            throw Problem(.storeUnavailable, "The store could not be reached.")
        }
    }
}

extension StoredResponse {
    static func json(_ status: Int, _ json: JSONValue) -> StoredResponse {
        StoredResponse(status: status, contentType: "application/json", body: json.serialized)
    }
}

extension HTTPField.Name {
    static let nextCursor = Self("Next-Cursor")!
}

extension GatewayRequestContext {
    /// The instance named by the path's `:org/:app/:partyId/:instanceGuid`.
    func instanceFromPath() throws(Problem) -> InstanceReference {
        do {
            let app = try AppReference(org: self.parameters.get("org") ?? "", app: self.parameters.get("app") ?? "")
            return try InstanceReference(
                app: app,
                instanceId: "\(self.parameters.get("partyId") ?? "")/\(self.parameters.get("instanceGuid") ?? "")")
        } catch {
            throw Problem(error, pointer: "")
        }
    }
}
