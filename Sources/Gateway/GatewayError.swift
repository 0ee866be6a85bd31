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
}
