import Foundation
import Testing

@testable import Webhooks

@Suite struct ResponseExcerptTests {
    func excerpt(_ text: String, limit: Int = 256, secrets: [String] = []) -> String? {
        ResponseExcerpt.make(Array(text.utf8), limit: limit, redacting: secrets)
    }

    @Test func emptyOrBlankBodiesGiveNil() {
        #expect(ResponseExcerpt.make([UInt8](), redacting: []) == nil)
        #expect(excerpt(" \r\n\t ") == nil)
    }

    @Test func controlCharactersBecomeSpaces() {
        #expect(excerpt("a\nb\tc\u{0}d\u{7F}e\u{2028}f") == "a b c d e f")
        #expect(excerpt("{\"error\":\n  \"nope\"}\n") == "{\"error\":   \"nope\"}")
    }

    @Test func invalidUTF8IsDecodedLossily() {
        let text = ResponseExcerpt.make([0x6F, 0x6B, 0xFF, 0xFE, 0x21], redacting: [])
        #expect(text == "ok\u{FFFD}\u{FFFD}!")
    }

    @Test func truncatesToTheLimitWithAnEllipsis() {
        #expect(excerpt(String(repeating: "x", count: 300)) == String(repeating: "x", count: 256) + "…")
        #expect(excerpt(String(repeating: "x", count: 256)) == String(repeating: "x", count: 256))
        #expect(excerpt("héllo wörld", limit: 5) == "héllo…")
    }

    @Test func hugeBodiesAreBounded() {
        let body = [UInt8](repeating: UInt8(ascii: "y"), count: 5_000_000)
        #expect(ResponseExcerpt.make(body, redacting: [])?.count == 257)
    }

    @Test func secretsAreRedactedBeforeTruncation() throws {
        let secret = WebhookSecret.generate()
        let body = "0123456789 " + secret.encoded + " and " + secret.base64Key
        let full = try #require(excerpt(body, secrets: secret.redactionStrings))
        #expect(full == "0123456789 [redacted] and [redacted]")
        // The secret starts inside a 20-character limit: no piece of it may survive the cut.
        let cut = try #require(excerpt(body, limit: 20, secrets: secret.redactionStrings))
        #expect(cut == "0123456789 [redacted…")
        #expect(!cut.contains(String(secret.base64Key.prefix(4))))
    }

    @Test func jsonEscapedSecretsAreRedacted() throws {
        let secret = try WebhookSecret(keyBytes: [UInt8](repeating: 0xFF, count: 24))
        let escaped = secret.encoded.replacingOccurrences(of: "/", with: "\\/")
        #expect(
            excerpt(#"{"echo":""# + escaped + #""}"#, secrets: secret.redactionStrings) == #"{"echo":"[redacted]"}"#)
    }

    @Test func emptySecretStringsAreIgnored() {
        #expect(excerpt("plain", secrets: [""]) == "plain")
    }

    @Test func bearerTokensAreRedacted() {
        #expect(excerpt("Authorization: Bearer abc.DEF-123_~+/xyz== end") == "Authorization: Bearer [redacted] end")
        #expect(excerpt("got bearer  s3cr3t") == "got Bearer [redacted]")
    }

    @Test func jwtShapedStringsAreRedacted() {
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
        #expect(excerpt("token=\(jwt); more") == "token=[redacted]; more")
        #expect(excerpt("unsecured eyJhbGciOiJub25lIn0.eyJzdWIiOiIxIn0. done") == "unsecured [redacted] done")
        #expect(excerpt("version eyJ.1 stays") == "version eyJ.1 stays")
    }

    @Test func aTokenCutByTheScanWindowIsDropped() throws {
        let padding = String(repeating: "a ", count: (ResponseExcerpt.scanLimit - 10) / 2)
        let body = padding + "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.signature"
        let text = try #require(ResponseExcerpt.make(Array(body.utf8), limit: 1_000_000, redacting: []))
        #expect(!text.contains("eyJ"))
        #expect(text.hasSuffix("a [redacted]"))
    }

    @Test func aSecretCutByTheScanWindowIsRedacted() throws {
        let secret = WebhookSecret.generate()
        let padding = String(repeating: "b", count: ResponseExcerpt.scanLimit - 12)
        let body = padding + " " + secret.encoded + " tail"
        let text = try #require(ResponseExcerpt.make(Array(body.utf8), limit: 1_000_000, redacting: [secret.encoded]))
        #expect(text.hasSuffix("b [redacted]"))
        #expect(!text.contains("whsec_"))
    }
}

/// Hostile answers: shapes that make a backtracking matcher go quadratic cost one pass here.
@Suite struct HostileExcerptTests {
    static let adversarial: [String: String] = [
        "eyJ runs": String(repeating: "eyJ", count: 22_000),
        "eyJ with dots": String(repeating: "eyJa.", count: 13_200),
        "eyJ with one segment": String(repeating: "eyJa.b", count: 11_000),
        "bearer runs": String(repeating: "bearer ", count: 9_400),
    ]

    @Test("a 64 KiB hostile answer is examined only up to the scan limit", arguments: Array(adversarial.keys).sorted())
    func hostileAnswersAreBounded(_ name: String) throws {
        let body = try #require(Self.adversarial[name])
        #expect(body.utf8.count >= 64 * 1024)
        let text = try #require(ResponseExcerpt.make(Array(body.utf8), redacting: ["whsec_abc"]))
        #expect(text.count <= ResponseExcerpt.defaultLimit + 1)
    }

    @Test("the token scan is one pass: a megabyte of hostile text completes and is redacted right")
    func theScanIsLinear() {
        // Not capped here: quadratic work on this input would not finish within the test run.
        let runs = String(repeating: "eyJ", count: 350_000)
        #expect(TokenScanner.redact(runs, cut: false) == runs)
        #expect(TokenScanner.redact(runs, cut: true) == ResponseExcerpt.redactedMarker)
        // Every three segments are a JWT shape: all of it goes, in one pass.
        let dotted = TokenScanner.redact(String(repeating: "eyJa.", count: 200_000) + " x", cut: false)
        #expect(!dotted.contains("eyJa.eyJa.eyJa"))
        #expect(dotted.hasSuffix(" x"))
        // A real token after a hostile run is still found.
        let jwt = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjMifQ.sig"
        #expect(
            TokenScanner.redact(String(repeating: "eyJ ", count: 100_000) + jwt, cut: false).hasSuffix(" [redacted]"))
    }
}
