import Foundation
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle

/// Outermost: Altinn's security headers on every reply, and ASP.NET-like bodies for failures —
/// a route miss is an empty 404, anything thrown is an empty 500 (no exception handler, §1.0).
struct AltinnConventionsMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            response = Replies.empty(.notFound)
        } catch {
            context.logger.error("unhandled error: \(error)")
            response = Replies.empty(.internalServerError)
        }
        response.headers[.cacheControl] = "no-store, no-cache"
        response.headers[values: HTTPField.Name("X-Frame-Options")!] = ["deny"]
        response.headers[values: HTTPField.Name("X-Content-Type-Options")!] = ["nosniff"]
        response.headers[values: HTTPField.Name("X-XSS-Protection")!] = ["0"]
        response.headers[values: HTTPField.Name("Referrer-Policy")!] = ["no-referrer"]
        return response
    }
}

/// Keeps the last requests to the app API for contract tests. Records that an Authorization
/// header was present, never its value.
struct RecordingMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let state: SimulatorState

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        var request = request
        let buffer = try await request.collectBody(upTo: context.maxUploadSize)
        let bytes = Array(buffer.readableBytesView)
        let body: JSONValue? =
            bytes.isEmpty
            ? nil : (JSONValue.parse(bytes) ?? .string(String(decoding: bytes, as: UTF8.self)))
        await state.record(
            RecordedRequest(
                method: request.method.rawValue,
                path: request.uri.path,
                query: request.uri.query,
                contentType: request.headers[.contentType],
                accept: request.headers[.accept],
                hasAuthorization: request.headers[.authorization] != nil,
                traceparent: request.headers[HTTPField.Name("traceparent")!],
                body: body
            ))
        return try await next(request, context)
    }
}

/// ASP.NET route constraints `{instanceOwnerPartyId:int}/{instanceGuid:guid}`: a miss is a 404
/// before authentication, as no endpoint matched.
struct RouteConstraintMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        guard InstanceRoute(context) != nil else { return Replies.empty(.notFound) }
        return try await next(request, context)
    }
}

/// `Authorization: Bearer <token>` must name a configured identity or be an Altinn token the simulator
/// issued (unexpired, not revoked); otherwise 401 with an empty body, as the JwtCookie scheme's challenge gives.
struct BearerAuthMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let identities: [String: SimulatedIdentity]
    let authority: TokenAuthority

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        guard let token = bearerToken(request) else { return Replies.empty(.unauthorized) }
        let identity: SimulatedIdentity
        if let fixed = identities[token] {
            identity = fixed
        } else {
            switch await authority.authenticate(altinnToken: token) {
            case .identity(let issued): identity = issued
            case .forbidden: return Replies.empty(.forbidden)
            case .unauthorized: return Replies.empty(.unauthorized)
            }
        }
        var context = context
        context.identity = identity
        return try await next(request, context)
    }
}

/// Latency, injected 500s and dropped replies for app routes.
struct FaultMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext
    let state: SimulatorState

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        let decision = await state.rollFaults()
        if decision.latency > .zero {
            try await Task.sleep(for: decision.latency)
        }
        // An injected failure happens before any effect, like an exception thrown early.
        if decision.fail { return Replies.empty(.internalServerError) }
        let response = try await next(request, context)
        guard decision.dropReply else { return response }
        // The effect has happened; now say nothing until the server shuts down. Waiting on
        // graceful shutdown (not forever) keeps the server's shutdown from hanging on us.
        await state.replyHeld()
        try? await gracefulShutdown()
        await state.replyReleased()
        return Replies.empty(.serviceUnavailable)
    }
}

/// The `{partyId}/{guid}` of an app route, validated like the ASP.NET constraints.
struct InstanceRoute {
    let org: String
    let app: String
    let key: InstanceKey

    init?(_ context: SimulatorRequestContext) {
        guard let org = context.parameters.get("org"), let app = context.parameters.get("app"),
            let party = context.parameters.get("partyId"), let partyId = Int32(party),
            let guidText = context.parameters.get("guid"), let guid = UUID(uuidString: guidText)
        else { return nil }
        self.org = org
        self.app = app
        self.key = InstanceKey(partyId: Int(partyId), guid: guid)
    }
}
