import Foundation
import Testing

@testable import AltinnSimulator

/// The simulator escapes only `"`, `\` and control characters in its answers (`UnsafeRelaxedJsonEscaping`): pinned
/// against that rule written out scalar by scalar, and against Foundation's parser.
struct JSONValueWriterTests {
    /// The rule, one Unicode scalar at a time.
    static func reference(_ value: String) -> String {
        var out = "\""
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }

    @Test func everyASCIICharacterAtEveryPositionOfAString() throws {
        for code in UInt8(0)...UInt8(0x7f) {
            let character = String(UnicodeScalar(code))
            for text in [character, "a" + character, character + "bc", "abc" + character + "defghij" + character] {
                let written = JSONValue.string(text).serialized
                #expect(written == Self.reference(text), "byte \(code)")
                let parsed = try JSONSerialization.jsonObject(with: Data(written.utf8), options: .fragmentsAllowed)
                #expect(parsed as? String == text, "byte \(code)")
            }
        }
    }

    @Test func nonASCIIPassesThroughUnescaped() {
        for text in ["BØYLEHEST MATT", "æøå\u{1F58B}\"\u{7}", "\u{2028}\u{2029}", "\u{7f}\u{80}\u{FFFF}"] {
            #expect(JSONValue.string(text).serialized == Self.reference(text))
        }
    }

    @Test func documentsKeepMemberOrderAndNulls() throws {
        let document = JSONValue.obj([
            "z": .null, "a\n": .array([.int(-3), .double(1.5), .double(.nan), .bool(true), .bool(false)]),
            "nested": .obj(["": .string(""), "k": .array([])]),
        ])
        #expect(document.serialized == #"{"z":null,"a\n":[-3,1.5,null,true,false],"nested":{"":"","k":[]}}"#)
        let parsed = try JSONSerialization.jsonObject(with: Data(document.serialized.utf8)) as? [String: Any]
        #expect(parsed?.keys.sorted() == ["a\n", "nested", "z"])
    }
}
