/// A short, single-line, secret-free rendering of a subscriber's response body, for attempt
/// records and logs. Subscribers sometimes echo request headers or their own tokens back.
package enum ResponseExcerpt {
    package static let defaultLimit = 256
    /// Only this many leading bytes are examined, so a huge body costs bounded work.
    package static let scanLimit = 64 * 1024
    package static let redactedMarker = "[redacted]"

    /// Nil for an empty (or all-whitespace) body. Secrets are redacted before truncation, so a
    /// secret straddling the limit cannot leave its prefix behind.
    package static func make(
        _ body: some Collection<UInt8>, limit: Int = defaultLimit, redacting secrets: [String]
    ) -> String? {
        guard !body.isEmpty else { return nil }
        let window = body.prefix(scanLimit)
        var text = String(String(decoding: window, as: UTF8.self).map { $0.isControlLike ? " " : $0 })
        // Longest first, so a secret containing another is replaced whole.
        let secrets = Set(secrets).filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        for secret in secrets {
            text = text.replacing(secret, with: redactedMarker)
        }
        if window.count < body.count { text = redactingCutTail(text, secrets: secrets) }
        text = text.replacing(bearerToken) { _ in "Bearer " + redactedMarker }
        text = text.replacing(jsonWebToken) { _ in redactedMarker }
        let characters = Array(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        guard !characters.isEmpty else { return nil }
        let limit = max(limit, 0)
        guard characters.count > limit else { return String(characters) }
        return String(characters.prefix(limit)) + "…"
    }

    /// A secret or JWT cut in half by the scan window no longer matches in full; redact the part
    /// that made it in. (A cut `Bearer` token still matches its pattern.)
    private static func redactingCutTail(_ text: String, secrets: [String]) -> String {
        for secret in secrets {
            for length in stride(from: secret.count - 1, through: 1, by: -1)
            where text.hasSuffix(secret.prefix(length)) {
                return String(text.dropLast(length)) + redactedMarker
            }
        }
        return text.replacing(cutJSONWebToken) { _ in redactedMarker }
    }

    // Computed rather than stored: `Regex` is not Sendable, and building one is cheap next to matching.
    /// `Bearer` followed by an RFC 6750 b64token.
    private static var bearerToken: Regex<Substring> { #/(?i:bearer)[ \t]+[A-Za-z0-9\-._~+/]+=*/# }
    /// Three base64url segments, the first a base64url JSON object (`{"` → `eyJ`); the last may be
    /// empty (an unsecured JWT).
    private static var jsonWebToken: Regex<Substring> { #/eyJ[A-Za-z0-9_\-]*\.[A-Za-z0-9_\-]+\.[A-Za-z0-9_\-]*/# }
    /// The first one or two segments of a JWT at the very end of the text.
    private static var cutJSONWebToken: Regex<Substring> { #/eyJ[A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]*)?$/# }
}
