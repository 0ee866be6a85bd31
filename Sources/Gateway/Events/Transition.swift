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
    /// The task's signatures were removed: a reject through the gateway (`request` names it), or signatures the
    /// gateway had seen found gone (a reject elsewhere; `request` nil, `round` tells them apart).
    case signingRejected(SigningReset)
    /// Altinn refused to move on because signed data changed after signing (`InvalidSignatureHash`).
    case signingInvalidated(request: String?, taskId: String?, detail: String)
    /// A signee unsigned, or whose notification or delegation failed, for `events.stallAfterHours`.
    case signeeStalled(SigneeStall)

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
        case .signingRejected: return .signingRejected
        case .signingInvalidated: return .signingInvalidated
        case .signeeStalled: return .signeeStalled
        }
    }

    /// What the transition is about and what happened to it: the input of the deterministic event id, so
    /// observing the same change again never yields a second event.
    var identity: (subject: String, change: String) {
        switch self {
        case .signeeSigned(let signee, let snapshot):
            return ("party:\(signee.partyId)", "signed:\(snapshot.taskKey)")
        case .notificationFailed(let signee, let snapshot):
            return ("party:\(signee.partyId)", "notification.failed:\(snapshot.taskKey)")
        case .delegationFailed(let signee, let snapshot):
            return ("party:\(signee.partyId)", "delegation.failed:\(snapshot.taskKey)")
        case .signingCompleted(let snapshot):
            return ("instance", "signing.completed:\(snapshot.taskKey)")
        case .signeeStalled(let stall):
            // Signee, reason and round (in the task key): each stall is told once per round.
            return ("party:\(stall.signee.partyId)", "stalled.\(stall.reason.rawValue):\(stall.snapshot.taskKey)")
        case .signingRejected(let reset):
            if let request = reset.request { return ("request:\(request)", "signing.rejected") }
            return ("instance", "signing.rejected:\(reset.taskId ?? "")#\(reset.round)")
        case .signingInvalidated(let request, let taskId, _):
            return (request.map { "request:\($0)" } ?? "instance", "signing.invalidated:\(taskId ?? "")")
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

/// Signatures of a task removed, as the gateway learned it.
package struct SigningReset: Sendable, Equatable {
    /// The reject request through the gateway (`{clientId}/{idempotencyKey}`); nil when observed by a poll.
    package var request: String?
    /// Who rejected, when the gateway did it: the client.
    package var rejectedBy: String?
    package var taskId: String?
    /// Signatures removed, as far as the gateway saw them before; nil when it did not know.
    package var removedSignatures: Int?
    /// Where the process went, when known.
    package var process: ProcessPosition?
    /// The round of signing that begins now.
    package var round: Int

    package init(
        request: String?, rejectedBy: String?, taskId: String?, removedSignatures: Int?, process: ProcessPosition?,
        round: Int
    ) {
        self.request = request
        self.rejectedBy = rejectedBy
        self.taskId = taskId
        self.removedSignatures = removedSignatures
        self.process = process
        self.round = round
    }
}

extension SigningSnapshot {
    /// The task and, after a reset, the round: what keeps a re-sign's event id apart from the first one's.
    var taskKey: String { self.round == 0 ? (self.taskId ?? "") : "\(self.taskId ?? "")#\(self.round)" }
}
