import CryptoExtras
import Foundation
import JWTKit

/// The RSA private key a profile signs its grants with, read once from a PEM or JWK file.
/// Never printable: errors name the file and what was wrong, never the content.
package struct SigningKey: Sendable {
    let privateKey: JWTKit.Insecure.RSA.PrivateKey
    package let kid: String

    /// Reads `path` as a PEM private key, or as a JWK when the content is a JSON object.
    package static func load(file path: String, kid: String) throws(KeyLoadingError) -> SigningKey {
        guard let data = FileManager.default.contents(atPath: path) else { throw .unreadable(path: path) }
        let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("{") {
            return try Self.fromJWK(text, kid: kid, path: path)
        }
        guard text.contains("PRIVATE KEY-----") else {
            throw .invalid(path: path, reason: "not a PEM private key or a JWK")
        }
        do {
            return SigningKey(privateKey: try JWTKit.Insecure.RSA.PrivateKey(pem: text), kid: kid)
        } catch {
            throw .invalid(path: path, reason: "not a usable RSA private key (2048 bits or more)")
        }
    }

    private static func fromJWK(_ text: String, kid: String, path: String) throws(KeyLoadingError) -> SigningKey {
        let jwk: JWK
        do { jwk = try JWK(json: text) } catch { throw .invalid(path: path, reason: "not a valid JWK") }
        guard jwk.keyType == .rsa, let n = jwk.modulus, let e = jwk.exponent, let d = jwk.privateExponent else {
            throw .invalid(path: path, reason: "JWK is not an RSA private key (needs kty RSA, n, e, d)")
        }
        if let declared = jwk.keyIdentifier?.string, declared != kid {
            throw .invalid(path: path, reason: "JWK kid '\(declared)' differs from the profile's kid '\(kid)'")
        }
        do {
            let key: JWTKit.Insecure.RSA.PrivateKey
            if let p = jwk.prime1, let q = jwk.prime2 {
                key = try JWTKit.Insecure.RSA.PrivateKey(
                    modulus: n, exponent: e, privateExponent: d, prime1: p, prime2: q)
            } else {
                key = try JWTKit.Insecure.RSA.PrivateKey(modulus: n, exponent: e, privateExponent: d)
            }
            return SigningKey(privateKey: key, kid: kid)
        } catch {
            throw .invalid(path: path, reason: "JWK is not a usable RSA private key (2048 bits or more)")
        }
    }

    /// The public half as a JWK (`kty`, `alg`, `use`, `kid`, `n`, `e`): what Maskinporten registers.
    package func publicJWK() throws(KeyLoadingError) -> [String: String] {
        do {
            let (modulus, exponent) = try self.privateKey.publicKey.getKeyPrimitives()
            return [
                "kty": "RSA", "alg": "RS256", "use": "sig", "kid": self.kid,
                "n": Base64URL.encode(modulus), "e": Base64URL.encode(exponent),
            ]
        } catch {
            throw .invalid(path: "<memory>", reason: "public key primitives unavailable")
        }
    }
}

extension SigningKey: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package var description: String { "SigningKey(kid: \(self.kid), <redacted>)" }
    package var debugDescription: String { self.description }
    package var customMirror: Mirror { Mirror(self, children: ["kid": self.kid]) }
}

package enum KeyLoadingError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(path: String)
    case invalid(path: String, reason: String)
    case cannotWrite(path: String)
    /// A key with this kid is already there: it may be the one registered in Maskinporten, so it is replaced only
    /// when asked for (`keys generate --force`).
    case exists(path: String)

    package var description: String {
        switch self {
        case .exists(let path):
            return "\(path) already exists; it may be the key registered in Maskinporten, so choose a new --kid "
                + "(or replace it with --force, once Maskinporten no longer knows its public key)"
        case .unreadable(let path): return "cannot read key file \(path)"
        case .invalid(let path, let reason): return "key file \(path): \(reason)"
        case .cannotWrite(let path): return "cannot write \(path)"
        }
    }
}

/// Unpadded base64url, as JOSE uses.
enum Base64URL {
    static func encode(_ data: some DataProtocol) -> String {
        Data(data).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
