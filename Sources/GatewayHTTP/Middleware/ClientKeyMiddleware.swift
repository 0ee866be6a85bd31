import Gateway
import HTTPTypes
import Hummingbird
import Tokens

/// Guards the API with one client key (`Authorization: Bearer <key>`), compared in constant time.
/// The key's holder is the client `dev`, with every permission. Per-client authentication and
/// policy replace this in a later issue.
struct ClientKeyMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    static let clientId = "dev"
    let key: AccessToken
    let audit: AuditTrail

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let values = request.headers[values: .authorization]
        guard values.count == 1, let value = values.first, value.hasPrefix("Bearer "),
            self.key.matches(String(value.dropFirst("Bearer ".count)))
        else {
            let problem = Problem(
                .unauthenticated,
                values.count > 1 ? "Send exactly one Authorization header." : "Missing or unknown client key.",
                headers: [.wwwAuthenticate: "Bearer"])
            // Refusals are audited too; the record names no client (none was proven) and no secret.
            try? await self.audit.append(
                InboundFacts(context, request: request, clientId: nil), .refused(reason: problem.type.rawValue),
                responseBody: nil)
            throw problem
        }
        var context = context
        context.clientId = Self.clientId
        return try await next(request, context)
    }
}

/// Audits every refused `/v1` call: a `Problem` thrown out of a handler was, by construction,
/// never forwarded (upstream failures are answered, and audited, inside the handlers).
struct RefusalAuditMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let audit: AuditTrail

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let problem as Problem {
            let stored = problem.stored(requestId: context.id)
            do {
                try await self.audit.append(
                    InboundFacts(context, request: request, clientId: context.clientId),
                    .refused(reason: problem.type.rawValue), responseBody: stored.body)
            } catch {
                throw Problem(.storeUnavailable, "The refusal could not be recorded; nothing was forwarded.")
            }
            throw problem
        }
    }
}

extension InboundFacts {
    init(
        _ context: GatewayRequestContext, request: Request, clientId: String?, idempotencyKey: String? = nil,
        body: [UInt8]? = nil
    ) {
        self.init(
            clientId: clientId, sourceAddress: context.sourceAddress, requestId: context.id,
            traceparent: request.headers[.traceparent].flatMap(Traceparent.validated), idempotencyKey: idempotencyKey,
            requestDigest: body.map(Digest.sha256Hex))
    }
}

/// W3C `traceparent`: `00-<32 hex>-<16 hex>-<2 hex>`, ids not all zero. Anything else is dropped.
enum Traceparent {
    static func validated(_ value: String) -> String? {
        let parts = value.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0].count == 2, parts[1].count == 32, parts[2].count == 16, parts[3].count == 2,
            parts.allSatisfy({ $0.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) } }),
            parts[0] != "ff", parts[1].contains(where: { $0 != "0" }), parts[2].contains(where: { $0 != "0" })
        else { return nil }
        return value
    }
}
