import Foundation
import Testing

@testable import Webhooks

struct SecretSealerTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func sealsSoTheStoredValueHoldsNoSecretAndOpensAgain() throws {
        let sealer = try SecretSealer(keyFile: SecretSealer.newKeyFile())
        let sealed = sealer.seal(Self.secret, subscription: "sub_1")
        #expect(sealed.hasPrefix("sealed:v1:k1:"))
        #expect(!sealed.contains("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        #expect(try sealer.open(sealed, subscription: "sub_1") == Self.secret)
        #expect(!sealer.needsReseal(sealed))
        // A fresh nonce each time.
        #expect(sealer.seal(Self.secret, subscription: "sub_1") != sealed)
    }

    @Test func aSealedSecretIsBoundToItsSubscriptionAndItsKey() throws {
        let sealer = try SecretSealer(keyFile: SecretSealer.newKeyFile())
        let sealed = sealer.seal(Self.secret, subscription: "sub_1")
        #expect(throws: SecretSealer.Failure.cannotOpen) { try sealer.open(sealed, subscription: "sub_2") }
        var tampered = Array(sealed.utf8)
        tampered[tampered.count - 3] =
            tampered[tampered.count - 3] == UInt8(ascii: "A") ? UInt8(ascii: "B") : UInt8(ascii: "A")
        #expect(throws: SecretSealer.Failure.cannotOpen) {
            try sealer.open(String(decoding: tampered, as: UTF8.self), subscription: "sub_1")
        }
        let other = try SecretSealer(keyFile: SecretSealer.newKeyFile(id: "k9"))
        #expect(throws: SecretSealer.Failure.unknownKey("k1")) { try other.open(sealed, subscription: "sub_1") }
        // The same id with another key: does not open.
        let impostor = try SecretSealer(keyFile: SecretSealer.newKeyFile())
        #expect(throws: SecretSealer.Failure.cannotOpen) { try impostor.open(sealed, subscription: "sub_1") }
    }

    @Test func rotationOpensOldSecretsAndAsksForThemToBeResealed() throws {
        let old = SecretSealer.newKeyFile(id: "k1")
        let sealedOld = try SecretSealer(keyFile: old).seal(Self.secret, subscription: "sub_1")
        let rotated = try SecretSealer(keyFile: SecretSealer.newKeyFile(id: "k2") + old)
        #expect(rotated.currentKeyId == "k2")
        #expect(try rotated.open(sealedOld, subscription: "sub_1") == Self.secret)
        #expect(rotated.needsReseal(sealedOld))
        #expect(rotated.needsReseal(Self.secret))  // stored before sealing existed
        #expect(try rotated.open(Self.secret, subscription: "sub_1") == Self.secret)
        #expect(rotated.seal(Self.secret, subscription: "sub_1").hasPrefix("sealed:v1:k2:"))
    }

    @Test(
        "refuses malformed key files, naming the line only",
        arguments: ["", "k1", "k1:notbase64!", "k1:AAAA", "bad id:" + String(repeating: "A", count: 44)])
    func refusesMalformedKeyFiles(_ text: String) {
        #expect(throws: SecretSealer.Failure.self) { try SecretSealer(keyFile: text) }
    }
}
