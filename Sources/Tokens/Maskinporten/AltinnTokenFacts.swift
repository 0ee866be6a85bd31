package import Foundation
import JWTKit
import Transport

/// What can be read from an Altinn JWT without verifying it: enough to schedule a refresh and for
/// `token check` to report. Holds no secret.
package struct AltinnTokenFacts: Sendable, Equatable {
    package var expiresAt: Date?
    package var issuedAt: Date?
    package var scope: String?
    package var issuer: String?
    /// The system user's organisation number, when the token stands for one.
    package var systemUserOrg: String?

    /// `nil` facts (not an error) when the token is not a readable JWT: Altinn tokens are opaque to callers.
    static func read(_ token: AccessToken) -> AltinnTokenFacts {
        guard let payload = try? DefaultJWTParser().parse(Array(token.secret.utf8), as: Payload.self).payload
        else { return AltinnTokenFacts() }
        let org = payload.authorizationDetails?.first { $0.type == "urn:altinn:systemuser" }?.systemUserOrg?.id
        return AltinnTokenFacts(
            expiresAt: payload.exp.map { Date(timeIntervalSince1970: $0) },
            issuedAt: payload.iat.map { Date(timeIntervalSince1970: $0) },
            scope: payload.scope, issuer: payload.iss,
            systemUserOrg: org.map { $0.hasPrefix("0192:") ? String($0.dropFirst(5)) : $0 })
    }

    private struct Payload: JWTPayload {
        var exp: Double?
        var iat: Double?
        var scope: String?
        var iss: String?
        var authorizationDetails: [Detail]?

        struct Detail: Codable, Sendable {
            var type: String?
            var systemUserOrg: Org?
            enum CodingKeys: String, CodingKey {
                case type
                case systemUserOrg = "systemuser_org"
            }
        }
        struct Org: Codable, Sendable {
            var id: String?
            enum CodingKeys: String, CodingKey { case id = "ID" }
        }

        enum CodingKeys: String, CodingKey {
            case exp, iat, scope, iss
            case authorizationDetails = "authorization_details"
        }

        // Decoding only: nothing here is trusted, it only schedules the next refresh.
        func verify(using algorithm: some JWTAlgorithm) async throws {}
    }
}
