import Foundation
import Testing
import Webhooks

@Suite struct WebhookSecretTests {
    static let specKey = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func parsesTheSpecKeyAndRoundTrips() throws {
        let secret = try WebhookSecret(encoded: Self.specKey)
        #expect(secret.keyBytes.count == 24)
        #expect(secret.encoded == Self.specKey)
        #expect(secret.base64Key == "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    }

    @Test func refusesAMissingOrWrongPrefix() {
        #expect(throws: WebhookSecretError.missingPrefix) {
            try WebhookSecret(encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        }
        #expect(throws: WebhookSecretError.missingPrefix) {
            try WebhookSecret(encoded: "whsk_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        }
        #expect(throws: WebhookSecretError.missingPrefix) { try WebhookSecret(encoded: "") }
    }

    @Test func refusesBadBase64() {
        #expect(throws: WebhookSecretError.invalidBase64) { try WebhookSecret(encoded: "whsec_!!!not base64!!!") }
        #expect(throws: WebhookSecretError.invalidBase64) {
            try WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS")
        }
    }

    @Test(arguments: [16, 23, 65, 0])
    func refusesKeysOutsideTheAllowedLength(length: Int) {
        let encoded = "whsec_" + Data(repeating: 7, count: length).base64EncodedString()
        #expect(throws: WebhookSecretError.invalidKeyLength(length)) { try WebhookSecret(encoded: encoded) }
    }

    @Test(arguments: [24, 32, 64])
    func acceptsKeysInsideTheAllowedLength(length: Int) throws {
        let encoded = "whsec_" + Data(repeating: 7, count: length).base64EncodedString()
        #expect(try WebhookSecret(encoded: encoded).keyBytes == [UInt8](repeating: 7, count: length))
    }

    @Test func errorDescriptionsExplainTheRule() {
        #expect(WebhookSecretError.invalidKeyLength(16).description.contains("24–64 bytes, this one is 16"))
        #expect(WebhookSecretError.missingPrefix.description.contains("whsec_"))
    }

    @Test func generatesThirtyTwoRandomBytesThatRoundTrip() throws {
        let first = WebhookSecret.generate()
        let second = WebhookSecret.generate()
        #expect(first.keyBytes.count == 32)
        #expect(first != second)
        #expect(try WebhookSecret(encoded: first.encoded) == first)
    }

    @Test func seededGenerationIsDeterministic() {
        var a = SeededGenerator(seed: 42)
        var b = SeededGenerator(seed: 42)
        #expect(WebhookSecret.generate(using: &a) == WebhookSecret.generate(using: &b))
    }

    @Test func equalityAndHashingFollowTheKeyBytes() throws {
        let a = try WebhookSecret(encoded: Self.specKey)
        let b = try WebhookSecret(keyBytes: a.keyBytes)
        var other = a.keyBytes
        other[23] ^= 1
        let c = try WebhookSecret(keyBytes: other)
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(a != c)
        #expect(Set([a, b, c]).count == 2)
    }

    @Test func redactionStringsCoverPrefixedBareAndJSONEscapedForms() throws {
        let secret = try WebhookSecret(keyBytes: [UInt8](repeating: 0xFF, count: 24))
        #expect(secret.base64Key.hasPrefix("////"))
        #expect(Set(secret.redactionStrings).isSuperset(of: [secret.encoded, secret.base64Key]))
        #expect(secret.redactionStrings.contains("whsec_" + String(repeating: "\\/", count: 32)))
    }

    struct Subscription {
        let url: String
        let secret: WebhookSecret
        let previous: [WebhookSecret]
        let maybe: WebhookSecret?
    }

    @Test func theKeyIsNeverPrinted() throws {
        let secret = try WebhookSecret(encoded: Self.specKey)
        let holder = Subscription(url: "https://example.com", secret: secret, previous: [secret], maybe: secret)
        var dumped = ""
        dump(secret, to: &dumped)
        var dumpedHolder = ""
        dump(holder, to: &dumpedHolder)
        let renderings = [
            "\(secret)", String(describing: secret), String(reflecting: secret), dumped,
            "\(holder)", String(describing: holder), String(reflecting: holder), dumpedHolder,
            "\([secret])", "\(Optional(secret) as Any)",
        ]
        for rendering in renderings {
            #expect(!rendering.contains(secret.base64Key), "leaked in: \(rendering)")
            #expect(!rendering.contains("MfKQ"), "leaked in: \(rendering)")
            #expect(rendering.contains("whsec_…(redacted)"), "no redaction marker in: \(rendering)")
        }
        #expect(Mirror(reflecting: secret).children.isEmpty)
    }
}
