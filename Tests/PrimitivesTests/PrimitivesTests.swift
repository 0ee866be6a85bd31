import Testing

@testable import Primitives

struct HexTests {
    @Test func encodesLowercaseTwoDigitsPerByte() {
        #expect(Hex.encode([0x00, 0x0F, 0xA0, 0xFF]) == "000fa0ff")
        #expect(Hex.encode([UInt8]()) == "")
    }

    @Test func decodeInvertsEncode() {
        let bytes: [UInt8] = (0...255).map { UInt8($0) }
        #expect(Hex.decode(Hex.encode(bytes)) == bytes)
    }

    @Test("refuses odd length, non-hex digits and uppercase (one spelling)", arguments: ["0", "0g", "AB", "zz", "abc"])
    func decodeRefuses(_ text: String) {
        #expect(Hex.decode(text) == nil)
    }

    @Test func digitsOfAByte() {
        let (high, low) = Hex.digits(of: 0x1F)
        #expect(String(decoding: [high, low], as: UTF8.self) == "1f")
    }
}

struct ConstantTimeTests {
    @Test func equalBytesCompareEqual() {
        #expect(constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(constantTimeEquals([], []))
    }

    @Test(
        "a difference anywhere, or in length, compares unequal",
        arguments: [
            ([1, 2, 3], [1, 2, 4]), ([1, 2, 3], [0, 2, 3]), ([1, 2, 3], [1, 2]), ([1, 2], [1, 2, 0]), ([], [0]),
        ]
            as [([UInt8], [UInt8])])
    func differencesCompareUnequal(_ a: [UInt8], _ b: [UInt8]) {
        #expect(!constantTimeEquals(a, b))
        #expect(!constantTimeEquals(b, a))
    }
}
