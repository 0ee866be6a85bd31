import Testing

@testable import Primitives

/// `TapeValue` reads a model's members as `TapeJSONDecoder` would through `Decodable`: these pin the rules the
/// models rely on.
struct TapeValueTests {
    /// A model with every kind of member the upstream models have.
    struct Sample: TapeReadable, Equatable {
        var name: String?
        var count: Int
        var flag: Bool
        var tags: [String]?
        var children: [Sample]?

        init(tape value: TapeValue) throws(TapeValue.Mismatch) {
            let object = try value.object()
            self.name = try object["name"]?.string()
            self.count = try object.required("count").int()
            self.flag = try object["flag"]?.bool() ?? false
            self.tags = try object["tags"]?.array { value throws(TapeValue.Mismatch) in try value.string() }
            self.children = try object["children"]?.array(of: Sample.self)
        }

        init(name: String?, count: Int, flag: Bool = false, tags: [String]? = nil, children: [Sample]? = nil) {
            (self.name, self.count, self.flag, self.tags, self.children) = (name, count, flag, tags, children)
        }
    }

    func read(_ json: String) throws(TapeValue.Mismatch) -> Sample {
        try TapeValue.read(Sample.self, from: Array(json.utf8))
    }

    @Test func membersAbsentOrNullAreNilAndTheRestAreRead() throws {
        #expect(try read(#"{"count":1}"#) == Sample(name: nil, count: 1))
        #expect(try read(#"{"count":1,"name":null,"flag":null,"tags":null}"#) == Sample(name: nil, count: 1))
        #expect(
            try read(#"{"name":"a","count":2,"flag":true,"tags":["x","y"],"children":[{"count":3}],"other":[1,{}]}"#)
                == Sample(name: "a", count: 2, flag: true, tags: ["x", "y"], children: [Sample(name: nil, count: 3)]))
    }

    @Test func theLastOfARepeatedNameAndEscapedNamesAreFound() throws {
        #expect(try read(#"{"count":1,"count":2}"#).count == 2)
        #expect(try read(#"{"na\u006de":"é\n","count":1}"#).name == "é\n")
    }

    @Test func integersWrittenWithAFractionOrAnExponent() throws {
        #expect(try read(#"{"count":2.0}"#).count == 2)
        #expect(try read(#"{"count":1e3}"#).count == 1000)
        #expect(try read(#"{"count":-0}"#).count == 0)
    }

    @Test(
        "refused: wrong kinds, a required member absent or null, null array elements, no Int, not JSON",
        arguments: [
            #"{"count":"1"}"#, #"{"count":1,"name":5}"#, #"{"count":1,"flag":"true"}"#, #"{"count":1,"tags":"x"}"#,
            #"{"count":1,"tags":[null]}"#, #"{"count":1,"children":[null]}"#, #"{"count":1,"children":[1]}"#,
            #"{}"#, #"{"count":null}"#, #"{"count":2.5}"#, #"{"count":1e40}"#, #"{"count":99999999999999999999}"#,
            "[]", "null", #""{}""#, #"{"count":1"#, #"{"count":1} x"#, "",
        ])
    func refused(_ json: String) {
        #expect(throws: TapeValue.Mismatch.self) { try read(json) }
    }
}
