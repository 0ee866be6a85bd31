import Crypto
import Foundation
import Webhooks

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
            let valid = HMAC<SHA256>.isValidAuthenticationCode(
                candidate, authenticating: content, using: SymmetricKey(data: secret.keyBytes))
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
