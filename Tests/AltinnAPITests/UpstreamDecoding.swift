import Foundation
import HTTPTypes
import Testing
import Transport

@testable import AltinnAPI

/// Decodes as the client decodes an upstream answer (`AltinnClient.decode`), so the model tests hold the models to
/// the decoder the gateway runs, not to Foundation's.
func upstreamDecode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    try AltinnClient.decode(type, InboundResponse(status: .ok, body: Array(data)), .getInstance)
}

/// A peer that answers 200 with something that is not the model: one error the gateway maps (`undecodable`, with
/// the status and the operation), never a crash or a half-read model.
@Suite struct UnreadableAnswerTests {
    @Test(
        "hostile or broken answers are undecodable",
        arguments: [
            #"{"signeeStates":[{"partyId":1,"#,  // cut mid-answer (a connection that died)
            #"{"signeeStates":[{"partyId":"1"}]}"#,  // a string where a number belongs
            #"{"signeeStates":[{"partyId":99999999999999999999}]}"#,  // a number no Int holds
            #"{"signeeStates":{}}"#, "", "<html>502 Bad Gateway</html>", "null",
            String(repeating: "[", count: 100_000),  // nesting meant to exhaust a recursive parser's stack
        ])
    func unreadable(_ body: String) {
        #expect(throws: AltinnError.undecodable(status: 200, .getSigningState)) {
            try AltinnClient.decode(
                SigningStateResponse.self, InboundResponse(status: .ok, body: Array(body.utf8)), .getSigningState)
        }
    }

    @Test func invalidUTF8InAnIgnoredMemberStillRefusesTheAnswer() {
        let body = Array(#"{"signeeStates":[],"note":""#.utf8) + [0xC0, 0xAF] + Array(#""}"#.utf8)
        #expect(throws: AltinnError.undecodable(status: 200, .getSigningState)) {
            try AltinnClient.decode(
                SigningStateResponse.self, InboundResponse(status: .ok, body: body), .getSigningState)
        }
    }
}
