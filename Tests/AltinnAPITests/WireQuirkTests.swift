import Foundation
import HTTPTypes
import Primitives
import Testing
import Transport

@testable import AltinnAPI

/// Every Altinn quirk from the reference, decoded from the shapes Altinn really sends.
@Suite struct WireQuirkTests {
    func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
        try upstreamDecode(type, from: Data(json.utf8))
    }

    func decode<T: TapeReadable>(_ type: T.Type, _ json: String) throws -> T {
        try upstreamDecode(type, from: Data(json.utf8))
    }

    @Test func signeeStateAcceptsBothSpellingsOfOrganization() throws {
        let us = try decode(
            SigneeState.self,
            #"{"name":"FISK KUNSTIG","organization":"LYDIG VENNLIG KATT KJERNE","delegationSuccessful":true,"notificationStatus":"Sent","partyId":51843877,"signedTime":null}"#
        )
        let uk = try decode(
            SigneeState.self,
            #"{"name":"FISK KUNSTIG","organisation":"LYDIG VENNLIG KATT KJERNE","delegationSuccessful":true,"notificationStatus":"Sent","partyId":51843877,"signedTime":null}"#
        )
        #expect(us.organization == "LYDIG VENNLIG KATT KJERNE")
        #expect(uk.organization == us.organization)
    }

    @Test func timestampsWithSevenFractionalDigits() throws {
        let state = try decode(
            SigneeState.self,
            #"{"name":"BØYLEHEST MATT","organization":null,"delegationSuccessful":true,"notificationStatus":"Sent","partyId":51281269,"signedTime":"2025-03-03T11:16:02.9390324Z"}"#
        )
        let signed = try #require(state.signedTime)
        #expect(abs(signed.date.timeIntervalSince1970 - 1_741_000_562.9390324) < 0.000_001)
        #expect(signed.description == "2025-03-03T11:16:02.939Z")
    }

    @Test(arguments: [
        ("2019-09-25T09:32:44.20Z", true), ("2025-03-03T11:16:02Z", true), ("2025-03-03T11:16:02.9390324+01:00", true),
        ("2025-03-03T11:16:02", true), ("2019-10-10T32:22.00Z", false), ("2025-13-03T11:16:02Z", false),
        ("2025-03-03T11:16:02.Z", false), ("yesterday", false),
    ])
    func timestampParsing(_ text: String, _ valid: Bool) {
        #expect((AltinnTimestamp(text) != nil) == valid)
    }

    /// The calendar arithmetic is the parser's own: held against Foundation's ISO 8601 parser across leap years,
    /// century rules, month ends and offsets.
    @Test(arguments: [
        "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z", "2000-02-29T12:00:00Z", "2024-02-29T23:59:59Z",
        "2100-03-01T00:00:00Z", "1900-02-28T08:30:00Z", "2025-12-31T23:59:59+14:00", "2025-01-01T00:00:00-12:00",
        "1601-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "2026-06-30T10:20:30+05:30",
    ])
    func timestampArithmeticMatchesFoundation(_ text: String) throws {
        let expected = try Date(text, strategy: .iso8601)
        #expect(AltinnTimestamp(text)?.date == expected)
    }

    @Test(arguments: ["2023-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2025-04-31T00:00:00Z", "2025-06-30T10:20:60Z"])
    func impossibleDatesAreRefused(_ text: String) {
        #expect(AltinnTimestamp(text) == nil)
    }

    @Test func notificationStatusIsAStringEnumAndUnknownValuesSurvive() throws {
        #expect(try decode(NotificationStatus.self, #""NotSent""#) == .notSent)
        #expect(try decode(NotificationStatus.self, #""Failed""#) == .failed)
        #expect(try decode(NotificationStatus.self, #""Bounced""#) == .other("Bounced"))
    }

    @Test func processStateWhileSigningAndOnceEnded() throws {
        let signing = try decode(
            AppProcessState.self,
            #"{"started":"2025-01-01T10:00:00.1234567Z","startEvent":"StartEvent_1","currentTask":{"flow":3,"started":"2025-01-01T10:00:00Z","elementId":"Task_2","name":"Signering","altinnTaskType":"signing","ended":null,"validated":null,"flowType":"CompleteCurrentMoveToNext","actions":{"read":true,"write":true,"sign":true,"reject":true},"userActions":[{"id":"sign","authorized":true,"type":"ProcessAction"}],"read":true,"write":true,"elementType":"Task"},"ended":null,"endEvent":null,"processTasks":[{"altinnTaskType":"data","elementId":"Task_1","elementType":"Task"},{"altinnTaskType":"signing","elementId":"Task_2","elementType":"Task"}]}"#
        )
        #expect(signing.currentTask?.isSigningTask == true)
        #expect(signing.currentTask?.actions?["sign"] == true)
        #expect(signing.currentTask?.userActions?.first?.type == "ProcessAction")
        let ended = try decode(
            AppProcessState.self,
            #"{"started":"2019-09-25T09:32:44.20Z","startEvent":"StartEvent_1","ended":"2019-10-10T14:01:22.034Z","endEvent":"EndEvent_1"}"#
        )
        #expect(ended.currentTask == nil)
        #expect(ended.endEvent == "EndEvent_1")
    }

    @Test func processNextAndActionBodiesUseTheirOwnOnBehalfOfNames() throws {
        let next = String(
            decoding: try JSONEncoder().encode(ProcessNext(action: "sign", actionOnBehalfOf: "310000000")),
            as: UTF8.self)
        #expect(next.contains(#""actionOnBehalfOf":"310000000""#))
        #expect(!next.contains(#""onBehalfOf""#))
        let action = String(
            decoding: try JSONEncoder().encode(UserActionRequest(action: "sign", onBehalfOf: "310000000")),
            as: UTF8.self)
        #expect(action.contains(#""onBehalfOf":"310000000""#))
        #expect(!action.contains("actionOnBehalfOf"))
        let complete = String(decoding: try JSONEncoder().encode(ProcessNext(action: nil)), as: UTF8.self)
        #expect(complete == #"{"action":null}"#)
    }

    // MARK: - Rejections

    func rejection(
        _ status: Int, _ body: String, contentType: String = "application/json",
        _ operation: AltinnOperation = .processNext
    )
        -> AltinnRejection
    {
        AltinnRejectionDecoder.decode(
            InboundResponse(
                status: .init(code: status), headerFields: [.contentType: contentType], body: Array(body.utf8)),
            operation: operation)
    }

    @Test func missingSignaturesCarriesTheValidationIssues() {
        let decoded = rejection(
            409,
            #"{"title":"Validation failed for task","status":409,"detail":"1 validation errors found for task Task_2","validationIssues":[{"severity":1,"dataElementId":null,"field":null,"code":"MissingSignatures","description":"Det mangler påkrevde signaturer.","source":"Altinn.App.Core.Features.Validation.Default.SigningTaskValidator-*","noIncrementalUpdates":true}]}"#,
            contentType: "application/problem+json")
        #expect(decoded.reason == .validationFailed)
        #expect(decoded.hasMissingSignatures)
        #expect(decoded.validationIssues.first?.severity == 1)
        #expect(decoded.validationIssues.first?.description == "Det mangler påkrevde signaturer.")
    }

    @Test func processEndedAsProblemPlainTextOrJSONString() {
        #expect(
            rejection(409, #"{"status":409,"detail":"Process is ended.","validationIssues":null}"#).reason
                == .processEnded)
        #expect(rejection(409, "Process is ended.", contentType: "text/plain", .performAction).reason == .processEnded)
        #expect(rejection(409, #""Process is ended.""#, .performAction).reason == .processEnded)
        #expect(
            rejection(409, #"{"status":409,"detail":"Process is ended.","validationIssues":null}"#).validationIssues
                .isEmpty)
    }

    @Test func emptyBodiesOn401And403And500() {
        #expect(rejection(401, "").reason == .unauthorized)
        #expect(rejection(403, "").reason == .forbidden)
        #expect(rejection(500, "").reason == .other)
        #expect(rejection(500, "").status == 500)
    }

    @Test func failedUserActionKeepsTheErrorCode() {
        let decoded = rejection(
            401,
            #"{"instance":{},"updatedDataModels":null,"updatedValidationIssues":null,"clientActions":null,"error":{"code":"UnauthorizedOnBehalfOf","message":"Unauthorized to sign on behalf of.","metadata":null},"redirectUrl":null}"#,
            .performAction)
        #expect(decoded.actionErrorCode == "UnauthorizedOnBehalfOf")
    }

    @Test func notASigningTaskAndActionMissing() {
        #expect(
            rejection(
                400,
                #"{"title":"Not a signing task","detail":"This endpoint is only callable while the current task is a signing task, or when taskId query param is set to a signing task's ID.","status":400}"#,
                .getSigningState
            ).reason == .notASigningTask)
        #expect(
            rejection(
                400,
                #"{"title":"Action is missing","status":400,"detail":"Action is missing in the request","instance":"b1135209-628e-4a6e-9efd-e4282068ef41"}"#,
                .performAction
            ).reason == .actionMissing)
    }

    @Test func frameworkProblemDetailsAreUnderstood() {
        let decoded = rejection(
            404,
            #"{"type":"https://tools.ietf.org/html/rfc9110#section-15.5.5","title":"Not Found","status":404,"traceId":"00-abc-def-00"}"#
        )
        #expect(decoded.reason == .notFound)
    }
}
