import Foundation
import JWTKit

/// The claims of an incoming JWT grant. Decoding refuses any claim Maskinporten does not know,
/// as Maskinporten answers those with "Invalid assertion".
struct AssertionClaims: JWTPayload {
    static let known: Set<String> = [
        "aud", "iss", "iat", "exp", "nbf", "jti", "scope", "resource", "authorization_details",
        "consumer_org", "iss_onbehalfof",
    ]

    var aud: String
    var iss: String
    var iat: Int
    var exp: Int
    var jti: String?
    var scope: String?
    var resource: String?
    var authorizationDetails: JSONValue?

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: AnyKey.self)
        for key in container.allKeys where !Self.known.contains(key.stringValue) {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "unknown claim \(key.stringValue)")
        }
        self.aud = try container.decode(String.self, forKey: AnyKey(stringValue: "aud"))
        self.iss = try container.decode(String.self, forKey: AnyKey(stringValue: "iss"))
        self.iat = try container.decode(Int.self, forKey: AnyKey(stringValue: "iat"))
        self.exp = try container.decode(Int.self, forKey: AnyKey(stringValue: "exp"))
        self.jti = try container.decodeIfPresent(String.self, forKey: AnyKey(stringValue: "jti"))
        self.scope = try container.decodeIfPresent(String.self, forKey: AnyKey(stringValue: "scope"))
        self.resource = try container.decodeIfPresent(String.self, forKey: AnyKey(stringValue: "resource"))
        if container.contains(AnyKey(stringValue: "authorization_details")) {
            let raw = try container.decode(AnyJSON.self, forKey: AnyKey(stringValue: "authorization_details"))
            self.authorizationDetails = raw.value
        }
    }

    func encode(to encoder: any Encoder) throws {
        throw EncodingError.invalidValue(self, .init(codingPath: [], debugDescription: "verify only"))
    }

    /// Claim checks need the simulator's clock and memory; `GrantVerifier` does them.
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

/// Why a grant was refused, as Maskinporten words it.
struct GrantRejection: Error {
    let error: String
    let description: String

    static let invalidAssertion = GrantRejection(error: "invalid_grant", description: "Invalid assertion")
}

/// Verifies a JWT grant for real: RS256 signature by the registered key named by `kid`, `aud`,
/// `iss`, `iat` skew, `exp − iat`, unused `jti`, known claims only, granted scopes.
struct GrantVerifier {
    static let maxSkew: TimeInterval = 10
    static let maxLifetime = 120

    /// Signature and claim decoding; the stateful checks follow in `TokenAuthority`.
    static func decode(
        _ assertion: String, registrations: [String: MaskinportenClientRegistration], keys: JWTKeyCollection
    ) async throws(GrantRejection) -> (AssertionClaims, MaskinportenClientRegistration) {
        // kid and alg are checked before jwt-kit picks a key, so an unknown kid can never fall back
        // to jwt-kit's default key.
        guard let header = JWTHeaderPeek(assertion), header.alg == "RS256", let kid = header.kid,
            let registration = registrations[kid]
        else { throw .invalidAssertion }
        let claims: AssertionClaims
        do {
            claims = try await keys.verify(assertion, as: AssertionClaims.self)
        } catch {
            throw .invalidAssertion
        }
        guard claims.iss == registration.clientId else { throw .invalidAssertion }
        return (claims, registration)
    }
}

/// The JOSE header of a compact JWT, read before verification only to choose the key.
struct JWTHeaderPeek {
    let alg: String?
    let kid: String?

    init?(_ jwt: String) {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let data = Base64URLDecoding.decode(String(parts[0])),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else { return nil }
        self.alg = object["alg"] as? String
        self.kid = object["kid"] as? String
    }
}

enum Base64URLDecoding {
    static func decode(_ text: String) -> Data? {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.count % 4 != 0 { base64 += "=" }
        return Data(base64Encoded: base64)
    }
}

/// Any JSON value, decoded through Codable into the simulator's `JSONValue`.
struct AnyJSON: Decodable {
    let value: JSONValue

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self.value = .null
        } else if let bool = try? container.decode(Bool.self) {
            self.value = .bool(bool)
        } else if let int = try? container.decode(Int.self) {
            self.value = .int(int)
        } else if let string = try? container.decode(String.self) {
            self.value = .string(string)
        } else if let array = try? container.decode([AnyJSON].self) {
            self.value = .array(array.map(\.value))
        } else {
            let object = try container.decode([String: AnyJSON].self)
            self.value = .object(
                object.sorted { $0.key < $1.key }.map { JSONValue.Member(key: $0.key, value: $0.value.value) })
        }
    }
}

/// So claims held as `JSONValue` can go into tokens the simulator signs.
extension JSONValue: Encodable {
    func encode(to encoder: any Encoder) throws {
        switch self {
        case .null:
            var container = encoder.singleValueContainer()
            try container.encodeNil()
        case .bool(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .int(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .double(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .string(let value):
            var container = encoder.singleValueContainer()
            try container.encode(value)
        case .array(let items):
            var container = encoder.unkeyedContainer()
            for item in items { try container.encode(item) }
        case .object(let members):
            var container = encoder.container(keyedBy: AssertionClaims.AnyKey.self)
            for member in members {
                try container.encode(member.value, forKey: AssertionClaims.AnyKey(stringValue: member.key))
            }
        }
    }
}
