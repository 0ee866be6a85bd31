package import AltinnAPI
package import Tokens

/// Why a use case failed. Mapped to an HTTP problem once, at the edge.
package enum GatewayError: Error, Sendable, Equatable {
    /// No token could be had for the profile; nothing was sent to Altinn.
    case token(TokenError)
    /// Altinn failed or refused. `signMayHaveHappened` is true when a sign call may have been executed.
    case altinn(AltinnError, signMayHaveHappened: Bool)
    /// The pre-check found the process ended; nothing was signed.
    case processEnded
    /// The pre-check found the current task is not a signing task; nothing was signed.
    case notInSigningTask(ProcessPosition)
    /// Altinn refused a call, and reading the process state told why (instead of guessing from a bare
    /// status). Nothing was signed.
    case diagnosed(AltinnRejection, Diagnosis)
    /// Another write to the instance (from another replica) held its lease past the wait, or the lease could
    /// not be taken (`storeFailed`). Nothing was sent to Altinn.
    case instanceBusy(storeFailed: Bool)
    /// The pre-check found that the current task does not offer `reject` to this token profile's identity (the
    /// BPMN lists no reject there, or the policy denies it). Nothing was sent.
    case rejectNotOffered(ProcessPosition)

    /// What the process state says about a refusal.
    package enum Diagnosis: Sendable, Equatable {
        case processNotStarted
        case processEnded
        case notInSigningTask(ProcessPosition)
        /// A 403 while the instance is in a signing task: the token profile's identity may not sign it there.
        case signingForbidden(tokenProfile: String, taskId: String)
        /// Altinn does not know the instance, or will not show it to the token profile's identity.
        case instanceNotFound
    }
}

extension GatewayError {
    /// Whether Altinn may have executed the sign despite the failure.
    package var signMayHaveHappened: Bool {
        if case .altinn(_, let may) = self { return may }
        return false
    }

    /// Altinn answered 404 for the instance itself: it does not exist (or no longer).
    var instanceGone: Bool {
        if case .diagnosed(_, .instanceNotFound) = self { return true }
        if case .altinn(.rejected(let rejection), _) = self { return rejection.status == 404 }
        return false
    }

    /// Whether a failed `process/next` provably had no effect: it never left, or Altinn refused it (4xx).
    var processNextNotExecuted: Bool {
        if self.releasesIdempotencyKey { return true }
        if case .altinn(.rejected(let rejection), _) = self { return (400..<500).contains(rejection.status) }
        if case .diagnosed(let rejection, _) = self { return (400..<500).contains(rejection.status) }
        return false
    }
}
