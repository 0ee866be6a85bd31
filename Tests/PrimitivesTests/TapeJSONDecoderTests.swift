import Foundation
import Testing

@testable import Primitives

/// The tape decoder must read what Foundation's `JSONDecoder` reads, and refuse what RFC 8259 refuses.
struct TapeJSONDecoderTests {
    struct Document: Decodable, Equatable {
        struct Element: Decodable, Equatable {
            var id: String
            var size: Int?
            var tags: [String]
            var ratio: Double?
            var locked: Bool?
        }
        var id: String
        var text: String?
        var count: Int
        var negative: Int64
        var large: UInt64
        var exponent: Double
        var integralFraction: Int
        var flag: Bool
        var missing: String?
        var null: Int?
        var elements: [Element]
        var matrix: [[Int]]
        var names: [String: Int]
        var optionalElements: [Element?]
    }

    static let document = #"""
        {"id":"a1","text":"line\nbreak \"quoted\" \\ \/ \u00e9 \ud83d\ude00 raw é 😀 \t\b\f\r",
         "count" : 42 , "negative":-9007199254740993, "large":18446744073709551615, "exponent":-1.5e-3,
         "integralFraction": 2.0, "flag":true, "null":null, "ignored":{"deep":[1,{"x":[null,true,"s"]}],"n":1e99},
         "elements":[{"id":"e1","size":3,"tags":["a","b"],"ratio":0.25,"locked":false,"extra":[[]]},
                     {"id":"e2","tags":[],"size":null}],
         "matrix":[[1,2],[],[3]], "names":{"x":1,"y\u0000z":2,"":3}, "optionalElements":[null,{"id":"e3","tags":["c"]}]}
        """#

    @Test func readsWhatFoundationReads() throws {
        let bytes = Array(Self.document.utf8)
        let expected = try JSONDecoder().decode(Document.self, from: Data(bytes))
        let decoded = try TapeJSONDecoder().decode(Document.self, from: bytes)
        #expect(decoded == expected)
        #expect(decoded.text == "line\nbreak \"quoted\" \\ / é 😀 raw é 😀 \t\u{08}\u{0C}\r")
        #expect(decoded.names == ["x": 1, "y\u{0}z": 2, "": 3])
        #expect(decoded.elements[1].size == nil)
        #expect(decoded.integralFraction == 2)
    }

    @Test("top-level scalars and arrays", arguments: [#""text""#, "  17 ", "[1, 2, 3]", "true", "null"])
    func topLevelValues(_ text: String) throws {
        let bytes = Array(text.utf8)
        switch text.trimmingCharacters(in: .whitespaces).first {
        case "\"": #expect(try TapeJSONDecoder().decode(String.self, from: bytes) == "text")
        case "[": #expect(try TapeJSONDecoder().decode([Int].self, from: bytes) == [1, 2, 3])
        case "t": #expect(try TapeJSONDecoder().decode(Bool.self, from: bytes))
        case "n": #expect(try TapeJSONDecoder().decode(Int?.self, from: bytes) == nil)
        default: #expect(try TapeJSONDecoder().decode(Int.self, from: bytes) == 17)
        }
    }

    @Test(
        "refuses what is not JSON",
        arguments: [
            "", " ", "{", "}", #"{"a" 1}"#, #"{a:1}"#, "[1 2]", "1 2", "01", "1.", ".5", "-", "+1",
            "1e", "--1", "tru", "nul", "True", #""\x""#, #""\u12""#, #""\ud800""#, #""\udc00x""#, #""\ud800\u0041""#,
            "\"a\u{01}\"", "\"unterminated", "[\"a\"", "{\"a\":}", "[,1]", "'a'", "NaN", "Infinity",
        ])
    func refusesInvalidJSON(_ text: String) {
        #expect(throws: DecodingError.self) { try TapeJSONDecoder().decode(JSONAny.self, from: Array(text.utf8)) }
        #expect(throws: (any Error).self) { try JSONDecoder().decode(JSONAny.self, from: Data(text.utf8)) }
    }

    /// Foundation's decoder lets these through; RFC 8259 does not, and no Altinn service writes them.
    @Test("refuses trailing commas", arguments: ["[1,]", #"{"a":1,}"#])
    func refusesTrailingCommas(_ text: String) {
        #expect(throws: DecodingError.self) { try TapeJSONDecoder().decode(JSONAny.self, from: Array(text.utf8)) }
    }

    @Test(
        "refuses invalid UTF-8 in strings",
        arguments: [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xE0, 0x80, 0xAF, 0x22],
            [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xC3, 0x22], [0x22, 0xE2, 0x82, 0x22], [0x22, 0x80, 0x22],
        ] as [[UInt8]])
    func refusesInvalidUTF8(_ bytes: [UInt8]) {
        #expect(throws: DecodingError.self) { try TapeJSONDecoder().decode(String.self, from: bytes) }
    }

    @Test func refusesNestingDeeperThanFoundationAllows() throws {
        let deep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: DecodingError.self) { try TapeJSONDecoder().decode(JSONAny.self, from: Array(deep.utf8)) }
        let fine = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        _ = try TapeJSONDecoder().decode(JSONAny.self, from: Array(fine.utf8))
    }

    struct Required: Decodable {
        var id: String
        var count: Int8
    }

    @Test(
        "a model that does not fit throws",
        arguments: [
            #"{"id":"a"}"#, #"{"id":1,"count":1}"#, #"{"id":"a","count":"1"}"#, #"{"id":"a","count":300}"#,
            #"{"id":"a","count":1.5}"#, #"{"id":null,"count":1}"#, #"["a",1]"#, #""a""#,
        ])
    func mismatchesThrow(_ text: String) {
        #expect(throws: DecodingError.self) { try TapeJSONDecoder().decode(Required.self, from: Array(text.utf8)) }
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(Required.self, from: Data(text.utf8)) }
    }

    @Test func aRepeatedNameReadsItsLastValueAndEscapedNamesMatch() throws {
        struct Named: Decodable { var id: String }
        #expect(try TapeJSONDecoder().decode(Named.self, from: Array(#"{"id":"a","x":1,"id":"b"}"#.utf8)).id == "b")
        #expect(try TapeJSONDecoder().decode(Named.self, from: Array(#"{"\u0069d":"c"}"#.utf8)).id == "c")
    }

    @Test func errorsCarryTheCodingPath() {
        let text = #"{"elements":[{"id":"e1","tags":[]},{"id":7,"tags":[]}]}"#
        struct Outer: Decodable { var elements: [Document.Element] }
        do {
            _ = try TapeJSONDecoder().decode(Outer.self, from: Array(text.utf8))
            Issue.record("decoded a number as a string")
        } catch let DecodingError.typeMismatch(_, context) {
            #expect(context.codingPath.map(\.stringValue) == ["elements", "1", "id"])
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}

/// Any JSON value, read whole (so that every byte of a document is visited by the decoder under test).
private enum JSONAny: Decodable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONAny])
    case object([String: JSONAny])

    init(from decoder: any Decoder) throws {
        if let container = try? decoder.container(keyedBy: AnyKey.self) {
            var members: [String: JSONAny] = [:]
            for key in container.allKeys { members[key.stringValue] = try container.decode(JSONAny.self, forKey: key) }
            self = .object(members)
        } else if var container = try? decoder.unkeyedContainer() {
            var elements: [JSONAny] = []
            while !container.isAtEnd { elements.append(try container.decode(JSONAny.self)) }
            self = .array(elements)
        } else {
            let value = try decoder.singleValueContainer()
            if value.decodeNil() {
                self = .null
            } else if let bool = try? value.decode(Bool.self) {
                self = .bool(bool)
            } else if let number = try? value.decode(Double.self) {
                self = .number(number)
            } else {
                self = .string(try value.decode(String.self))
            }
        }
    }

    struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }
}
