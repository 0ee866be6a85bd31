/// One change the gateway observed, before it becomes a CloudEvent.
package enum Transition: Sendable, Equatable {
    case signeeSigned(NormalizedSignee, SigningSnapshot)
    case notificationFailed(NormalizedSignee, SigningSnapshot)
    case delegationFailed(NormalizedSignee, SigningSnapshot)
    case signingCompleted(SigningSnapshot)
    case processMoved(ProcessPosition)
    case processCompleted(ProcessPosition)
    /// `request` names the sign request (client and idempotency key), so each failed request is one event.
    case signFailed(request: String, problem: SignProblem)
    case signOutcomeUnknown(request: String, problem: SignProblem)
    /// A sign request whose outcome was unknown, now seen signed; `idempotencyKey` for the caller to match it.
    case signConfirmed(request: String, idempotencyKey: String, NormalizedSignee, SigningSnapshot)

    package var type: EventType {
        switch self {
        case .signeeSigned: return .signeeSigned
        case .notificationFailed: return .notificationFailed
        case .delegationFailed: return .delegationFailed
        case .signingCompleted: return .signingCompleted
        case .processMoved: return .processMoved
        case .processCompleted: return .processCompleted
        case .signFailed: return .signFailed
        case .signOutcomeUnknown: return .signOutcomeUnknown
        case .signConfirmed: return .signConfirmed
        }
    }

    /// What the transition is about and what happened to it: the input of the deterministic event id, so
    /// observing the same change again never yields a second event.
    var identity: (subject: String, change: String) {
        switch self {
        case .signeeSigned(let signee, let snapshot):
            return ("party:\(signee.partyId)", "signed:\(snapshot.taskId ?? "")")
        case .notificationFailed(let signee, let snapshot):
            return ("party:\(signee.partyId)", "notification.failed:\(snapshot.taskId ?? "")")
        case .delegationFailed(let signee, let snapshot):
            return ("party:\(signee.partyId)", "delegation.failed:\(snapshot.taskId ?? "")")
        case .signingCompleted(let snapshot):
            return ("instance", "signing.completed:\(snapshot.taskId ?? "")")
        case .processMoved(let position):
            return ("instance", "process.moved:\(position.currentTask?.id ?? "")")
        case .processCompleted:
            return ("instance", "process.completed")
        case .signFailed(let request, _):
            return ("request:\(request)", "sign.failed")
        case .signOutcomeUnknown(let request, _):
            return ("request:\(request)", "sign.outcome-unknown")
        case .signConfirmed(let request, _, _, _):
            return ("request:\(request)", "sign.confirmed")
        }
    }
}

/// Why a sign request failed, as the caller was told (the problem's type, status and detail).
package struct SignProblem: Sendable, Equatable {
    package var type: String
    package var status: Int
    package var detail: String
    package var upstreamStatus: Int?

    package init(type: String, status: Int, detail: String, upstreamStatus: Int?) {
        self.type = type
        self.status = status
        self.detail = detail
        self.upstreamStatus = upstreamStatus
    }
}
