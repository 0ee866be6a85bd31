import Crypto
package import Foundation

/// Why a received webhook did not verify. Used by tests and by anyone checking our own output.
package enum WebhookVerificationError: Error, Sendable, Equatable {
    case timestampTooOld
    case timestampTooNew
    case noMatchingSignature
}

/// Standard Webhooks symmetric (`v1`) signatures: HMAC-SHA256 over `{id}.{timestamp}.{body}`.
package enum WebhookSigner {
    package static let idHeader = "webhook-id"
    package static let timestampHeader = "webhook-timestamp"
    package static let signatureHeader = "webhook-signature"
    /// Standard Webhooks' recommended replay window.
    package static let defaultTolerance: Duration = .seconds(5 * 60)

    /// The `webhook-signature` value: one `v1,<base64>` per secret, space-separated, so during a
    /// rotation receivers holding either the old or the new key can verify.
    package static func signature(
        id: String, timestamp: Int64, body: some Collection<UInt8>, secrets: [WebhookSecret]
    ) -> String {
        let content = signedContent(id: id, timestamp: timestamp, body: body)
        return secrets.map { "v1," + Data(mac(content, secret: $0)).base64EncodedString() }
            .joined(separator: " ")
    }

    /// The three Standard Webhooks headers, in a fixed order.
    package static func headers(
        id: String, timestamp: Int64, body: some Collection<UInt8>, secrets: [WebhookSecret]
    ) -> [(name: String, value: String)] {
        [
            (idHeader, id),
            (timestampHeader, String(timestamp)),
            (signatureHeader, signature(id: id, timestamp: timestamp, body: body, secrets: secrets)),
        ]
    }

    /// Receiver-side check: the timestamp is within `tolerance` of `now` and at least one `v1`
    /// signature in the header matches `secret`. The MAC comparison is constant-time.
    package static func verify(
        id: String,
        timestamp: Int64,
        body: some Collection<UInt8>,
        signatureHeader: String,
        secret: WebhookSecret,
        now: Date = Date(),
        tolerance: Duration = defaultTolerance
    ) throws(WebhookVerificationError) {
        let nowSeconds = Int64(now.timeIntervalSince1970.rounded(.down))
        let window = tolerance.components.seconds
        if timestamp < nowSeconds - window { throw .timestampTooOld }
        if timestamp > nowSeconds + window { throw .timestampTooNew }
        let content = signedContent(id: id, timestamp: timestamp, body: body)
        let key = SymmetricKey(data: secret.keyBytes)
        for candidate in signatureHeader.split(separator: " ") {
            // Other versions (e.g. `v1a`, asymmetric) are skipped, as the spec requires.
            guard candidate.hasPrefix("v1,"), let mac = Data(base64Encoded: String(candidate.dropFirst(3))) else {
                continue
            }
            if HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: content, using: key) { return }
        }
        throw .noMatchingSignature
    }

    private static func signedContent(id: String, timestamp: Int64, body: some Collection<UInt8>) -> [UInt8] {
        Array("\(id).\(timestamp).".utf8) + Array(body)
    }

    private static func mac(_ content: [UInt8], secret: WebhookSecret) -> [UInt8] {
        Array(HMAC<SHA256>.authenticationCode(for: content, using: SymmetricKey(data: secret.keyBytes)))
    }
}
