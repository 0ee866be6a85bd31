package import Crypto
package import Foundation
import Primitives

/// A signed statement "the audit chain's record `sequence` has hash `hash`", made at `time`.
///
/// Because every hash covers its predecessor, a checkpoint vouches for every record up to `sequence`: a chain
/// cut below it (a truncated tail) or rewritten at or before it (even with every later hash recomputed) no
/// longer shows `hash` at `sequence`. Kept outside the database (`audit checkpoint --out F`), it survives
/// whoever controls the database.
///
/// ## Signed message
///
/// Ed25519 over the UTF-8 bytes of `signing-gateway audit checkpoint v1\n{sequence}\n{hash}\n{timeSeconds}`, where
/// `sequence` and `timeSeconds` (seconds since 1970, UTC) are base-10 integers and `hash` is 64 lowercase hex
/// digits. `keyId` is the first 16 hex digits of SHA-256 of the 32-byte public key: it names the key, it is
/// not signed.
package struct AuditCheckpoint: Sendable, Equatable {
    package var sequence: Int64
    package var hash: String
    /// Whole seconds.
    package var time: Date
    package var keyId: String
    /// Base64 of the 64-byte Ed25519 signature.
    package var signature: String

    package init(sequence: Int64, hash: String, time: Date, keyId: String, signature: String) {
        self.sequence = sequence
        self.hash = hash
        self.time = time
        self.keyId = keyId
        self.signature = signature
    }

    package var timeSeconds: Int64 { Int64(self.time.timeIntervalSince1970.rounded(.down)) }

    package static func message(sequence: Int64, hash: String, timeSeconds: Int64) -> [UInt8] {
        Array("signing-gateway audit checkpoint v1\n\(sequence)\n\(hash)\n\(timeSeconds)".utf8)
    }

    /// Signs the chain head `sequence`/`hash` at `time` (rounded down to the second).
    package static func sign(
        sequence: Int64, hash: String, time: Date, key: AuditCheckpointKey
    ) throws(StoreError) -> AuditCheckpoint {
        let seconds = Int64(time.timeIntervalSince1970.rounded(.down))
        let signature: Data
        do {
            signature = try key.privateKey.signature(
                for: Data(Self.message(sequence: sequence, hash: hash, timeSeconds: seconds)))
        } catch {
            throw .failed("audit checkpoint: signing failed")
        }
        return AuditCheckpoint(
            sequence: sequence, hash: hash, time: Date(timeIntervalSince1970: TimeInterval(seconds)),
            keyId: key.keyId, signature: signature.base64EncodedString())
    }

    /// Whether the signature is `publicKey`'s over this checkpoint's sequence, hash and time.
    package func isSigned(by publicKey: Curve25519.Signing.PublicKey) -> Bool {
        guard let raw = Data(base64Encoded: self.signature), raw.count == 64 else { return false }
        return publicKey.isValidSignature(
            raw, for: Data(Self.message(sequence: self.sequence, hash: self.hash, timeSeconds: self.timeSeconds)))
    }

    // MARK: JSON line

    /// One compact JSON object: `{"sequence":…,"hash":"…","time":"…Z","keyId":"…","signature":"…"}`.
    package var jsonLine: String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return
            #"{"sequence":\#(self.sequence),"hash":"\#(self.hash)","time":"\#(formatter.string(from: self.time))","#
            + #""keyId":"\#(self.keyId)","signature":"\#(self.signature)"}"#
    }

    /// Parses `jsonLine` (whitespace and member order do not matter); nil when a member is missing or malformed.
    package init?(jsonLine text: String) {
        guard let data = text.data(using: .utf8),
            let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let sequence = (object["sequence"] as? NSNumber)?.int64Value, sequence >= 1,
            let hash = object["hash"] as? String, hash.utf8.count == 64, Hex.decode(hash) != nil,
            let timeText = object["time"] as? String, let keyId = object["keyId"] as? String,
            let signature = object["signature"] as? String
        else { return nil }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        guard let time = formatter.date(from: timeText) else { return nil }
        self.init(sequence: sequence, hash: hash.lowercased(), time: time, keyId: keyId, signature: signature)
    }
}

/// The Ed25519 key that signs checkpoints. The file holds the base64 of the 32-byte private key (one line,
/// mode 0600); it is read once and never logged.
package struct AuditCheckpointKey: Sendable {
    package let privateKey: Curve25519.Signing.PrivateKey

    package init(privateKey: Curve25519.Signing.PrivateKey) {
        self.privateKey = privateKey
    }

    package var publicKey: Curve25519.Signing.PublicKey { self.privateKey.publicKey }
    package var keyId: String { Self.keyId(of: self.publicKey) }

    package static func keyId(of publicKey: Curve25519.Signing.PublicKey) -> String {
        String(Hex.encode(SHA256.hash(data: publicKey.rawRepresentation)).prefix(16))
    }

    /// Base64 of the 32-byte public key (what `--public-key` files hold).
    package static func encode(_ publicKey: Curve25519.Signing.PublicKey) -> String {
        publicKey.rawRepresentation.base64EncodedString()
    }

    /// Reads a base64 32-byte key from `text` (surrounding whitespace ignored).
    package static func decodePublicKey(_ text: String) -> Curve25519.Signing.PublicKey? {
        guard let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32
        else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: raw)
    }

    package static func load(file: String) throws(StoreError) -> AuditCheckpointKey {
        guard let data = FileManager.default.contents(atPath: file),
            let text = String(data: data, encoding: .utf8),
            let raw = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), raw.count == 32,
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw)
        else {
            throw .failed("audit checkpoint key: \(file) is not readable as a base64 Ed25519 private key")
        }
        return AuditCheckpointKey(privateKey: key)
    }

    /// The file's key, creating the file (mode 0600) with a fresh key when it is missing. Replicas starting at
    /// once on one directory agree on one key: the key is written whole to a private file, then linked into place.
    package static func loadOrCreate(file: String) throws(StoreError) -> (key: AuditCheckpointKey, created: Bool) {
        if FileManager.default.fileExists(atPath: file) { return (try Self.load(file: file), false) }
        let fresh = Curve25519.Signing.PrivateKey()
        let temporary = file + ".\(ProcessInfo.processInfo.processIdentifier).tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data((fresh.rawRepresentation.base64EncodedString() + "\n").utf8),
                attributes: [.posixPermissions: 0o600])
        else { throw .failed("audit checkpoint key: cannot write \(file)") }
        defer { unlink(temporary) }
        if link(temporary, file) == 0 { return (AuditCheckpointKey(privateKey: fresh), true) }
        guard errno == EEXIST else { throw .failed("audit checkpoint key: cannot write \(file)") }
        return (try Self.load(file: file), false)
    }
}
