import Foundation
import JWTKit
import Transport

/// The claims of a Maskinporten JWT grant, exactly those Maskinporten accepts: anything extra is
/// refused with "Invalid assertion", so optional claims are left out rather than sent as null.
struct GrantClaims: JWTPayload, Equatable {
    var aud: String
    var iss: String
    var iat: Int
    var exp: Int
    var jti: String
    var scope: String
    var resource: String?
    var authorizationDetails: [SystemUserAuthorization]?

    enum CodingKeys: String, CodingKey {
        case aud, iss, iat, exp, jti, scope, resource
        case authorizationDetails = "authorization_details"
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.aud, forKey: .aud)
        try container.encode(self.iss, forKey: .iss)
        try container.encode(self.iat, forKey: .iat)
        try container.encode(self.exp, forKey: .exp)
        try container.encode(self.jti, forKey: .jti)
        try container.encode(self.scope, forKey: .scope)
        try container.encodeIfPresent(self.resource, forKey: .resource)
        try container.encodeIfPresent(self.authorizationDetails, forKey: .authorizationDetails)
    }

    /// The gateway only signs grants; checks belong to the verifier.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// `{"type":"urn:altinn:systemuser","systemuser_org":{"authority":"iso6523-actorid-upis","ID":"0192:<orgnr>"}}`
struct SystemUserAuthorization: Codable, Sendable, Equatable {
    struct Organization: Codable, Sendable, Equatable {
        var authority = "iso6523-actorid-upis"
        var id: String
        enum CodingKeys: String, CodingKey {
            case authority
            case id = "ID"
        }
    }
    var type = "urn:altinn:systemuser"
    var systemUserOrg: Organization

    enum CodingKeys: String, CodingKey {
        case type
        case systemUserOrg = "systemuser_org"
    }

    init(organizationNumber: String) {
        self.systemUserOrg = Organization(id: "0192:\(organizationNumber)")
    }
}

/// Builds and signs (RS256, header `kid`) one grant per call, each with a fresh `jti`.
struct GrantBuilder: Sendable {
    /// Maskinporten allows at most 120 s; a short life limits what a leaked grant is worth.
    static let lifetime = 60

    let profile: MaskinportenProfile
    private let keys: JWTKeyCollection

    init(profile: MaskinportenProfile, key: SigningKey) async {
        self.profile = profile
        self.keys = JWTKeyCollection()
        await self.keys.add(rsa: key.privateKey, digestAlgorithm: .sha256, kid: JWKIdentifier(string: key.kid))
    }

    func claims(now: Date) -> GrantClaims {
        let iat = Int(now.timeIntervalSince1970)
        return GrantClaims(
            aud: self.profile.issuer, iss: self.profile.clientId, iat: iat, exp: iat + Self.lifetime,
            jti: UUID().uuidString.lowercased(), scope: self.profile.scopes.joined(separator: " "),
            resource: self.profile.resource,
            authorizationDetails: self.profile.systemUserOrg.map { [SystemUserAuthorization(organizationNumber: $0)] })
    }

    /// The signed assertion. Wrapped so it cannot be logged by accident.
    func signedGrant(now: Date) async throws(TokenError) -> AccessToken {
        do {
            let jwt = try await self.keys.sign(
                self.claims(now: now), kid: JWKIdentifier(string: self.profile.kid))
            return AccessToken(jwt)
        } catch {
            throw .unavailable(profile: self.profile.clientId, step: "grant", reason: "the grant could not be signed")
        }
    }
}
