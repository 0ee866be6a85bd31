public import AltinnAPI

/// Single signing moves the process on (`PUT process/next {"action":"sign"}`); parallel signing
/// leaves the process in the signing task (`POST actions {"action":"sign"}`).
public enum SigningMode: String, Sendable, Equatable, CaseIterable {
    case single
    case parallel
}

public struct SignCommand: Sendable, Equatable {
    public var instance: InstanceReference
    public var mode: SigningMode
    /// Organisation number to sign on behalf of.
    public var onBehalfOf: String?
    public var language: String?
    /// Token profile to use; `nil` means the configured default.
    public var tokenProfile: String?

    public init(
        instance: InstanceReference,
        mode: SigningMode,
        onBehalfOf: String? = nil,
        language: String? = nil,
        tokenProfile: String? = nil
    ) {
        self.instance = instance
        self.mode = mode
        self.onBehalfOf = onBehalfOf
        self.language = language
        self.tokenProfile = tokenProfile
    }
}

public struct ProcessNextCommand: Sendable, Equatable {
    public var instance: InstanceReference
    public var language: String?
    public var tokenProfile: String?

    public init(instance: InstanceReference, language: String? = nil, tokenProfile: String? = nil) {
        self.instance = instance
        self.language = language
        self.tokenProfile = tokenProfile
    }
}

public struct SigningStateQuery: Sendable, Equatable {
    public var instance: InstanceReference
    public var taskId: String?
    public var language: String?
    public var tokenProfile: String?

    public init(
        instance: InstanceReference, taskId: String? = nil, language: String? = nil, tokenProfile: String? = nil
    ) {
        self.instance = instance
        self.taskId = taskId
        self.language = language
        self.tokenProfile = tokenProfile
    }
}

public struct SignOutcome: Sendable, Equatable {
    public var instance: InstanceReference
    public var mode: SigningMode
    /// Where the process stands after the sign, when Altinn said.
    public var process: ProcessPosition?
    public var signing: SigningObservation
    /// How the gateway knows the sign happened.
    public var confirmedBy: SignConfirmation = .answer

    public init(
        instance: InstanceReference, mode: SigningMode, process: ProcessPosition?, signing: SigningObservation,
        confirmedBy: SignConfirmation = .answer
    ) {
        self.instance = instance
        self.mode = mode
        self.process = process
        self.signing = signing
        self.confirmedBy = confirmedBy
    }
}

public enum SignConfirmation: String, Sendable, Equatable {
    /// Altinn answered the sign call.
    case answer
    /// The sign call's answer was lost, and the signing state read afterwards shows the gateway's signee signed.
    case observation
}

public struct ProcessNextOutcome: Sendable, Equatable {
    public var instance: InstanceReference
    public var process: ProcessPosition
}
