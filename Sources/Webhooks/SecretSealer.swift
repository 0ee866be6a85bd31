import Crypto
import Foundation

/// Subscription secrets at rest: sealed with AES-GCM under a key-encryption key from a file, so a database dump
/// alone cannot sign a delivery. The sealed form names its key (`sealed:v1:<key id>:<base64 of nonce ‖ ciphertext ‖
/// tag>`) and is bound to its subscription (the id is the associated data), so a sealed secret copied onto
/// another row does not open.
///
/// The key file holds one key per line, `<id>:<base64 of 32 bytes>`, the current key first. Rotating the key:
/// put a new line first and restart; every secret is then re-sealed under it (`needsReseal`), after which the old
/// line can go.
package struct SecretSealer: Sendable {
    package struct Key: Sendable {
        package let id: String
        let key: SymmetricKey
    }

    package enum Failure: Error, Sendable, Equatable, CustomStringConvertible {
        /// The key file is empty or a line is not `<id>:<base64 of 32 bytes>`; the line number, never its content.
        case malformedKeyFile(line: Int)
        /// Sealed under a key id the file does not hold.
        case unknownKey(String)
        /// The ciphertext does not open (tampered, or bound to another subscription).
        case cannotOpen

        package var description: String {
            switch self {
            case .malformedKeyFile(let line):
                "the subscription secret key file is malformed at line \(line) (want <id>:<base64 of 32 bytes>)"
            case .unknownKey(let id): "a subscription secret is sealed under key '\(id)', which the key file lacks"
            case .cannotOpen: "a subscription secret does not open with its key"
            }
        }
    }

    private static let prefix = "sealed:v1:"
    /// The newest key first: it seals; every key opens.
    private let keys: [Key]

    package init(keyFile text: String) throws(Failure) {
        var keys: [Key] = []
        for (index, line) in text.split(separator: "\n").enumerated() {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
            let parts = trimmed.split(separator: ":", maxSplits: 1).map(String.init)
            guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.allSatisfy(Self.isIdByte),
                let bytes = Data(base64Encoded: parts[1]), bytes.count == 32
            else { throw .malformedKeyFile(line: index + 1) }
            keys.append(Key(id: parts[0], key: SymmetricKey(data: bytes)))
        }
        guard !keys.isEmpty else { throw .malformedKeyFile(line: 0) }
        self.keys = keys
    }

    /// A fresh key file's content: one new key.
    package static func newKeyFile(id: String = "k1") -> String {
        let key = SymmetricKey(size: .bits256)
        return "\(id):" + key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
    }

    /// The key that seals.
    package var currentKeyId: String { self.keys[0].id }

    package func seal(_ secret: String, subscription: String) -> String {
        let current = self.keys[0]
        // AES-GCM sealing with a fresh random nonce cannot fail for in-memory inputs of this size.
        guard
            let box = try? AES.GCM.seal(
                Data(secret.utf8), using: current.key, authenticating: Data(subscription.utf8)),
            let combined = box.combined
        else { preconditionFailure("AES-GCM sealing failed") }
        return Self.prefix + current.id + ":" + combined.base64EncodedString()
    }

    /// The plaintext secret. A value without the sealed prefix is a secret stored before sealing existed and is
    /// returned as it is (the next re-seal pass seals it).
    package func open(_ stored: String, subscription: String) throws(Failure) -> String {
        guard stored.hasPrefix(Self.prefix) else { return stored }
        let rest = stored.dropFirst(Self.prefix.count)
        let parts = rest.split(separator: ":", maxSplits: 1).map(String.init)
        guard parts.count == 2 else { throw .cannotOpen }
        guard let key = self.keys.first(where: { $0.id == parts[0] }) else { throw .unknownKey(parts[0]) }
        guard let combined = Data(base64Encoded: parts[1]),
            let box = try? AES.GCM.SealedBox(combined: combined),
            let plain = try? AES.GCM.open(box, using: key.key, authenticating: Data(subscription.utf8)),
            let text = String(data: plain, encoding: .utf8)
        else { throw .cannotOpen }
        return text
    }

    /// Stored in plaintext, or sealed under a key other than the current one.
    package func needsReseal(_ stored: String) -> Bool {
        !stored.hasPrefix(Self.prefix + self.keys[0].id + ":")
    }

    private static func isIdByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
    }
}
