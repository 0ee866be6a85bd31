import Crypto
import Foundation

/// A Standard Webhooks `v1` (HMAC-SHA256) secret: `whsec_` + base64 of 24-64 random bytes.
/// Its text never appears in a description, a log line or an error.
public struct WebhookSecret: Sendable {
    let key: SymmetricKey

    public init(whsec text: String) throws(WebhookSecretError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("whsec_"), let bytes = Data(base64Encoded: String(trimmed.dropFirst(6))) else {
            throw .malformed
        }
        // The spec asks for 24-64 bytes; shorter keys are too weak to accept.
        guard (24...64).contains(bytes.count) else { throw .wrongLength }
        self.key = SymmetricKey(data: bytes)
    }

    /// A fresh secret from the system CSPRNG, as `whsec_` text (shown once by `clients new`).
    public static func generate() -> String {
        "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }
}

extension WebhookSecret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    public var description: String { "WebhookSecret(<redacted>)" }
    public var debugDescription: String { self.description }
    public var customMirror: Mirror { Mirror(self, children: []) }
}

public enum WebhookSecretError: Error, Sendable, Equatable, CustomStringConvertible {
    case malformed
    case wrongLength

    public var description: String {
        switch self {
        case .malformed: return "is not whsec_ followed by base64"
        case .wrongLength: return "must decode to 24-64 bytes"
        }
    }
}

/// Signs `{id}.{timestamp}.{body}` the Standard Webhooks way (for outbound use and for tests).
public struct WebhookSigner: Sendable {
    let secret: WebhookSecret

    public init(secret: WebhookSecret) { self.secret = secret }

    /// `v1,<base64 HMAC-SHA256>`.
    public func signature(id: String, timestamp: Int64, body: [UInt8]) -> String {
        let mac = HMAC<SHA256>.authenticationCode(
            for: WebhookContent.bytes(id: id, timestamp: timestamp, body: body), using: self.secret.key)
        return "v1," + Data(mac).base64EncodedString()
    }
}

/// Checks a `webhook-signature` header against one secret, in constant time over the raw body bytes.
enum WebhookVerifier {
    /// More candidates than this is not a rotation, it is a search; refuse it unread.
    static let maxSignatures = 8

    /// The decoded `v1` signatures of a header, or nil when the header is unusable.
    static func candidates(_ header: String) -> [Data]? {
        let parts = header.split(separator: " ", omittingEmptySubsequences: true)
        guard !parts.isEmpty, parts.count <= Self.maxSignatures else { return nil }
        // Other versions (v1a, future ones) are skipped, as the spec asks.
        return parts.compactMap { part in
            guard part.hasPrefix("v1,") else { return nil }
            return Data(base64Encoded: String(part.dropFirst(3)))
        }
    }

    static func matches(_ candidates: [Data], content: [UInt8], secret: WebhookSecret) -> Bool {
        var matched = false
        for candidate in candidates {
            // Evaluated for every candidate (no early exit) so timing does not reveal which one matched.
            let valid = HMAC<SHA256>.isValidAuthenticationCode(candidate, authenticating: content, using: secret.key)
            matched = matched || valid
        }
        return matched
    }
}

enum WebhookContent {
    static func bytes(id: String, timestamp: Int64, body: [UInt8]) -> [UInt8] {
        Array("\(id).\(timestamp).".utf8) + body
    }
}
