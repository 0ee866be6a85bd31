import Foundation
import Testing

@testable import Primitives

/// `JSONTape` reads a string's plain ASCII eight bytes at a time: every byte value at every position of a word
/// must still be accepted or refused as Foundation's parser does.
struct JSONTapeStringTests {
    @Test func everyByteAtEveryPositionOfAWord() {
        for byte in UInt8(0)...UInt8(255) {
            for position in 0..<17 {
                var content = [UInt8](repeating: UInt8(ascii: "a"), count: 24)
                content[position] = byte
                let document = [UInt8(ascii: "\"")] + content + [UInt8(ascii: "\"")]
                let tape = (try? JSONTape(document)).map { $0.string(at: 0) }
                let foundation =
                    (try? JSONSerialization.jsonObject(with: Data(document), options: .fragmentsAllowed)) as? String
                #expect(tape == foundation, "byte \(byte) at \(position)")
            }
        }
    }

    @Test func multibyteSequencesAcrossWords() throws {
        for prefix in 0..<9 {
            let text = String(repeating: "a", count: prefix) + "æ€\u{1F600}" + String(repeating: "b", count: 9)
            let document = Array("\"\(text)\"".utf8)
            #expect(try JSONTape(document).string(at: 0) == text)
        }
    }
}
