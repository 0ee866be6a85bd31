import Testing

@testable import Primitives

/// `EscapedRuns` skips eight bytes at a time; these compare it with the byte-by-byte reference at every position
/// of a word, for every byte value.
struct EscapedRunsTests {
    /// What the escaping must produce: each byte tested on its own.
    static func reference(_ text: String, escapingDelete: Bool) -> [UInt8] {
        var out: [UInt8] = []
        for byte in text.utf8 {
            let special = byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") || (escapingDelete && byte == 0x7F)
            if byte < 0x20 || special {
                out += [UInt8(ascii: "<"), byte, UInt8(ascii: ">")]
            } else {
                out.append(byte)
            }
        }
        return out
    }

    static func escaped(_ text: String, escapingDelete: Bool) -> [UInt8] {
        var out: [UInt8] = [0xEE]  // something before, kept
        EscapedRuns.append(text, to: &out, escapingDelete: escapingDelete) { byte, out in
            out += [UInt8(ascii: "<"), byte, UInt8(ascii: ">")]
        }
        #expect(out.first == 0xEE)
        return Array(out.dropFirst())
    }

    @Test(arguments: [false, true])
    func everyASCIIByteAtEveryPositionOfAWord(_ escapingDelete: Bool) {
        for byte in UInt8(0)...0x7F {
            for position in 0..<17 {
                for length in [position + 1, 17, 24] where length > position {
                    var bytes = [UInt8](repeating: UInt8(ascii: "a"), count: length)
                    bytes[position] = byte
                    let text = String(decoding: bytes, as: UTF8.self)
                    #expect(
                        Self.escaped(text, escapingDelete: escapingDelete)
                            == Self.reference(text, escapingDelete: escapingDelete),
                        "byte \(byte) at \(position) of \(length)")
                }
            }
        }
    }

    @Test func multibyteAndMixedText() {
        let texts = [
            "", "a", "\"", "1234567", "12345678", "123456789", "æøå ÆØÅ \u{1F600} \u{7F}\u{1F}",
            "line\nbreak\ttab \"quoted\" back\\slash", String(repeating: "é\"", count: 20),
            "Ωmega\u{0}end", String(repeating: "x", count: 63) + "\u{1}",
        ]
        for text in texts {
            for delete in [false, true] {
                #expect(Self.escaped(text, escapingDelete: delete) == Self.reference(text, escapingDelete: delete))
            }
        }
    }

    /// A byte of 0x80 or more (UTF-8 beyond ASCII) is never below 0x20 to the word test, whatever follows it.
    @Test func wordTestAgainstTheBytes() {
        var generator = SystemRandomNumberGenerator()
        for _ in 0..<20_000 {
            let word = generator.next() as UInt64
            for delete in [false, true] {
                let bytes = (0..<8).map { UInt8(truncatingIfNeeded: word >> (8 * $0)) }
                let expected = bytes.contains { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C || (delete && $0 == 0x7F) }
                #expect(EscapedRuns.wordNeedsEscape(word, delete) == expected)
            }
        }
    }
}
