package import AltinnAPI

/// Single signing moves the process on (`PUT process/next {"action":"sign"}`); parallel signing
/// leaves the process in the signing task (`POST actions {"action":"sign"}`).
package enum SigningMode: String, Sendable, Equatable, CaseIterable {
    case single
    case parallel
}

package struct SignCommand: Sendable, Equatable {
    package var instance: InstanceReference
    package var mode: SigningMode
    /// Organisation number to sign on behalf of.
    package var onBehalfOf: String?
    package var language: String?
    /// Token profile to use; `nil` means the configured default.
    package var tokenProfile: String?

    package init(
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

package struct ProcessNextCommand: Sendable, Equatable {
    package var instance: InstanceReference
    package var language: String?
    package var tokenProfile: String?

    package init(instance: InstanceReference, language: String? = nil, tokenProfile: String? = nil) {
        self.instance = instance
        self.language = language
        self.tokenProfile = tokenProfile
    }
}

/// `PUT process/next {"action":"reject"}`: leaves the signing task the way its BPMN routes a reject, and Altinn
/// removes the signee state and every signature of the task. The same members as a process/next.
package typealias RejectCommand = ProcessNextCommand

package struct RejectOutcome: Sendable, Equatable {
    package var instance: InstanceReference
    /// The task that was rejected.
    package var taskId: String
    /// Signatures the task held just before (all removed by Altinn); nil when the signing state could not be read.
    package var removedSignatures: Int?
    /// Where the process went.
    package var process: ProcessPosition
}

package struct SigningStateQuery: Sendable, Equatable {
    package var instance: InstanceReference
    package var taskId: String?
    package var language: String?
    package var tokenProfile: String?

    package init(
        instance: InstanceReference, taskId: String? = nil, language: String? = nil, tokenProfile: String? = nil
    ) {
        self.instance = instance
        self.taskId = taskId
        self.language = language
        self.tokenProfile = tokenProfile
    }
}

package struct SignOutcome: Sendable, Equatable {
    package var instance: InstanceReference
    package var mode: SigningMode
    /// Where the process stands after the sign, when Altinn said.
    package var process: ProcessPosition?
    package var signing: SigningObservation
    /// How the gateway knows the sign happened.
    package var confirmedBy: SignConfirmation = .answer
    /// Altinn's signature document of this sign (what was signed), when it was read.
    package var proof: ProofObservation?

    package init(
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

package enum SignConfirmation: String, Sendable, Equatable {
    /// Altinn answered the sign call.
    case answer
    /// The sign call's answer was lost, and the signing state read afterwards shows the gateway's signee signed.
    case observation
}

package struct ProcessNextOutcome: Sendable, Equatable {
    package var instance: InstanceReference
    package var process: ProcessPosition
}
