import CryptoExtras
import Foundation
import JWTKit

/// Makes a new RSA-2048 key pair for a Maskinporten client: the private key as PEM (mode 0600)
/// and the public JWK to register.
package enum KeyGenerator {
    package struct Written: Sendable {
        package let privateKeyPath: String
        package let publicJWKPath: String
        /// The public JWK as JSON text (safe to print and to register).
        package let publicJWK: String
    }

    package static func generate(kid: String, directory: String) throws(KeyLoadingError) -> Written {
        let key: SigningKey
        do {
            let backing = try _RSA.Signing.PrivateKey(keySize: .bits2048)
            key = SigningKey(privateKey: try JWTKit.Insecure.RSA.PrivateKey(backing: backing), kid: kid)
        } catch {
            throw .invalid(path: directory, reason: "RSA key generation failed")
        }
        let fm = FileManager.default
        do {
            try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .cannotWrite(path: directory)
        }
        let privatePath = (directory as NSString).appendingPathComponent("\(kid).private.pem")
        let publicPath = (directory as NSString).appendingPathComponent("\(kid).public.jwk.json")
        for path in [privatePath, publicPath] where fm.fileExists(atPath: path) { throw .exists(path: path) }
        // Mode 0600 from the start, so the key is never readable by others even briefly.
        guard
            fm.createFile(
                atPath: privatePath, contents: Data(key.privateKey.pemRepresentation.utf8),
                attributes: [.posixPermissions: 0o600])
        else { throw .cannotWrite(path: privatePath) }
        let jwk = try key.publicJWK()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let json: Data
        do { json = try encoder.encode(jwk) } catch { throw .cannotWrite(path: publicPath) }
        guard fm.createFile(atPath: publicPath, contents: json, attributes: [.posixPermissions: 0o644]) else {
            throw .cannotWrite(path: publicPath)
        }
        return Written(
            privateKeyPath: privatePath, publicJWKPath: publicPath, publicJWK: String(decoding: json, as: UTF8.self))
    }
}
