import AltinnAPI
import Gateway
import HTTPTypes
import Hummingbird
import Storage

/// `GET /v1/events`: the pull feed, the alternative to subscriptions.
struct EventFeedRoutes: Sendable {
    let feeds: Feeds

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("events", use: self.feed)
    }

    /// `GET /v1/events?after=&limit=&instance=`: a CloudEvents batch in commit order, only about apps the caller's
    /// policy covers (and one instance's, by its key `org/app/instances/party/guid`, when asked). The cursor to pass
    /// next is in `Next-Cursor` (the last sequence looked at, or `after` when none).
    @Sendable func feed(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.events)
        let query = try QueryParameters(request.uri.queryParameters, allowed: ["after", "limit", "instance"])
        let instance = try query.instance()
        let after = try query.sequence("after")
        let limit = try query.limit(default: 100, max: 1000)
        let caller = try context.caller()
        let (events, cursor) = try await Problem.fromStore { () async throws(StoreError) in
            try await self.feeds.events(after: after, limit: limit, instance: instance, for: caller)
        }
        var body: [UInt8] = [UInt8(ascii: "[")]
        for (index, event) in events.enumerated() {
            if index > 0 { body.append(UInt8(ascii: ",")) }
            body.append(contentsOf: event.event.body)
        }
        body.append(UInt8(ascii: "]"))
        return Response(
            stored: StoredResponse(status: 200, contentType: "application/cloudevents-batch+json", body: body)
        ).nextCursor(String(cursor))
    }
}
