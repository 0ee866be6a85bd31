import Foundation
import HTTPTypes
import Primitives
import Testing
import Transport

@testable import AltinnAPI

/// Decodes as the client decodes an upstream answer (`AltinnClient.decode`), so the model tests hold the models to
/// the decoder the gateway runs, not to Foundation's.
func upstreamDecode<T: Decodable>(_ type: T.Type, from data: Data) throws -> T {
    try AltinnClient.decode(type, InboundResponse(status: .ok, body: Array(data)), .getInstance)
}

func upstreamDecode<T: TapeReadable>(_ type: T.Type, from data: Data) throws -> T {
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

/// The models the client reads on every request read themselves from the tape (`TapeReadable`): the rules their
/// `Decodable` versions had, pinned.
@Suite struct TapeReadModelTests {
    func read<T: TapeReadable>(_ type: T.Type, _ json: String) throws -> T {
        try upstreamDecode(type, from: Data(json.utf8))
    }

    @Test func defaultsForAbsentOrNullMembers() throws {
        let signee = try read(SigneeState.self, #"{"partyId":7,"notificationStatus":null}"#)
        #expect(
            signee
                == SigneeState(
                    name: nil, organization: nil, delegationSuccessful: false, notificationStatus: .notSent,
                    partyId: 7, signedTime: nil))
        let element = try read(DataElement.self, #"{"id":"e","locked":null,"size":12}"#)
        #expect(element.locked == false && element.size == 12 && element.references == nil)
        #expect(try read(SigningDataElementsResponse.self, #"{}"#).dataElements.isEmpty)
    }

    @Test(
        "refused like their Decodable versions",
        arguments: [
            (0, #"{"signeeStates":null}"#), (0, #"{"signeeStates":[{"name":"a"}]}"#),
            (0, #"{"signeeStates":[{"partyId":1,"signedTime":"yesterday"}]}"#),
            (0, #"{"signeeStates":[{"partyId":1,"notificationStatus":3}]}"#),
            (1, #"{"instance":{"data":[null]}}"#), (1, #"{"instance":"x"}"#),
            (1, #"{"instance":{"process":{"currentTask":[]}}}"#), (1, #"{"error":{"code":1}}"#),
            (2, #"{"id":"d"}"#), (2, #"{"dataElementSignatures":[]}"#),
            (2, #"{"id":"d","dataElementSignatures":[{"dataElementId":"e"}]}"#),
            (3, #"{"data":[{"references":[{"value":1}]}]}"#),
        ])
    func refused(_ model: Int, _ json: String) {
        let types: [any TapeReadable.Type] = [
            SigningStateResponse.self, UserActionResponse.self, SignDocument.self, InstanceDocument.self,
        ]
        #expect(throws: AltinnError.self) { try self.read(types[model], json) }
    }

    @Test func aSignatureDocumentAndAnActionAnswer() throws {
        let document = try read(
            SignDocument.self,
            #"{"id":"d","signedTime":"2025-03-03T11:16:02.9390324Z","signeeInfo":{"personNumber":"1"},"dataElementSignatures":[{"dataElementId":"e","sha256Hash":"ab","signed":true}]}"#
        )
        #expect(document.signeeInfo?.personNumber == "1" && document.dataElementSignatures.first?.signed == true)
        let action = try read(
            UserActionResponse.self,
            #"{"instance":{"id":"1/a","process":{"currentTask":{"elementId":"Task_2"},"ended":null},"data":[{"id":"e","references":[{"value":"Task_2","relation":"GeneratedFrom","valueType":"Task"}]}]},"error":null}"#
        )
        #expect(action.instance?.process?.currentTask?.elementId == "Task_2")
        #expect(action.instance?.data?.first?.generatedFromTask == "Task_2")
    }
}
