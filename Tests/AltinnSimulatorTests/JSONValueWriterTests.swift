import Foundation
import Testing

@testable import AltinnSimulator

/// The simulator escapes only `"`, `\` and control characters in its answers, like ASP.NET's
/// `UnsafeRelaxedJsonEscaping`: everything else, non-ASCII letters and DEL included, is written as it is.
struct JSONValueWriterTests {
    static func parsed(_ written: String) throws -> String? {
        try JSONSerialization.jsonObject(with: Data(written.utf8), options: .fragmentsAllowed) as? String
    }

    @Test func everyASCIICharacterAtEveryPositionOfAString() throws {
        let short: [UInt8: String] = [0x22: #"\""#, 0x5C: #"\\"#, 0x0A: #"\n"#, 0x0D: #"\r"#, 0x09: #"\t"#]
        for code in UInt8(0)...UInt8(0x7f) {
            let character = String(UnicodeScalar(code))
            let escaped =
                short[code] ?? (code < 0x20 ? String(format: "\\u%04x", Int(code)) : character)
            for (prefix, suffix) in [("", ""), ("a", ""), ("", "bc"), ("abc", "defghij")] {
                let text = prefix + character + suffix
                let written = JSONValue.string(text).serialized
                #expect(written == "\"" + prefix + escaped + suffix + "\"", "byte \(code)")
                #expect(try Self.parsed(written) == text, "byte \(code)")
            }
        }
    }

    @Test func nonASCIIPassesThroughUnescaped() throws {
        for text in ["BØYLEHEST MATT", "æøå\u{1F58B}", "\u{2028}\u{2029}", "\u{7f}\u{80}\u{FFFF}"] {
            #expect(JSONValue.string(text).serialized == "\"" + text + "\"")
            #expect(try Self.parsed(JSONValue.string(text).serialized) == text)
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
