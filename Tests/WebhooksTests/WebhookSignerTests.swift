import Foundation
import Testing
import Webhooks

@Suite struct WebhookSignerTests {
    let id = "msg_p5jXN8AQM9LWM0D4loKWxJek"
    let timestamp: Int64 = 1_614_265_330
    let body = Array(#"{"test": 2432232314}"#.utf8)
    var at: Date { Date(timeIntervalSince1970: TimeInterval(timestamp)) }

    @Test func matchesTheStandardWebhooksTestVector() throws {
        let secret = try WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signature = WebhookSigner.signature(id: id, timestamp: timestamp, body: body, secrets: [secret])
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        try WebhookSigner.verify(
            id: id, timestamp: timestamp, body: body, signatureHeader: signature, secret: secret, now: at)
    }

    @Test func rotationSignsWithEveryKeyAndEachVerifies() throws {
        let old = try WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let new = WebhookSecret.generate()
        let header = WebhookSigner.signature(id: id, timestamp: timestamp, body: body, secrets: [old, new])
        let parts = header.split(separator: " ")
        #expect(parts.count == 2)
        #expect(parts.allSatisfy { $0.hasPrefix("v1,") })
        #expect(parts[0] == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        for secret in [old, new] {
            try WebhookSigner.verify(
                id: id, timestamp: timestamp, body: body, signatureHeader: header, secret: secret, now: at)
        }
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try WebhookSigner.verify(
                id: id, timestamp: timestamp, body: body, signatureHeader: header,
                secret: WebhookSecret.generate(), now: at)
        }
    }

    @Test func headersCarryIdTimestampAndSignature() throws {
        let secret = try WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let headers = WebhookSigner.headers(id: id, timestamp: timestamp, body: body, secrets: [secret])
        #expect(headers.map(\.name) == ["webhook-id", "webhook-timestamp", "webhook-signature"])
        #expect(headers.map(\.value) == [id, "1614265330", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="])
    }

    @Test func verifyRefusesTamperingAndStaleOrFutureTimestamps() throws {
        let secret = WebhookSecret.generate()
        let header = WebhookSigner.signature(id: id, timestamp: timestamp, body: body, secrets: [secret])
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try WebhookSigner.verify(
                id: id, timestamp: timestamp, body: body + [0x20], signatureHeader: header, secret: secret, now: at)
        }
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try WebhookSigner.verify(
                id: id + "x", timestamp: timestamp, body: body, signatureHeader: header, secret: secret, now: at)
        }
        #expect(throws: WebhookVerificationError.timestampTooOld) {
            try WebhookSigner.verify(
                id: id, timestamp: timestamp, body: body, signatureHeader: header, secret: secret,
                now: at.addingTimeInterval(301))
        }
        #expect(throws: WebhookVerificationError.timestampTooNew) {
            try WebhookSigner.verify(
                id: id, timestamp: timestamp, body: body, signatureHeader: header, secret: secret,
                now: at.addingTimeInterval(-301))
        }
        // Inside the five-minute window on either side.
        for offset in [-300.0, 300.0] {
            try WebhookSigner.verify(
                id: id, timestamp: timestamp, body: body, signatureHeader: header, secret: secret,
                now: at.addingTimeInterval(offset))
        }
    }

    @Test func verifySkipsOtherVersionsAndGarbage() throws {
        let secret = WebhookSecret.generate()
        let valid = WebhookSigner.signature(id: id, timestamp: timestamp, body: body, secrets: [secret])
        let header = "v1a,AAAA v1,!!!! garbage " + valid
        try WebhookSigner.verify(
            id: id, timestamp: timestamp, body: body, signatureHeader: header, secret: secret, now: at)
        let signature = String(valid.dropFirst(3))
        #expect(throws: WebhookVerificationError.noMatchingSignature) {
            try WebhookSigner.verify(
                id: id, timestamp: timestamp, body: body, signatureHeader: "v2," + signature, secret: secret, now: at)
        }
    }

    @Test func noSecretsMeansAnEmptySignature() {
        #expect(WebhookSigner.signature(id: id, timestamp: timestamp, body: body, secrets: []) == "")
    }
}
