import Primitives

/// A bearer token for an upstream (Altinn, later Maskinporten). It lives with the transport seam because it is what
/// an outbound request carries: the token providers make it, the Altinn client only sends it.
///
/// The value cannot be printed, logged, encoded or interpolated: every textual representation
/// is redacted, so a token can only reach the wire through `authorizationHeaderValue`.
package struct AccessToken: Sendable, Equatable {
    private let value: String
    /// When the token stops being valid, if known.
    package let expiresAt: ContinuousClock.Instant?

    package init(_ value: String, expiresAt: ContinuousClock.Instant? = nil) {
        self.value = value
        self.expiresAt = expiresAt
    }

    /// `Bearer <token>`: the only way to read the secret, used when building an upstream request.
    package var authorizationHeaderValue: String { "Bearer \(self.value)" }

    /// The raw secret, for the token providers' own wire code (a grant in a form body, decoding `exp`).
    package var secret: String { self.value }

    /// True when `candidate` is this token (constant time in the token's length).
    package func matches(_ candidate: String) -> Bool {
        constantTimeEquals(Array(self.value.utf8), Array(candidate.utf8))
    }
}

extension AccessToken: CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    package var description: String { "AccessToken(<redacted>)" }
    package var debugDescription: String { self.description }
    package var customMirror: Mirror { Mirror(self, children: []) }
}
