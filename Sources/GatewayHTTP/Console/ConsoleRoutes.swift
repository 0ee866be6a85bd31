import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import NIOCore

/// The operator console: static pages under `/console/` and the sign-in session (`/console/session`). Everything
/// the pages show or change goes through the `/v1` API with the session cookie as the credential (see
/// `ClientAuthMiddleware`), so the same client policies and the same audit records apply as for any caller.
struct ConsoleRoutes: Sendable {
    let assets: ConsoleAssets
    let sessions: ConsoleSessions
    let registry: ClientRegistry
    let preAuth: PreAuthDefence
    let audit: AuditTrail
    /// nil: `Secure` when the request came over HTTPS through a proxy (`X-Forwarded-Proto`/`Forwarded`).
    let secureCookie: Bool?

    static let maxSignInBytes = 4096

    func register(on router: Router<GatewayRequestContext>) {
        let console = router.group("console").add(middleware: ConsoleHeadersMiddleware())
        console.get("", use: self.page)
        console.get("session", use: self.sessionInfo)
        console.post("session", use: self.signIn)
        console.delete("session", use: self.signOut)
        console.post("logout", use: self.signOutForm)
        console.get(":file", use: self.asset)
    }

    // MARK: - Pages

    @Sendable func page(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        let session = try await self.currentSession(request)
        return self.render(session: session, message: nil, status: .ok)
    }

    @Sendable func asset(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let name = context.parameters.get("file"), let file = self.assets.files[name] else {
            throw Problem(.notFound, "No such console file.")
        }
        return Response(
            status: .ok, headers: [.contentType: file.contentType, .cacheControl: "no-cache"],
            body: .init(byteBuffer: ByteBuffer(bytes: file.bytes)))
    }

    private func render(session: ConsoleSessions.Session?, message: String?, status: HTTPResponse.Status) -> Response {
        let html = self.assets.page(
            clientId: session?.clientId, csrfToken: session?.csrfToken, message: message)
        return Response(
            status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    private func currentSession(_ request: Request) async throws -> ConsoleSessions.Session? {
        guard let id = ConsoleSessions.cookieValue(request.headers[values: .cookie]) else { return nil }
        do {
            return try await self.sessions.session(id: id)
        } catch {
            throw Problem(.storeUnavailable, "The console session could not be read; try again.")
        }
    }

    // MARK: - Session

    /// `{clientId, operations, apps, csrfToken, expiresAt}` of the current session; 401 without one.
    @Sendable func sessionInfo(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let session = try await self.currentSession(request),
            let client = self.registry.client(id: session.clientId)
        else { throw Problem(ClientRefusal.unknownSession) }
        return Response(stored: .ok(self.describe(session, client)))
    }

    private func describe(_ session: ConsoleSessions.Session, _ client: RegisteredClient) -> JSONValue {
        .object([
            ("clientId", .string(client.id)),
            (
                "operations",
                .array(ClientOperation.allCases.filter { client.policy.allows($0) }.map { .string($0.rawValue) })
            ),
            ("apps", .array(client.policy.apps.map { .string($0.text) })),
            ("csrfToken", .string(session.csrfToken)),
            ("expiresAt", .string(AuditJSON.formatTime(self.sessions.expiry(of: session)))),
        ])
    }

    /// Exchanges an API key (form field or JSON member `apiKey`) for a session cookie. A form gets a redirect to
    /// the console (or the page with the reason), JSON a 201 with the session. Unknown keys are limited and counted
    /// per source like every pre-authentication refusal; a sign-in is audited (`console.signIn`), the key never.
    @Sendable func signIn(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        let contentType = JSONBody.mediaType(request.headers[.contentType] ?? "")
        let isForm = contentType == "application/x-www-form-urlencoded"
        guard isForm || contentType == "application/json" else {
            throw Problem(
                .unsupportedMediaType, "Send the API key as a form field or JSON member named apiKey.")
        }
        let bytes = try await JSONBody.collect(&request, limit: Self.maxSignInBytes)
        let key: String?
        if isForm {
            key = Self.formField("apiKey", in: bytes)
        } else {
            key = try JSONBody.decode(SignInBody.self, from: bytes).apiKey
        }
        guard let key, !key.isEmpty, key.utf8.count <= 512 else {
            if isForm { return self.render(session: nil, message: "Enter an API key.", status: .badRequest) }
            throw Problem.invalidMember("/apiKey", "apiKey is required: a client's API key")
        }
        guard let client = self.registry.client(apiKey: key) else {
            if let wait = self.preAuth.admit(source: context.sourceAddress) {
                throw Problem(
                    ClientRefusal.tooManyRefusals(retryAfterSeconds: ClientAuthMiddleware.retryAfterSeconds(wait)))
            }
            self.preAuth.count(
                source: context.sourceAddress,
                outcome: CallRecord.refused(reason: Problem(ClientRefusal.unknownAPIKey).auditReason).outcome)
            if isForm {
                return self.render(session: nil, message: "Sign-in failed: unknown API key.", status: .unauthorized)
            }
            throw Problem(ClientRefusal.unknownAPIKey)
        }
        do {
            try await self.audit.append(
                InboundFacts(context, request: request, clientId: client.id),
                CallRecord(operation: "console.signIn", outcome: "succeeded"), responseBody: nil)
        } catch {
            throw Problem(.storeUnavailable, "The sign-in could not be recorded; try again.")
        }
        let (id, session): (String, ConsoleSessions.Session)
        do {
            (id, session) = try await self.sessions.create(clientId: client.id)
        } catch {
            throw Problem(.storeUnavailable, "The session could not be stored; try again.")
        }
        var response: Response
        if isForm {
            response = Response(status: .seeOther, headers: [.location: "/console/", .cacheControl: "no-store"])
        } else {
            response = Response(stored: .json(201, self.describe(session, client)))
        }
        response.headers[.setCookie] = self.cookie(id, request)
        return response
    }

    /// `DELETE /console/session` with `X-CSRF-Token`: the session is gone at once. 204.
    @Sendable func signOut(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await self.endSession(request, context: context, presented: request.headers[.csrfToken])
        var response = Response(status: .noContent, headers: [.cacheControl: "no-store"])
        response.headers[.setCookie] = self.clearingCookie(request)
        return response
    }

    /// `POST /console/logout` from the page's form (field `csrfToken`): signs out, back to the sign-in page.
    @Sendable func signOutForm(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        var request = request
        guard JSONBody.mediaType(request.headers[.contentType] ?? "") == "application/x-www-form-urlencoded" else {
            throw Problem(.unsupportedMediaType, "Sign out with the console's form.")
        }
        let bytes = try await JSONBody.collect(&request, limit: Self.maxSignInBytes)
        try await self.endSession(request, context: context, presented: Self.formField("csrfToken", in: bytes))
        var response = Response(status: .seeOther, headers: [.location: "/console/", .cacheControl: "no-store"])
        response.headers[.setCookie] = self.clearingCookie(request)
        return response
    }

    private func endSession(_ request: Request, context: GatewayRequestContext, presented: String?) async throws {
        guard let id = ConsoleSessions.cookieValue(request.headers[values: .cookie]),
            let session = try await self.currentSession(request)
        else { throw Problem(ClientRefusal.unknownSession) }
        guard presented != nil else { throw Problem(ClientRefusal.csrfMissing) }
        guard ConsoleSessions.csrfMatches(presented, session) else { throw Problem(ClientRefusal.csrfMismatch) }
        do {
            try await self.sessions.delete(id: id)
        } catch {
            throw Problem(.storeUnavailable, "The session could not be ended; try again.")
        }
        try? await self.audit.append(
            InboundFacts(context, request: request, clientId: session.clientId),
            CallRecord(operation: "console.signOut", outcome: "succeeded"), responseBody: nil)
    }

    // MARK: - Helpers

    private func isSecure(_ request: Request) -> Bool {
        if let secureCookie { return secureCookie }
        if request.uri.scheme == .https { return true }
        if let proto = request.headers[.consoleForwardedProto], proto.lowercased().hasPrefix("https") { return true }
        if let forwarded = request.headers[.consoleForwarded], forwarded.lowercased().contains("proto=https") {
            return true
        }
        return false
    }

    private func cookie(_ id: String, _ request: Request) -> String {
        "\(ConsoleSessions.cookieName)=\(id); Path=/; HttpOnly; SameSite=Strict"
            + (self.isSecure(request) ? "; Secure" : "")
    }

    private func clearingCookie(_ request: Request) -> String {
        "\(ConsoleSessions.cookieName)=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"
            + (self.isSecure(request) ? "; Secure" : "")
    }

    /// One `application/x-www-form-urlencoded` field; nil when absent or given twice.
    static func formField(_ name: String, in bytes: [UInt8]) -> String? {
        var found: [String] = []
        for pair in String(decoding: bytes, as: UTF8.self).split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let field = Self.formDecode(parts[0]), field == name else { continue }
            found.append(parts.count > 1 ? Self.formDecode(parts[1]) ?? "" : "")
        }
        return found.count == 1 ? found[0] : nil
    }

    private static func formDecode(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}

/// `{"apiKey": "…"}`.
struct SignInBody: Decodable {
    var apiKey: String?

    enum CodingKeys: String, CodingKey { case apiKey }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: ["apiKey"])
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.apiKey = try container.decodeIfPresent(String.self, forKey: .apiKey)
    }
}

/// Every console answer (pages, files, problems): a strict Content-Security-Policy (no inline script or style,
/// nothing from elsewhere, never framed), no MIME sniffing, no referrer.
struct ConsoleHeadersMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    static let policy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        + "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        var response: Response
        do {
            response = try await next(request, context)
        } catch let problem as Problem {
            response = try problem.response(from: request, context: context)
        }
        Self.apply(&response.headers)
        return response
    }

    static func apply(_ headers: inout HTTPFields) {
        headers[.consoleCSP] = Self.policy
        headers[.consoleNoSniff] = "nosniff"
        headers[.consoleReferrerPolicy] = "no-referrer"
        headers[.consoleFrameOptions] = "DENY"
    }
}

extension HTTPField.Name {
    static let consoleCSP = Self("Content-Security-Policy")!
    static let consoleNoSniff = Self("X-Content-Type-Options")!
    static let consoleReferrerPolicy = Self("Referrer-Policy")!
    static let consoleFrameOptions = Self("X-Frame-Options")!
    static let consoleForwardedProto = Self("X-Forwarded-Proto")!
    static let consoleForwarded = Self("Forwarded")!
}

extension AppPattern {
    /// As configured: `*`, `org/*` or `org/app`.
    var text: String {
        guard let org = self.org else { return "*" }
        return "\(org)/\(self.app ?? "*")"
    }
}
