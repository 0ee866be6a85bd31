import Foundation

/// Which actions the simulated policy (PDP) grants on a task type. Mirrors the typical app
/// policy: read/write everywhere, `sign` only in a signing task.
enum TaskPolicy {
    static func allowedActions(for taskType: String) -> Set<String> {
        Set(self.actionIds(for: taskType))
    }

    /// In the order `AppProcessState.currentTask.actions` lists them. The demo BPMN lists `reject` on its
    /// signing task (`<altinn:action>reject</altinn:action>`), so it is offered there.
    static func actionIds(for taskType: String) -> [String] {
        taskType == "signing" ? ["read", "write", "sign", "reject"] : ["read", "write"]
    }
}

/// Why a sign was refused by `SigningUserAction`.
enum SignRefusal: Error, Equatable {
    case unauthorizedOnBehalfOf
}

/// The process and signing rules applied to one instance. Pure value mutations; the actor
/// around them gives atomicity.
extension InstanceRecord {
    /// `SigningUserAction`: the caller's identity signs the current signing task.
    mutating func sign(by identity: SimulatedIdentity, onBehalfOf: String?, now: Date)
        throws(SignRefusal)
    {
        let onBehalfOf = onBehalfOf.flatMap { $0.isEmpty ? nil : $0 }
        if let onBehalfOf {
            // Only a user whose organisations include `onBehalfOf` may sign for it; a system user
            // never may (§1.2, `UnauthorizedOnBehalfOf`).
            guard identity.kind == .user, identity.organizationNumber == onBehalfOf else {
                throw .unauthorizedOnBehalfOf
            }
        }
        guard let task = currentTask, task.isSigning else { return }
        signCalls += 1
        lastChanged = now
        var rows = signees[task.elementId] ?? []
        if let index = rows.firstIndex(where: { $0.partyId == identity.partyId }) {
            // Storage since PR #656 replaces the signer's earlier signature: one row, newer time.
            rows[index].signedTime = now
        } else {
            // Role-based signing: a signature not tied to a listed signee (§1.3).
            rows.append(Self.unlistedSignee(identity, onBehalfOf: onBehalfOf != nil, signedTime: now))
        }
        signees[task.elementId] = rows
        self.storeSignDocument(
            taskId: task.elementId, signeePartyId: identity.partyId,
            userId: identity.kind == .user ? String(identity.partyId) : nil,
            systemUserId: identity.kind == .systemUser ? Self.systemUserId(partyId: identity.partyId) : nil,
            organisationNumber: onBehalfOf, now: now)
    }

    static func unlistedSignee(_ identity: SimulatedIdentity, onBehalfOf: Bool, signedTime: Date)
        -> SigneeRecord
    {
        switch identity.kind {
        case .systemUser:
            return SigneeRecord(
                kind: .systemUser, name: "System", organization: identity.organizationName,
                partyId: identity.partyId, delegationSuccessful: true, notificationStatus: "Sent",
                signedTime: signedTime)
        case .user:
            return SigneeRecord(
                kind: onBehalfOf ? .personOnBehalfOfOrganization : .person, name: identity.name,
                organization: onBehalfOf ? identity.organizationName : nil, partyId: identity.partyId,
                delegationSuccessful: true, notificationStatus: "Sent", signedTime: signedTime)
        }
    }

    /// Out-of-band signature by a listed signee (admin route). Returns false if not listed.
    mutating func signOutOfBand(signeePartyId: Int, now: Date) -> Bool {
        guard let task = currentTask, task.isSigning,
            let index = signees[task.elementId]?.firstIndex(where: { $0.partyId == signeePartyId })
        else { return false }
        signees[task.elementId]?[index].signedTime = now
        if let signee = signees[task.elementId]?[index] {
            self.storeSignDocument(for: signee, taskId: task.elementId, now: now)
        }
        lastChanged = now
        return true
    }

    /// `SigningTaskValidator`: a listed signee without a signature is an error.
    func hasMissingSignatures(taskId: String) -> Bool {
        (signees[taskId] ?? []).contains { $0.signedTime == nil }
    }

    /// Moves to the next task, or to the end event after the last task.
    mutating func moveNext(now: Date) {
        guard let index = process.currentTaskIndex else { return }
        process.flow += 1
        lastChanged = now
        if tasks[index].isSigning { endedSigningTasks.insert(tasks[index].elementId) }
        if index + 1 < tasks.count {
            process.currentTaskIndex = index + 1
            process.currentTaskStarted = now
            endedSigningTasks.remove(tasks[index + 1].elementId)
        } else {
            process.currentTaskIndex = nil
            process.currentTaskStarted = nil
            process.ended = now
        }
    }

    /// True once a system user's signature is on any signing task (trigger of `failSigningAfterSign`).
    var systemUserHasSigned: Bool {
        signees.values.contains { rows in
            rows.contains { $0.kind == .systemUser && $0.signedTime != nil }
        }
    }
}
