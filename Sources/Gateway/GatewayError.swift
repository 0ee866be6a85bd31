public import AltinnAPI
public import Tokens

/// Why a use case failed. Mapped to an HTTP problem once, at the edge.
public enum GatewayError: Error, Sendable, Equatable {
    /// No token could be had for the profile; nothing was sent to Altinn.
    case token(TokenError)
    /// Altinn failed or refused. `signMayHaveHappened` is true when a sign call may have been executed.
    case altinn(AltinnError, signMayHaveHappened: Bool)
    /// The pre-check found the process ended; nothing was signed.
    case processEnded
    /// The pre-check found the current task is not a signing task; nothing was signed.
    case notInSigningTask(ProcessPosition)
}

extension GatewayError {
    /// Whether Altinn may have executed the sign despite the failure.
    public var signMayHaveHappened: Bool {
        if case .altinn(_, let may) = self { return may }
        return false
    }

    /// Altinn answered 404 for the instance itself: it does not exist (or no longer).
    var instanceGone: Bool {
        if case .altinn(.rejected(let rejection), _) = self { return rejection.status == 404 }
        return false
    }

    /// Whether a failed `process/next` provably had no effect: it never left, or Altinn refused it (4xx).
    var processNextNotExecuted: Bool {
        if self.releasesIdempotencyKey { return true }
        if case .altinn(.rejected(let rejection), _) = self { return (400..<500).contains(rejection.status) }
        return false
    }
}
