import AltinnAPI
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import NIOCore
import Storage
import Transport

/// Authenticates `/v1` callers against the configured clients: a Bearer API key, or a Standard Webhooks
/// signature over the raw body. Then the client's rate limit. Every refusal here is audited with the client
/// (when proven), the reason and the source address — never a header value. Refusals where no client was
/// established go through the pre-authentication defence instead: limited per source and audited as counts.
struct ClientAuthMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let registry: ClientRegistry
    let limiter: RateLimiter
    let preAuth: PreAuthDefence
    let store: any Store
    let audit: AuditTrail
    let tolerance: Int64
    let maxBodyBytes: Int
    let now: @Sendable () -> Date
    /// The operator console's sessions: a session cookie is a third credential (see `ConsoleSessions`).
    var sessions: ConsoleSessions? = nil

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var request = request
        var context = context
        var provenClient: String?
        do {
            let (client, webhookId) = try await self.authenticate(&request, context: context, proven: &provenClient)
            if let limit = client.policy.rateLimit, let wait = self.limiter.take(client.id, limit) {
                throw Problem(ClientRefusal.rateLimited(retryAfterSeconds: Self.retryAfterSeconds(wait)))
            }
            context.clientId = client.id
            context.policy = client.policy
            context.webhookId = webhookId
        } catch let problem as Problem {
            if provenClient == nil {
                // No client established: limited per source, and counted instead of written one by one.
                if let wait = self.preAuth.admit(source: context.sourceAddress) {
                    throw Problem(ClientRefusal.tooManyRefusals(retryAfterSeconds: Self.retryAfterSeconds(wait)))
                }
                self.preAuth.count(
                    source: context.sourceAddress, outcome: CallRecord.refused(reason: problem.auditReason).outcome)
                throw problem
            }
            try? await self.audit.append(
                InboundFacts(context, request: request, clientId: provenClient),
                .refused(reason: problem.auditReason), responseBody: nil, durability: .written)
            throw problem
        }
        return try await next(request, context)
    }

    private func authenticate(
        _ request: inout Request,
        context: Context,
        proven: inout String?
    ) async throws -> (RegisteredClient, String?) {
        let authorization = request.headers[values: .authorization]
        let ids = request.headers[values: .webhookId]
        let timestamps = request.headers[values: .webhookTimestamp]
        let signatures = request.headers[values: .webhookSignature]
        for (name, values) in [
            ("Authorization", authorization), ("webhook-id", ids), ("webhook-timestamp", timestamps),
            ("webhook-signature", signatures),
        ] where values.count > 1 {
            throw Problem(ClientRefusal.repeatedHeader(name))
        }
        let signed = !(ids.isEmpty && timestamps.isEmpty && signatures.isEmpty)
        switch (authorization.first, signed) {
        case (nil, false):
            return (try await self.consoleSession(request, proven: &proven), nil)
        case (.some, true):
            throw Problem(ClientRefusal.bothSchemes)
        case (let value?, false):
            guard value.count > 7, value.prefix(7).lowercased() == "bearer " else {
                throw Problem(ClientRefusal.notBearer)
            }
            guard let client = self.registry.client(apiKey: String(value.dropFirst(7))) else {
                throw Problem(ClientRefusal.unknownAPIKey)
            }
            proven = client.id
            return (client, nil)
        case (nil, true):
            guard let id = ids.first, let timestamp = timestamps.first, let signature = signatures.first else {
                throw Problem(ClientRefusal.incompleteSignatureHeaders)
            }
            guard Self.isValidWebhookId(id) else { throw Problem(ClientRefusal.malformedWebhookId) }
            guard timestamp.utf8.count <= 12, timestamp.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
                let seconds = Int64(timestamp)
            else { throw Problem(ClientRefusal.malformedTimestamp) }
            // Checked before the body is read or any MAC computed: a stale request costs nothing.
            let now = Int64(self.now().timeIntervalSince1970.rounded(.down))
            if seconds < now - self.tolerance { throw Problem(ClientRefusal.staleTimestamp) }
            if seconds > now + self.tolerance { throw Problem(ClientRefusal.futureTimestamp) }
            guard let candidates = WebhookVerifier.candidates(signature), !candidates.isEmpty else {
                throw Problem(ClientRefusal.malformedSignature)
            }
            let body = try await JSONBody.collect(&request, limit: self.maxBodyBytes)  // the signed bytes
            guard
                let client = self.registry.client(
                    signatures: candidates, content: WebhookContent.bytes(id: id, timestamp: seconds, body: body))
            else { throw Problem(ClientRefusal.signatureMismatch) }
            proven = client.id
            // Kept past the far edge of the window, after which the timestamp check alone refuses it.
            let expires = Date(timeIntervalSince1970: TimeInterval(seconds + self.tolerance + 1))
            let fresh: Bool
            do {
                fresh = try await self.store.rememberWebhookId(
                    clientId: client.id, id: id, now: self.now(), expiresAt: expires)
            } catch {
                throw Problem(.storeUnavailable, "The request could not be checked for replay; nothing was forwarded.")
            }
            guard fresh else { throw Problem(ClientRefusal.replayedWebhookId) }
            return (client, id)
        }
    }

    /// A console session cookie stands for the client that signed in, under that client's policy; a request that
    /// may change state must also carry the session's CSRF token (`X-CSRF-Token`).
    private func consoleSession(_ request: Request, proven: inout String?) async throws -> RegisteredClient {
        guard let sessions = self.sessions,
            let id = ConsoleSessions.cookieValue(request.headers[values: .cookie])
        else { throw Problem(ClientRefusal.missingCredentials) }
        let found: ConsoleSessions.Session?
        do {
            found = try await sessions.session(id: id)
        } catch {
            throw Problem(.storeUnavailable, "The console session could not be read; try again.")
        }
        guard let session = found, let client = self.registry.client(id: session.clientId) else {
            throw Problem(ClientRefusal.unknownSession)
        }
        proven = client.id
        if ![.get, .head, .options].contains(request.method) {
            let tokens = request.headers[values: .csrfToken]
            guard tokens.count == 1 else { throw Problem(ClientRefusal.csrfMissing) }
            guard ConsoleSessions.csrfMatches(tokens.first, session) else { throw Problem(ClientRefusal.csrfMismatch) }
        }
        return client
    }

    static func retryAfterSeconds(_ wait: Duration) -> Int {
        max(1, Int((Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18).rounded(.up)))
    }

    /// Printable ASCII, no space, no `.` (it delimits the signed content), at most 255: it can become an
    /// Idempotency-Key and reach the audit log.
    static func isValidWebhookId(_ id: String) -> Bool {
        (1...255).contains(id.utf8.count)
            && id.utf8.allSatisfy { (0x21...0x7E).contains($0) && $0 != UInt8(ascii: ".") && $0 != UInt8(ascii: "\"") }
    }
}

/// Refuses requests whose header fields add up to more than the configured limit, with a problem (431).
/// Beyond 4x the limit the HTTP parser itself closes the connection.
struct HeaderLimitMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let limit: Int

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var total = 0
        for field in request.headers { total += field.name.rawName.utf8.count + field.value.utf8.count + 4 }
        guard total <= self.limit else { throw Problem(ClientRefusal.headersTooLarge(limit: self.limit)) }
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
                    .refused(reason: problem.auditReason), responseBody: stored.body, durability: .written)
            } catch {
                throw Problem(.storeUnavailable, "The refusal could not be recorded; nothing was forwarded.")
            }
            throw problem
        }
    }
}

extension GatewayRequestContext {
    /// First thing in every `/v1` handler. Fails closed when no client was authenticated.
    func authorize(_ operation: ClientOperation) throws(Problem) {
        guard let policy = self.policy, policy.allows(operation) else {
            throw Problem(ClientRefusal.operationNotAllowed(operation))
        }
    }

    /// The authenticated caller as the use cases see it; fails closed before authentication.
    func caller() throws(Problem) -> Caller {
        guard let policy = self.policy, let clientId = self.clientId else {
            throw Problem(ClientRefusal.operationNotAllowed(.events))
        }
        return policy.caller(id: clientId)
    }

    func authorize(app: AppReference) throws(Problem) {
        guard let policy = self.policy, policy.allows(app: app) else {
            throw Problem(ClientRefusal.appNotAllowed(app.description))
        }
    }

    /// For what spans every app (a subscription without an app filter).
    func authorizeEveryApp() throws(Problem) {
        guard let policy = self.policy, policy.allowsEveryApp else {
            throw Problem(ClientRefusal.appNotAllowed("*"))
        }
    }

    /// The token profile to put in the command, after checking the effective one is allowed: the requested
    /// one, else the client's default, else nil (the service applies the gateway's default), so requests that
    /// name no profile keep the fingerprint they had before clients existed.
    func tokenProfile(requested: String?, gatewayDefault: String) throws(Problem) -> String? {
        guard let policy = self.policy, policy.tokenProfile(requested: requested, gatewayDefault: gatewayDefault) != nil
        else {
            throw Problem(
                ClientRefusal.tokenProfileNotAllowed(
                    requested ?? self.policy?.defaultTokenProfile ?? gatewayDefault))
        }
        return requested ?? policy.defaultTokenProfile
    }

}

extension InboundFacts {
    init(
        _ context: GatewayRequestContext, request: Request, clientId: String?, idempotencyKey: String? = nil,
        body: [UInt8]? = nil
    ) {
        self.init(
            clientId: clientId, sourceAddress: context.sourceAddress, requestId: context.id,
            // The effective span, bound by TraceMiddleware: the inbound trace continued, or a new one.
            traceparent: TraceContext.current?.traceparent, idempotencyKey: idempotencyKey,
            requestDigest: body.map(Digest.sha256Hex))
    }
}

extension HTTPField.Name {
    static let webhookId = HTTPField.Name("webhook-id")!
    static let webhookTimestamp = HTTPField.Name("webhook-timestamp")!
    static let webhookSignature = HTTPField.Name("webhook-signature")!
    static let csrfToken = HTTPField.Name("X-CSRF-Token")!
}
