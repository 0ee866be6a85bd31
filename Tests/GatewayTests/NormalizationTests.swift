import AltinnAPI
import Testing

@testable import Gateway

@Suite struct NormalizationTests {
    func state(
        name: String?, organization: String?, delegated: Bool = true, notification: NotificationStatus = .sent,
        signed: Bool = false, partyId: Int = 1
    ) -> SigneeState {
        SigneeState(
            name: name, organization: organization, delegationSuccessful: delegated, notificationStatus: notification,
            partyId: partyId, signedTime: signed ? AltinnTimestamp("2025-03-03T11:16:02.9390324Z") : nil)
    }

    @Test func kindsFollowWhatSigningControllerFillsIn() {
        #expect(NormalizedSignee(state(name: "BØYLEHEST MATT", organization: nil)).kind == .person)
        #expect(NormalizedSignee(state(name: nil, organization: "LYDIG VENNLIG KATT KJERNE")).kind == .organization)
        #expect(NormalizedSignee(state(name: "", organization: "ACME")).kind == .organization)
        #expect(
            NormalizedSignee(state(name: "FISK KUNSTIG", organization: "ACME")).kind == .personOnBehalfOfOrganization)
        #expect(NormalizedSignee(state(name: "System", organization: "ERP AS")).kind == .systemUser)
    }

    @Test func statusPrecedence() {
        #expect(
            NormalizedSignee(state(name: "A", organization: nil, delegated: false, notification: .failed, signed: true))
                .status == .signed)
        #expect(
            NormalizedSignee(state(name: "A", organization: nil, delegated: false, notification: .failed)).status
                == .delegationFailed)
        #expect(
            NormalizedSignee(state(name: "A", organization: nil, notification: .failed)).status == .notificationFailed)
        #expect(
            NormalizedSignee(state(name: "A", organization: nil, notification: .notSent)).status == .awaitingSignature)
        #expect(
            NormalizedSignee(state(name: "A", organization: nil, notification: .other("New"))).notification == .notSent)
    }

    @Test func snapshotCountsAndCompleteness() {
        let partial = SigningSnapshot(
            taskId: "Task_2",
            states: [
                state(name: "A", organization: nil, signed: true),
                state(name: "B", organization: nil, notification: .failed),
                state(name: "C", organization: nil, delegated: false),
                state(name: "D", organization: nil),
            ])
        #expect(partial.count(.signed) == 1)
        #expect(partial.count(.notificationFailed) == 1)
        #expect(partial.count(.delegationFailed) == 1)
        #expect(partial.count(.awaitingSignature) == 1)
        #expect(!partial.complete)
        #expect(SigningSnapshot(taskId: nil, states: [state(name: "A", organization: nil, signed: true)]).complete)
        #expect(!SigningSnapshot(taskId: nil, states: []).complete)
    }
}
