package import AltinnAPI

/// Who a signee is, derived from which of `name` / `organization` Altinn fills in.
package enum SigneeKind: String, Sendable, Equatable, Codable {
    case person
    case organization
    case personOnBehalfOfOrganization
    case systemUser
}

/// Where a signee stands, in one word a caller can switch on.
package enum SigneeStatus: String, Sendable, Equatable, Codable {
    case signed
    case awaitingSignature
    case notificationFailed
    case delegationFailed
}

package enum NotificationState: String, Sendable, Equatable, Codable {
    case notSent
    case sent
    case failed
}

/// One signee, normalized from Altinn's `SigneeState`.
package struct NormalizedSignee: Sendable, Equatable {
    package var partyId: Int
    package var kind: SigneeKind
    package var name: String?
    package var organization: String?
    package var delegated: Bool
    package var notification: NotificationState
    package var signedAt: AltinnTimestamp?
    package var status: SigneeStatus

    package init(_ state: SigneeState) {
        self.partyId = state.partyId
        self.name = state.name.flatMap { $0.isEmpty ? nil : $0 }
        self.organization = state.organization.flatMap { $0.isEmpty ? nil : $0 }
        self.delegated = state.delegationSuccessful
        self.signedAt = state.signedTime
        switch state.notificationStatus {
        case .notSent, .other: self.notification = .notSent
        case .sent: self.notification = .sent
        case .failed: self.notification = .failed
        }
        // SigningController writes "System" as the name of a system-user signee, with its organisation.
        switch (self.name, self.organization) {
        case ("System", .some): self.kind = .systemUser
        case (.some, .some): self.kind = .personOnBehalfOfOrganization
        case (nil, .some): self.kind = .organization
        default: self.kind = .person
        }
        // A signature settles everything else; otherwise the first failure on the way to the signee wins.
        if state.signedTime != nil {
            self.status = .signed
        } else if !state.delegationSuccessful {
            self.status = .delegationFailed
        } else if self.notification == .failed {
            self.status = .notificationFailed
        } else {
            self.status = .awaitingSignature
        }
    }
}

/// The signing state of one task: every listed signee, counts, and whether all have signed.
package struct SigningSnapshot: Sendable, Equatable {
    package var taskId: String?
    package var signees: [NormalizedSignee]
    /// How often the task's signatures were wiped (a reject) before this reading, as the gateway counted: a sign
    /// after a reject is a new fact, so its event must not share the id of the one before.
    package var round = 0
    /// Signature documents the gateway read, by the signee's party id (its own sign's, after a sign).
    package var proofs: [Int: SignatureProof] = [:]

    package init(taskId: String?, states: [SigneeState]) {
        self.taskId = taskId
        self.signees = states.map(NormalizedSignee.init)
    }

    package func count(_ status: SigneeStatus) -> Int {
        self.signees.reduce(0) { $0 + ($1.status == status ? 1 : 0) }
    }

    /// Every listed signee has signed (and there is at least one).
    package var complete: Bool {
        !self.signees.isEmpty && self.signees.allSatisfy { $0.status == .signed }
    }
}

/// What the gateway knows of the signing state after an operation.
package enum SigningObservation: Sendable, Equatable {
    case known(SigningSnapshot)
    /// Altinn did not tell (e.g. a 5xx from `…/signing` right after a sign). Never means "not signed".
    case unknown(taskId: String?, reason: String)
}
