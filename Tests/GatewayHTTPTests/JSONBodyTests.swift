import Foundation
import Gateway
import Testing

@testable import GatewayHTTP

/// Request bodies are decoded by the byte-level decoder first and by Foundation's when it does not take them:
/// what is accepted, with which values, and what a refusal says must be what Foundation's alone gave.
@Suite struct JSONBodyTests {
    static let instanceId = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01"

    /// The fields of a decoded sign body, for comparing two decodings.
    func fields(_ body: SignRequestBody) -> [String] {
        [
            body.selector.app ?? "-", body.selector.instanceId ?? "-", body.mode.rawValue, body.onBehalfOf ?? "-",
            body.language ?? "-", body.tokenProfile ?? "-", "\(body.track)", "\(body.completeWhenAllSigned)",
        ]
    }

    @Test(
        "accepted bodies decode to Foundation's values",
        arguments: [
            #"{"app":"ttd/signing-app","instanceId":"ID","mode":"parallel"}"#,
            #"{"app":"ttd/signing-app","instanceId":"ID","mode":"single","track":false,"onBehalfOf":"910000000"}"#,
            #"{"\u0061pp":"ttd/signing-app","instanceId":"ID","mode":"parallel","language":"nn","track":true}"#,
            // Not RFC 8259, but Foundation's decoder has always taken it: the fallback keeps that.
            #"{"app":"ttd/signing-app","instanceId":"ID","mode":"parallel",}"#,
        ])
    func acceptedBodiesMatchFoundation(_ template: String) throws {
        let bytes = Array(template.replacingOccurrences(of: "ID", with: Self.instanceId).utf8)
        let decoded = try JSONBody.decode(SignRequestBody.self, from: bytes)
        let foundation = try JSONDecoder().decode(SignRequestBody.self, from: Data(bytes))
        #expect(self.fields(decoded) == self.fields(foundation))
    }

    @Test(
        "refused bodies say what Foundation's decoding says",
        arguments: [
            (#"{"app":"ttd/signing-app","instanceId":"ID","mode":"parallel","extra":1}"#, "/extra"),
            (#"{"app":"ttd/signing-app","instanceId":"ID","mode":"parallel","track":1}"#, "/track"),
            (#"{"app":"ttd/signing-app","instanceId":"ID","mode":"both"}"#, "/mode"),
            (#"{"app":"ttd/signing-app","instanceId":"ID"}"#, "/mode"),
            (
                #"{"app":"ttd/signing-app","instanceId":"ID","mode":"single","completeWhenAllSigned":true}"#,
                "/completeWhenAllSigned"
            ),
            (#"["parallel"]"#, ""),
        ])
    func refusedBodiesMatchFoundation(_ template: String, _ pointer: String) throws {
        let bytes = Array(template.replacingOccurrences(of: "ID", with: Self.instanceId).utf8)
        let problem = try #require(throws: Problem.self) { try JSONBody.decode(SignRequestBody.self, from: bytes) }
        var foundationError: (any Error)?
        do { _ = try JSONDecoder().decode(SignRequestBody.self, from: Data(bytes)) } catch { foundationError = error }
        let (expectedPointer, expectedDetail) = DecodingFailure.describe(try #require(foundationError))
        #expect(expectedPointer == pointer)
        #expect(problem.detail == (pointer.isEmpty ? expectedDetail : "\(pointer): \(expectedDetail)"))
    }
}
