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
        /// The files of the same kid that were there before and are replaced (only with `replacing: true`).
        package let replaced: [String]
    }

    /// A key with this kid already in `directory` is refused (`KeyLoadingError.exists`): it may be the one
    /// registered in Maskinporten. `replacing: true` replaces it, each file atomically.
    package static func generate(
        kid: String, directory: String, replacing: Bool = false
    ) throws(KeyLoadingError) -> Written {
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
        let existing = [privatePath, publicPath].filter { fm.fileExists(atPath: $0) }
        // Both checked before either is written, so a refusal leaves the directory as it was.
        if let path = existing.first, !replacing { throw .exists(path: path) }
        let jwk = try key.publicJWK()
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        let json: Data
        do { json = try encoder.encode(jwk) } catch { throw .cannotWrite(path: publicPath) }
        // Mode 0600 from the start, so the key is never readable by others even briefly.
        try Self.place(Data(key.privateKey.pemRepresentation.utf8), at: privatePath, mode: 0o600, replacing: replacing)
        try Self.place(json, at: publicPath, mode: 0o644, replacing: replacing)
        return Written(
            privateKeyPath: privatePath, publicJWKPath: publicPath, publicJWK: String(decoding: json, as: UTF8.self),
            replaced: existing)
    }

    /// Written whole to a temporary file, then moved into place: rename(2) when replacing, else link(2), which
    /// fails if the name appeared since the check, so a key made meanwhile is never overwritten either.
    private static func place(_ data: Data, at path: String, mode: Int, replacing: Bool) throws(KeyLoadingError) {
        let temporary = path + ".\(getpid()).tmp"
        guard FileManager.default.createFile(atPath: temporary, contents: data, attributes: [.posixPermissions: mode])
        else { throw .cannotWrite(path: path) }
        if replacing {
            guard rename(temporary, path) == 0 else {
                unlink(temporary)
                throw .cannotWrite(path: path)
            }
            return
        }
        defer { unlink(temporary) }
        guard link(temporary, path) == 0 else { throw errno == EEXIST ? .exists(path: path) : .cannotWrite(path: path) }
    }
}
