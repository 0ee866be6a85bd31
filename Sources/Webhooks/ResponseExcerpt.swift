/// A short, single-line, secret-free rendering of a subscriber's response body, for attempt
/// records and logs. Subscribers sometimes echo request headers or their own tokens back.
///
/// Bounded work per answer: only the first `scanLimit` bytes are looked at, and the token redaction is one
/// left-to-right scan that never looks at a byte twice (a hostile `eyJeyJeyJ…` body costs what any body of that
/// size costs), so one subscriber cannot burn the dispatcher's CPU.
package enum ResponseExcerpt {
    package static let defaultLimit = 256
    /// Only this many leading bytes are examined: ample for a 256-character excerpt after redaction.
    package static let scanLimit = 4 * 1024
    package static let redactedMarker = "[redacted]"

    /// Nil for an empty (or all-whitespace) body. Secrets are redacted before truncation, so a
    /// secret straddling the limit cannot leave its prefix behind.
    package static func make(
        _ body: some Collection<UInt8>, limit: Int = defaultLimit, redacting secrets: [String]
    ) -> String? {
        guard !body.isEmpty else { return nil }
        let window = body.prefix(scanLimit)
        let cut = window.count < body.count
        var text = String(String(decoding: window, as: UTF8.self).map { $0.isControlLike ? " " : $0 })
        // Longest first, so a secret containing another is replaced whole.
        let secrets = Set(secrets).filter { !$0.isEmpty }.sorted { $0.count > $1.count }
        for secret in secrets {
            text = text.replacing(secret, with: redactedMarker)
        }
        if cut { text = redactingCutSecret(text, secrets: secrets) }
        text = TokenScanner.redact(text, cut: cut)
        let characters = Array(text.drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
        guard !characters.isEmpty else { return nil }
        let limit = max(limit, 0)
        guard characters.count > limit else { return String(characters) }
        return String(characters.prefix(limit)) + "…"
    }

    /// A secret cut in half by the scan window no longer matches in full; redact the part that made it in.
    private static func redactingCutSecret(_ text: String, secrets: [String]) -> String {
        for secret in secrets {
            for length in stride(from: secret.count - 1, through: 1, by: -1)
            where text.hasSuffix(secret.prefix(length)) {
                return String(text.dropLast(length)) + redactedMarker
            }
        }
        return text
    }
}

/// Redacts `Bearer <b64token>` (RFC 6750) and JWT-shaped strings (three base64url segments, the first a base64url
/// JSON object, `eyJ…`; the last may be empty) in one pass over the bytes.
///
/// Why a failed JWT candidate may skip ahead: a candidate starting at `i` fails at `j` because a run of segment
/// bytes ends without the `.` (or segment) the shape needs there. Any later start between `i` and `j` lies in the
/// same run, reaches the same `j` and fails the same way, so the scan resumes at `j` and never rescans a byte.
enum TokenScanner {
    static func redact(_ text: String, cut: Bool) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            if let end = Self.bearer(bytes, at: index) {
                out.append(contentsOf: Array("Bearer \(ResponseExcerpt.redactedMarker)".utf8))
                index = end
                continue
            }
            if Self.startsJWT(bytes, at: index) {
                switch Self.jwt(bytes, at: index) {
                case .match(let end):
                    out.append(contentsOf: Array(ResponseExcerpt.redactedMarker.utf8))
                    index = end
                case .reachedEnd where cut:
                    // A token cut by the scan window: what made it in goes.
                    out.append(contentsOf: Array(ResponseExcerpt.redactedMarker.utf8))
                    index = bytes.count
                case .reachedEnd, .failed:
                    let resume = Self.jwtFailure(bytes, at: index)
                    out.append(contentsOf: bytes[index..<resume])
                    index = resume
                }
                continue
            }
            out.append(bytes[index])
            index += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    private enum JWTScan {
        case match(end: Int)
        /// The text ended while the shape was still possible.
        case reachedEnd
        case failed
    }

    private static func startsJWT(_ bytes: [UInt8], at index: Int) -> Bool {
        index + 3 <= bytes.count && bytes[index] == UInt8(ascii: "e") && bytes[index + 1] == UInt8(ascii: "y")
            && bytes[index + 2] == UInt8(ascii: "J")
    }

    /// `eyJ[seg]*\.[seg]+\.[seg]*`
    private static func jwt(_ bytes: [UInt8], at start: Int) -> JWTScan {
        var index = Self.segmentEnd(bytes, from: start + 3)
        guard index < bytes.count else { return .reachedEnd }
        guard bytes[index] == UInt8(ascii: ".") else { return .failed }
        let second = Self.segmentEnd(bytes, from: index + 1)
        if second == bytes.count { return .reachedEnd }
        guard second > index + 1, bytes[second] == UInt8(ascii: ".") else { return .failed }
        index = Self.segmentEnd(bytes, from: second + 1)
        return .match(end: index)
    }

    /// Where a failed candidate's scan stopped: the end of the segment runs it consumed (at least one byte on).
    private static func jwtFailure(_ bytes: [UInt8], at start: Int) -> Int {
        var index = Self.segmentEnd(bytes, from: start + 3)
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index = Self.segmentEnd(bytes, from: index + 1)
        }
        return max(index, start + 1)
    }

    private static func segmentEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count, Self.isSegmentByte(bytes[index]) { index += 1 }
        return index
    }

    /// `(?i:bearer)[ \t]+[A-Za-z0-9\-._~+/]+=*`; the end of the match, or nil.
    private static func bearer(_ bytes: [UInt8], at start: Int) -> Int? {
        let word = Array("bearer".utf8)
        guard start + word.count < bytes.count else { return nil }
        for offset in 0..<word.count where bytes[start + offset] | 0x20 != word[offset] { return nil }
        var index = start + word.count
        let spaces = index
        while index < bytes.count, bytes[index] == UInt8(ascii: " ") || bytes[index] == UInt8(ascii: "\t") {
            index += 1
        }
        guard index > spaces else { return nil }
        let token = index
        while index < bytes.count, Self.isB64TokenByte(bytes[index]) { index += 1 }
        guard index > token else { return nil }
        while index < bytes.count, bytes[index] == UInt8(ascii: "=") { index += 1 }
        return index
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    private static func isSegmentByte(_ byte: UInt8) -> Bool {
        Self.isAlphanumeric(byte) || byte == UInt8(ascii: "_") || byte == UInt8(ascii: "-")
    }

    private static func isB64TokenByte(_ byte: UInt8) -> Bool {
        Self.isAlphanumeric(byte)
            || [
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"),
                UInt8(ascii: "+"), UInt8(ascii: "/"),
            ].contains(byte)
    }
}
