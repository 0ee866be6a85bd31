import Foundation
import JWTKit

/// The simulator's Maskinporten and Altinn Authentication: registered clients, used `jti`s, issued
/// tokens and the counters tests assert single flight with. Issued tokens are HS256 JWTs signed with
/// per-run secrets; the app routes accept only tokens issued here and not expired or revoked.
package actor TokenAuthority {
    package struct Counters: Sendable, Equatable {
        /// Requests to the Maskinporten token endpoint (accepted or not).
        package var grantRequests = 0
        package var grantsIssued = 0
        /// Grants whose `jti` had been used before: a client that resent a grant.
        package var replayedGrants = 0
        /// Requests to the exchange (accepted or not).
        package var exchangeRequests = 0
        package var exchangesIssued = 0
    }

    package private(set) var counters = Counters()
    private var settings: SimulatorTokenSettings
    private var registrations: [String: MaskinportenClientRegistration] = [:]
    private let grantKeys = JWTKeyCollection()
    private let maskinportenKeys = JWTKeyCollection()
    private let altinnKeys = JWTKeyCollection()
    private var usedJTIs: Set<String> = []
    private var issued: [String: IssuedAltinnToken] = [:]
    private var maskinportenFailure: Int?
    private let now: @Sendable () -> Date

    struct IssuedAltinnToken {
        var expiresAt: Date
        var identity: SimulatedIdentity?
        var revoked = false
    }

    init(settings: SimulatorTokenSettings, now: @escaping @Sendable () -> Date = { Date() }) async {
        self.settings = settings
        self.now = now
        // Fresh secrets per run: tokens of another run (or another simulator) are unknown here.
        await self.maskinportenKeys.add(hmac: HMACKey(from: Self.randomBytes()), digestAlgorithm: .sha256)
        await self.altinnKeys.add(hmac: HMACKey(from: Self.randomBytes()), digestAlgorithm: .sha256)
        for client in settings.clients { await self.register(client) }
    }

    private static func randomBytes() -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    // MARK: Knobs for the executable and tests

    /// Registers (or replaces) a client's public key, as the Maskinporten portal would.
    package func register(_ client: MaskinportenClientRegistration) async {
        guard let key = try? JWTKit.Insecure.RSA.PublicKey(modulus: client.modulus, exponent: client.exponent) else {
            return
        }
        self.registrations[client.kid] = client
        await self.grantKeys.add(rsa: key, digestAlgorithm: .sha256, kid: JWKIdentifier(string: client.kid))
    }

    /// Makes the token endpoint answer with `status` (e.g. 503) until set back to `nil`.
    package func setMaskinportenFailure(status: Int?) { self.maskinportenFailure = status }

    /// Every Altinn token issued so far is refused from now on (as after a key rotation).
    package func revokeIssuedTokens() {
        for key in self.issued.keys { self.issued[key]?.revoked = true }
    }

    /// Every Altinn token issued so far is expired from now on.
    package func expireIssuedTokens() {
        let past = self.now().addingTimeInterval(-1)
        for key in self.issued.keys { self.issued[key]?.expiresAt = past }
    }

    // MARK: Maskinporten

    enum GrantOutcome {
        case issued(JSONValue)
        case rejected(status: Int, GrantRejection)
    }

    func grant(assertion: String, grantType: String?, issuer: String) async -> GrantOutcome {
        self.counters.grantRequests += 1
        if let status = self.maskinportenFailure {
            return .rejected(
                status: status, GrantRejection(error: "server_error", description: "Maskinporten is unavailable"))
        }
        guard grantType == "urn:ietf:params:oauth:grant-type:jwt-bearer" else {
            return .rejected(status: 400, GrantRejection(error: "unsupported_grant_type", description: "grant_type"))
        }
        let claims: AssertionClaims
        let client: MaskinportenClientRegistration
        do {
            (claims, client) = try await GrantVerifier.decode(
                assertion, registrations: self.registrations, keys: self.grantKeys)
        } catch {
            return .rejected(status: 400, error)
        }
        let now = self.now().timeIntervalSince1970
        guard claims.aud == issuer, abs(Double(claims.iat) - now) <= GrantVerifier.maxSkew,
            claims.exp > claims.iat, claims.exp - claims.iat <= GrantVerifier.maxLifetime,
            Double(claims.exp) + GrantVerifier.maxSkew >= now,
            let jti = claims.jti, !jti.isEmpty, !self.usedJTIs.contains(jti)
        else {
            if let jti = claims.jti, self.usedJTIs.contains(jti) { self.counters.replayedGrants += 1 }
            return .rejected(status: 400, .invalidAssertion)
        }
        self.usedJTIs.insert(jti)
        let scopes = (claims.scope ?? "").split(separator: " ").map(String.init)
        guard !scopes.isEmpty, scopes.allSatisfy(client.scopes.contains) else {
            return .rejected(status: 400, GrantRejection(error: "invalid_scope", description: "Invalid scope"))
        }
        var details: JSONValue?
        if let requested = claims.authorizationDetails {
            guard let systemUser = self.systemUserDetails(requested) else {
                return .rejected(
                    status: 400,
                    GrantRejection(
                        error: "invalid_authorization_details", description: "No system user for authorization_details"
                    ))
            }
            details = systemUser
        }
        let lifetime = Int(self.settings.maskinportenTokenLifetime.components.seconds)
        let payload = IssuedClaims(claims: [
            ("iss", .string(issuer)), ("client_id", .string(client.clientId)),
            ("consumer", .obj(["authority": "iso6523-actorid-upis", "ID": .string("0192:\(client.consumerOrg)")])),
            ("scope", .string(scopes.joined(separator: " "))), ("iat", .int(Int(now))),
            ("exp", .int(Int(now) + lifetime)), ("jti", .string(UUID().uuidString)),
            ("authorization_details", details),
        ])
        guard let token = try? await self.maskinportenKeys.sign(payload) else {
            return .rejected(status: 500, GrantRejection(error: "server_error", description: "signing failed"))
        }
        self.counters.grantsIssued += 1
        return .issued(
            .obj([
                "access_token": .string(token), "token_type": "Bearer", "expires_in": .int(lifetime),
                "scope": .string(scopes.joined(separator: " ")),
            ]))
    }

    /// A system-user request names a known system user's organisation; the issued token adds its ids.
    private func systemUserDetails(_ requested: JSONValue) -> JSONValue? {
        guard case .array(let items) = requested, items.count == 1, let item = items.first,
            item["type"]?.stringValue == "urn:altinn:systemuser",
            item["systemuser_org"]?["authority"]?.stringValue == "iso6523-actorid-upis",
            let id = item["systemuser_org"]?["ID"]?.stringValue, id.hasPrefix("0192:"),
            let identity = self.settings.systemUsers[String(id.dropFirst(5))]
        else { return nil }
        return .array([
            .obj([
                "type": "urn:altinn:systemuser",
                "systemuser_org": .obj(["authority": "iso6523-actorid-upis", "ID": .string(id)]),
                "systemuser_id": .array([.string("00000000-0000-4000-8000-\(String(identity.partyId).leftPad(12))")]),
                "system_id": "signing-gateway-simulated-system",
            ])
        ])
    }

    // MARK: Exchange

    enum ExchangeOutcome {
        case issued(String)
        case unauthorized
    }

    func exchange(maskinportenToken: String, issuer: String) async -> ExchangeOutcome {
        self.counters.exchangeRequests += 1
        guard let incoming = try? await self.maskinportenKeys.verify(maskinportenToken, as: IssuedClaims.self),
            let exp = incoming["exp"]?.intValue,
            Double(exp) + GrantVerifier.maxSkew >= self.now().timeIntervalSince1970,
            let orgId = incoming["consumer"]?["ID"]?.stringValue
        else { return .unauthorized }
        let now = Int(self.now().timeIntervalSince1970)
        let expiresAt = now + Int(self.settings.altinnTokenLifetime.components.seconds)
        let jti = UUID().uuidString
        let details = incoming["authorization_details"]
        let payload = IssuedClaims(claims: [
            ("iss", .string(issuer)), ("client_id", incoming["client_id"]), ("consumer", incoming["consumer"]),
            ("urn:altinn:orgNumber", .string(String(orgId.dropFirst(5)))),
            ("urn:altinn:authenticatemethod", "maskinporten"), ("urn:altinn:authlevel", .int(3)),
            ("scope", incoming["scope"]), ("authorization_details", details),
            ("iat", .int(now)), ("exp", .int(expiresAt)), ("jti", .string(jti)),
        ])
        guard let token = try? await self.altinnKeys.sign(payload) else { return .unauthorized }
        self.issued[jti] = IssuedAltinnToken(
            expiresAt: Date(timeIntervalSince1970: TimeInterval(expiresAt)), identity: self.identity(for: details))
        self.counters.exchangesIssued += 1
        return .issued(token)
    }

    /// Only users and system users can sign; a plain organisation token maps to no signing identity.
    private func identity(for details: JSONValue?) -> SimulatedIdentity? {
        guard case .array(let items)? = details,
            let id = items.first?["systemuser_org"]?["ID"]?.stringValue
        else { return nil }
        return self.settings.systemUsers[String(id.dropFirst(5))]
    }

    // MARK: App calls

    enum Authentication {
        case identity(SimulatedIdentity)
        /// A valid token for someone who cannot use the app API (an organisation, not a system user).
        case forbidden
        case unauthorized
    }

    /// Accepts only tokens issued here, unexpired and not revoked.
    func authenticate(altinnToken: String) async -> Authentication {
        guard let claims = try? await self.altinnKeys.verify(altinnToken, as: IssuedClaims.self),
            let jti = claims["jti"]?.stringValue, let record = self.issued[jti], !record.revoked,
            record.expiresAt > self.now()
        else { return .unauthorized }
        return record.identity.map(Authentication.identity) ?? .forbidden
    }
}

/// Claims of a token the simulator issues, in order; `nil` values are left out.
struct IssuedClaims: JWTPayload {
    var members: [JSONValue.Member]

    init(claims: [(String, JSONValue?)]) {
        self.members = claims.compactMap { key, value in value.map { JSONValue.Member(key: key, value: $0) } }
    }

    subscript(key: String) -> JSONValue? { self.members.first { $0.key == key }?.value }

    init(from decoder: any Decoder) throws {
        guard case .object(let members) = try AnyJSON(from: decoder).value else {
            throw DecodingError.dataCorrupted(.init(codingPath: [], debugDescription: "claims must be an object"))
        }
        self.members = members
    }

    func encode(to encoder: any Encoder) throws { try JSONValue.object(self.members).encode(to: encoder) }

    /// Expiry is checked by the authority against its own clock and records.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

extension JSONValue {
    var intValue: Int? {
        if case .int(let value) = self { return value }
        return nil
    }
}

extension String {
    fileprivate func leftPad(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .string(value) }
}
