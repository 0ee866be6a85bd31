/// The event catalogue. Types are reverse-DNS and stable: subscribers filter and switch on them.
/// Each is documented with its data schema under `webhooks:` in openapi.yaml.
package enum EventType: String, Sendable, Equatable, CaseIterable {
    case signeeSigned = "no.signinggateway.signee.signed"
    case notificationFailed = "no.signinggateway.signee.notification.failed"
    case delegationFailed = "no.signinggateway.signee.delegation.failed"
    /// Every listed signee of the signing task has signed.
    case signingCompleted = "no.signinggateway.signing.completed"
    /// The process entered another task.
    case processMoved = "no.signinggateway.process.moved"
    case processCompleted = "no.signinggateway.process.completed"
    /// A sign request through the gateway was refused by Altinn or could not be sent.
    case signFailed = "no.signinggateway.sign.failed"
    /// A sign request through the gateway may or may not have signed (Altinn did not answer).
    case signOutcomeUnknown = "no.signinggateway.sign.outcome-unknown"
    /// A sign whose outcome was unknown has since been observed: the gateway's signee shows as signed.
    case signConfirmed = "no.signinggateway.sign.confirmed"
    /// The signing task's signatures were removed (a reject, through the gateway or seen by a poll).
    case signingRejected = "no.signinggateway.signing.rejected"
    /// Altinn will not move on: signed data changed after signing (`InvalidSignatureHash`). Only a reject and a
    /// new round of signing clears it.
    case signingInvalidated = "no.signinggateway.signing.invalidated"
    /// A tracked signee has not signed (or its notification or delegation failed and stayed so) for
    /// `events.stallAfterHours`: once per signee, reason and round of signing.
    case signeeStalled = "no.signinggateway.signee.stalled"
}
