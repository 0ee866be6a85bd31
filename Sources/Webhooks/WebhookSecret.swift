import Foundation
import Primitives

/// Why a `whsec_…` string was refused. Never carries key material, so it is safe to log.
package enum WebhookSecretError: Error, Sendable, Equatable, CustomStringConvertible {
    case missingPrefix
    case invalidBase64
    case invalidKeyLength(Int)

    package var description: String {
        switch self {
        case .missingPrefix:
            "a webhook secret must start with \"\(WebhookSecret.prefix)\""
        case .invalidBase64:
            "a webhook secret must be \"\(WebhookSecret.prefix)\" followed by standard base64"
        case .invalidKeyLength(let count):
            "a webhook secret key must be \(WebhookSecret.keyLengthRange.lowerBound)–"
                + "\(WebhookSecret.keyLengthRange.upperBound) bytes, this one is \(count)"
        }
    }
}

/// A Standard Webhooks symmetric signing key, written `whsec_` + base64(key bytes).
///
/// Every textual and reflective view of it is redacted: the key is only reachable through
/// `encoded` and `keyBytes`, so logging or dumping a struct that holds one cannot leak it.
package struct WebhookSecret: Sendable {
    package static let prefix = "whsec_"
    /// Standard Webhooks: symmetric keys are 192–512 bits.
    package static let keyLengthRange = 24...64
    /// Length of keys made by `generate()`: 256 bits, as the Standard Webhooks libraries do.
    package static let generatedKeyLength = 32

    package let keyBytes: [UInt8]

    package init(encoded: String) throws(WebhookSecretError) {
        guard encoded.hasPrefix(Self.prefix) else { throw .missingPrefix }
        guard let data = Data(base64Encoded: String(encoded.dropFirst(Self.prefix.count))) else {
            throw .invalidBase64
        }
        try self.init(keyBytes: Array(data))
    }

    package init(keyBytes: [UInt8]) throws(WebhookSecretError) {
        guard Self.keyLengthRange.contains(keyBytes.count) else { throw .invalidKeyLength(keyBytes.count) }
        self.keyBytes = keyBytes
    }

    package static func generate() -> WebhookSecret {
        var rng = SystemRandomNumberGenerator()
        return generate(using: &rng)
    }

    /// Deterministic with a seeded generator; production code uses `generate()`.
    package static func generate(using rng: inout some RandomNumberGenerator) -> WebhookSecret {
        let bytes = (0..<generatedKeyLength).map { _ in UInt8.random(in: .min ... .max, using: &rng) }
        return WebhookSecret(validatedKeyBytes: bytes)
    }

    private init(validatedKeyBytes: [UInt8]) {
        keyBytes = validatedKeyBytes
    }

    /// The full `whsec_…` form: shown to the subscriber once, and what is stored.
    package var encoded: String { Self.prefix + base64Key }

    /// The key in base64 without the prefix.
    package var base64Key: String { Data(keyBytes).base64EncodedString() }

    /// The strings under which this secret could appear in a subscriber's response body
    /// (with and without prefix, and with `/` JSON-escaped), for `ResponseExcerpt.make`.
    package var redactionStrings: [String] {
        let forms = [encoded, base64Key]
        let escaped = forms.map { $0.replacingOccurrences(of: "/", with: "\\/") }.filter { !forms.contains($0) }
        return forms + escaped
    }
}

extension WebhookSecret: Hashable {
    /// Constant-time over the bytes so equality cannot be used as a timing oracle.
    package static func == (lhs: WebhookSecret, rhs: WebhookSecret) -> Bool {
        constantTimeEquals(lhs.keyBytes, rhs.keyBytes)
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(keyBytes)
    }
}

extension WebhookSecret: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package var description: String { Self.prefix + "…(redacted)" }
    package var debugDescription: String { description }
    /// No children: `dump()` and reflection of containing values stop here.
    package var customMirror: Mirror { Mirror(self, children: [], displayStyle: .struct) }
}
