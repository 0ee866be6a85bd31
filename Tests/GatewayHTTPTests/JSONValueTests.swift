import Foundation
import Gateway
import Testing

@testable import GatewayHTTP

@Suite struct JSONValueTests {
    @Test func serializationKeepsOrderAndEscapesEverythingJSONRequires() throws {
        let tricky = "quote\" backslash\\ newline\n tab\t cr\r nul\u{0} bell\u{7} del\u{7F} æøå 🖋"
        let value = JSONValue.object([
            ("z", .string(tricky)), ("a", .int(-42)), ("m", .array([.bool(true), .null, .object([])])),
        ])
        let bytes = value.serialized
        let text = String(decoding: bytes, as: UTF8.self)
        #expect(text.hasPrefix(#"{"z":"#))
        #expect(text.contains(#""a":-42,"m":[true,null,{}]"#))
        let parsed = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        #expect(parsed["z"] as? String == tricky)
        #expect(!bytes.contains(0x0A))
    }
}
