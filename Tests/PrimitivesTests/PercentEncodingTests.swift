import Foundation
import Primitives
import Testing

/// `PercentEncoding.unreserved` replaced Foundation's `addingPercentEncoding(withAllowedCharacters:)` with the
/// RFC 3986 unreserved set on the upstream URLs' path segments and query values: held to Foundation's output.
@Suite struct PercentEncodingTests {
    static let unreserved = CharacterSet(
        charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

    static func foundation(_ text: String) -> String? {
        text.addingPercentEncoding(withAllowedCharacters: Self.unreserved)
    }

    @Test("every ASCII character, alone and between unreserved ones, as Foundation encodes it")
    func everyASCIICharacter() {
        for scalar in (0..<128).compactMap(Unicode.Scalar.init) {
            for text in [String(scalar), "a\(scalar)b", "\(scalar)\(scalar)~"] {
                #expect(PercentEncoding.unreserved(text) == Self.foundation(text), "\(scalar.value)")
            }
        }
    }

    @Test("random text with multi-byte characters, as Foundation encodes it; an unreserved id stays as it is")
    func randomText() {
        var rng = SystemRandomNumberGenerator()
        let alphabet = Array("aZ09-._~ /?#%&=+é€🙂\u{0}\u{7f}ø")
        for _ in 0..<2_000 {
            let text = String(
                (0..<Int.random(in: 0...24, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! })
            #expect(PercentEncoding.unreserved(text) == Self.foundation(text), "\(text.debugDescription)")
        }
        #expect(
            PercentEncoding.unreserved("5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02") == "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02"
        )
        #expect(PercentEncoding.unreserved("a/b") == "a%2Fb")
    }
}
