package import AltinnAPI
package import Logging
package import Tokens
import Transport

/// The signing use cases: sign (single or parallel), complete a task, read the signing state.
/// Knows no HTTP server; takes commands, returns outcomes or a `GatewayError`.
package struct SigningService: Sendable {
    let altinn: AltinnClient
    private let tokens: any TokenProvider
    package let defaultTokenProfile: String
    private let retry: RetryPolicy
    /// One Altinn write at a time per instance; the use cases' idempotency gate claims keys through it.
    package let writes: InstanceWriteGate
    let logger: Logger

    package init(
        altinn: AltinnClient,
        tokens: any TokenProvider,
        defaultTokenProfile: String,
        retry: RetryPolicy = RetryPolicy(),
        writes: InstanceWriteGate = InstanceWriteGate(),
        logger: Logger
    ) {
        self.writes = writes
        self.altinn = altinn
        self.tokens = tokens
        self.defaultTokenProfile = defaultTokenProfile
        self.retry = retry
        self.logger = logger
    }

    package var environment: AltinnEnvironment { self.altinn.environment }

    /// The token profiles this service draws on, for readiness and expiry metrics.
    package var tokenProvider: any TokenProvider { self.tokens }

    // MARK: - Sign

    /// The pre-check, the sign and the reads that settle it run with the instance's write gate held. The proof is
    /// read beside the signing state, from the data elements the actions answer lists; when those do not settle
    /// it, the instance is read after the gate is given back (only reads, of a document that no longer changes),
    /// so the next write need not wait for them.
    package func sign(_ command: SignCommand, handOff: LeaseHandOff? = nil) async throws(GatewayError) -> SignOutcome {
        let signed = try await self.writes.serialized(command.instance.description, handOff: handOff) {
            () async throws(GatewayError) in
            try await self.signGated(command)
        }
        var outcome = signed.outcome
        if outcome.confirmedBy == .answer {
            outcome.proof = await self.proofAfterSign(
                command, taskId: outcome.signing.taskId, command.tokenProfile ?? self.defaultTokenProfile,
                signed.proofSearch)
        }
        return outcome
    }

    /// A sign's outcome and how far its proof was found from the sign call's answer.
    private struct Signed: Sendable {
        var outcome: SignOutcome
        var proofSearch = ProofSearch()
    }

    /// What the one signing call answered: where the process stands, and (actions only) the data elements.
    private struct SignAnswer: Sendable {
        var process: ProcessPosition?
        var dataElements: [DataElement]?
    }

    private func signGated(_ command: SignCommand) async throws(GatewayError) -> Signed {
        let profile = command.tokenProfile ?? self.defaultTokenProfile
        let instance = command.instance
        // Single signing moves the process on, so the signing task's id must be known first:
        // `…/signing` needs `?taskId=` once the process has left that task.
        var signingTaskId: String?
        if command.mode == .single {
            let before = try await self.processPosition(instance, tokenProfile: profile)
            guard !before.isEnded else { throw .processEnded }
            guard let task = before.currentTask, task.type == "signing" else { throw .notInSigningTask(before) }
            signingTaskId = task.id
        }
        let answer: SignAnswer
        do {
            answer = try await self.signCall(command, profile: profile)
        } catch let failure {
            let settled = try await self.settle(failure, command, profile: profile, signingTaskId: signingTaskId)
            return Signed(outcome: settled)
        }
        let process = answer.process
        let taskId = signingTaskId ?? process?.currentTask?.id
        // Two reads at once, on two upstream connections: neither depends on the other.
        async let proofSearch = self.proofInAnswer(command, taskId: taskId, profile, answer.dataElements)
        let signing = await self.observeAfterSign(instance, taskId: taskId, language: command.language, profile)
        self.logger.info(
            "signed",
            metadata: [
                "instance": "\(instance)", "mode": "\(command.mode.rawValue)", "tokenProfile": "\(profile)",
                "signingState": "\(signing.isKnown ? "known" : "unknown")",
            ])
        return Signed(
            outcome: SignOutcome(instance: instance, mode: command.mode, process: process, signing: signing),
            proofSearch: await proofSearch)
    }

    /// The one call that signs: `POST …/actions` (parallel) or `PUT …/process/next {"action":"sign"}` (single).
    private func signCall(_ command: SignCommand, profile: String) async throws(GatewayError) -> SignAnswer {
        switch command.mode {
        case .parallel:
            let response = try await self.signCall(profile: profile) { token throws(AltinnError) in
                try await self.altinn.performAction(
                    command.instance, body: UserActionRequest(action: "sign", onBehalfOf: command.onBehalfOf),
                    language: command.language, token: token)
            }
            return SignAnswer(
                process: ProcessPosition(response.instance?.process), dataElements: response.instance?.data)
        case .single:
            let after = try await self.signCall(profile: profile) { token throws(AltinnError) in
                try await self.altinn.processNext(
                    command.instance, body: ProcessNext(action: "sign", actionOnBehalfOf: command.onBehalfOf),
                    language: command.language, token: token)
            }
            return SignAnswer(process: ProcessPosition(after))
        }
    }

    /// After a successful sign, a failing `…/signing` means "state unknown", never "sign failed".
    private func observeAfterSign(
        _ instance: InstanceReference,
        taskId: String?,
        language: String?,
        _ profile: String
    ) async -> SigningObservation {
        do {
            let state = try await self.read(profile: profile) { token throws(AltinnError) in
                try await self.altinn.signingState(instance, taskId: taskId, language: language, token: token)
            }
            return .known(SigningSnapshot(taskId: taskId, states: state.signeeStates))
        } catch {
            self.logger.warning(
                "signing state unknown after sign", metadata: ["instance": "\(instance)", "error": "\(error)"])
            return .unknown(taskId: taskId, reason: Self.describe(error))
        }
    }

    // MARK: - Proof

    /// The signature documents of an instance's task (or of every task), read as the token profile's identity.
    /// A document Altinn will not show (its data type requires an action the identity lacks, such as
    /// `signature-access`) is listed as unreadable with why; a JSON element that is no signature document is left out.
    package func signatureDocuments(
        _ instance: InstanceReference, taskId: String?, tokenProfile: String?
    ) async throws(GatewayError) -> SignatureListing {
        let profile = tokenProfile ?? self.defaultTokenProfile
        var listing = SignatureListing(documents: [], unreadable: [])
        for element in try await self.signatureCandidates(instance, taskId: taskId, profile) {
            switch await self.signDocument(instance, element, profile) {
            case .document(let proof): listing.documents.append(proof)
            case .unreadable(let reason):
                listing.unreadable.append(.init(dataElementId: element.id ?? "", reason: reason))
            case .notASignature: continue
            }
        }
        return listing
    }

    /// After a sign: the newest signature document of the task by a system user (the gateway signs as one, and
    /// Storage replaces a signee's earlier document), read newest first so a task with many signatures costs one
    /// read, not one per signee. Never fails the sign: a proof that cannot be read says why.
    ///
    /// The actions answer already lists the instance's data elements after the sign (`proofInAnswer`), so the
    /// instance is read again only when those hold no document of the gateway's (an app that answers with the
    /// instance as it was before the sign) and none of them was refused.
    private func proofAfterSign(
        _ command: SignCommand, taskId: String?, _ profile: String, _ search: ProofSearch
    ) async -> ProofObservation {
        if let proof = search.found { return .recorded(proof) }
        if let refused = search.firstUnreadable { return .unavailable(reason: refused) }
        var search = search
        let candidates: [DataElement]
        do {
            candidates = try await self.signatureCandidates(command.instance, taskId: taskId, profile)
        } catch {
            return .unavailable(reason: "the instance could not be read: \(Self.unreadable(error))")
        }
        if let proof = await self.ownProof(among: candidates, command, profile, &search) { return .recorded(proof) }
        return .unavailable(
            reason: search.firstUnreadable ?? "no signature document of the task names the gateway's signee")
    }

    /// The proof among the data elements a sign call answered with (none: nothing is read).
    private func proofInAnswer(
        _ command: SignCommand, taskId: String?, _ profile: String, _ answered: [DataElement]?
    ) async -> ProofSearch {
        var search = ProofSearch()
        guard let answered else { return search }
        search.found = await self.ownProof(among: Self.signatureElements(answered, taskId), command, profile, &search)
        return search
    }

    /// What a proof search has found and read so far: each document once, and the first reason one could not be.
    private struct ProofSearch: Sendable {
        var found: SignatureProof?
        var read: Set<String> = []
        var firstUnreadable: String?
    }

    /// The newest of `candidates` not read yet that the gateway's signee signed; at most `proofReadLimit` reads
    /// over the whole search (the answer's elements and, after them, the instance's).
    private func ownProof(
        among candidates: [DataElement], _ command: SignCommand, _ profile: String, _ search: inout ProofSearch
    ) async -> SignatureProof? {
        let unread = candidates.filter { !search.read.contains($0.id ?? "") }
        let newestFirst = unread.sorted { ($0.created?.description ?? "") > ($1.created?.description ?? "") }
        for element in newestFirst.prefix(max(0, Self.proofReadLimit - search.read.count)) {
            search.read.insert(element.id ?? "")
            switch await self.signDocument(command.instance, element, profile) {
            case .document(let proof):
                let own = command.onBehalfOf.map { proof.organisationNumber == $0 } ?? (proof.systemUserId != nil)
                if own { return proof }
            case .unreadable(let reason): search.firstUnreadable = search.firstUnreadable ?? reason
            case .notASignature: continue
            }
        }
        return nil
    }

    /// Documents read at most after a sign before giving up on finding the gateway's own.
    static let proofReadLimit = 5

    /// The instance's JSON data elements generated from a task (`taskId`, or any): where signature documents are.
    private func signatureCandidates(
        _ instance: InstanceReference, taskId: String?, _ profile: String
    ) async throws(GatewayError) -> [DataElement] {
        let document = try await self.read(profile: profile) { token throws(AltinnError) in
            try await self.altinn.instance(instance, token: token)
        }
        return Self.signatureElements(document.data ?? [], taskId)
    }

    private static func signatureElements(_ data: [DataElement], _ taskId: String?) -> [DataElement] {
        data.filter { element in
            guard element.id != nil, let task = element.generatedFromTask,
                element.contentType?.hasPrefix("application/json") == true
            else { return false }
            return taskId == nil || task == taskId
        }
    }

    private enum DocumentRead {
        case document(SignatureProof)
        case unreadable(String)
        case notASignature
    }

    private func signDocument(
        _ instance: InstanceReference, _ element: DataElement, _ profile: String
    ) async -> DocumentRead {
        do {
            let signed = try await self.read(profile: profile) { token throws(AltinnError) in
                try await self.altinn.signDocument(instance, dataElementId: element.id ?? "", token: token)
            }
            return .document(SignatureProof(signed, taskId: element.generatedFromTask))
        } catch .altinn(.undecodable, _) {
            return .notASignature  // generated JSON that is not a signature document
        } catch let failure {
            return .unreadable(Self.unreadable(failure))
        }
    }

    private static func unreadable(_ error: GatewayError) -> String {
        switch error {
        case .altinn(.rejected(let rejection), _) where rejection.status == 403:
            return
                "Altinn answered 403: the token profile's identity may not read signature documents (the data type "
                + "requires an action such as signature-access, which service owners hold)"
        case .altinn(.rejected(let rejection), _):
            return "Altinn answered \(rejection.status) to \(rejection.operation.rawValue)"
        case .altinn(.transport(_, let operation), _): return "Altinn did not answer \(operation.rawValue)"
        case .altinn(.undecodable(_, let operation), _):
            return "Altinn's answer to \(operation.rawValue) was unreadable"
        case .token: return "no token was available"
        default: return "it could not be read"
        }
    }

    // MARK: - Process next

    /// `PUT process/next` without an action: completes the current task (e.g. a parallel signing
    /// once everyone has signed). Not retried unless the request provably never left.
    package func processNext(
        _ command: ProcessNextCommand, handOff: LeaseHandOff? = nil
    ) async throws(GatewayError) -> ProcessNextOutcome {
        let profile = command.tokenProfile ?? self.defaultTokenProfile
        do {
            let state = try await self.writes.serialized(command.instance.description, handOff: handOff) {
                () async throws(GatewayError) in
                try await self.withToken(profile: profile, kind: .write) { token throws(AltinnError) in
                    try await self.altinn.processNext(
                        command.instance, body: ProcessNext(action: nil), language: command.language, token: token)
                }
            }
            return ProcessNextOutcome(instance: command.instance, process: ProcessPosition(state))
        } catch .altinn(let error, _) {
            throw .altinn(error, signMayHaveHappened: false)
        }
    }

    // MARK: - Reject

    /// `PUT process/next {"action":"reject"}` where the current task offers it, with the instance's write gate
    /// held. The signatures about to be removed are counted first, so the answer can say what was lost.
    package func reject(_ command: RejectCommand, handOff: LeaseHandOff? = nil) async throws(GatewayError)
        -> RejectOutcome
    {
        let profile = command.tokenProfile ?? self.defaultTokenProfile
        return try await self.writes.serialized(command.instance.description, handOff: handOff) {
            () async throws(GatewayError) in
            let before = try await self.processPosition(command.instance, tokenProfile: profile)
            guard before.isStarted else { throw .rejectNotOffered(before) }
            guard !before.isEnded else { throw .processEnded }
            guard let task = before.currentTask, task.actions.contains("reject") else {
                throw .rejectNotOffered(before)
            }
            var removed: Int?
            if task.type == "signing" {
                removed = try? await self.read(profile: profile) { token throws(AltinnError) in
                    try await self.altinn.signingState(
                        command.instance, taskId: task.id, language: command.language, token: token)
                }.signeeStates.filter { $0.signedTime != nil }.count
            }
            do throws(GatewayError) {
                let after = try await self.withToken(profile: profile, kind: .write) { token throws(AltinnError) in
                    try await self.altinn.processNext(
                        command.instance, body: ProcessNext(action: "reject"), language: command.language, token: token)
                }
                return RejectOutcome(
                    instance: command.instance, taskId: task.id, removedSignatures: removed,
                    process: ProcessPosition(after))
            } catch .altinn(let error, _) {
                throw .altinn(error, signMayHaveHappened: false)
            }
        }
    }

    // MARK: - Signing state

    package func signingState(_ query: SigningStateQuery) async throws(GatewayError) -> SigningSnapshot {
        let profile = query.tokenProfile ?? self.defaultTokenProfile
        do {
            let state = try await self.read(profile: profile) { token throws(AltinnError) in
                try await self.altinn.signingState(
                    query.instance, taskId: query.taskId, language: query.language, token: token)
            }
            return SigningSnapshot(taskId: query.taskId, states: state.signeeStates)
        } catch .altinn(.rejected(let rejection), let may) where rejection.status == 500 {
            // Altinn answers an unknown or unreadable instance with an empty 500 here (the Storage error is
            // not caught): the process state tells that apart from a real failure.
            guard let diagnosis = await self.diagnose(rejection, query.instance, profile: profile) else {
                throw .altinn(.rejected(rejection), signMayHaveHappened: may)
            }
            throw .diagnosed(rejection, diagnosis)
        }
    }

    // MARK: - Process position

    /// `GET process`: where the instance's process stands (for the tracker).
    package func processPosition(
        _ instance: InstanceReference, tokenProfile: String?
    ) async throws(GatewayError) -> ProcessPosition {
        let profile = tokenProfile ?? self.defaultTokenProfile
        return ProcessPosition(
            try await self.read(profile: profile) { token throws(AltinnError) in
                try await self.altinn.processState(instance, token: token)
            })
    }

    // MARK: - Calls with tokens and retries

    /// A read, retried with backoff. `refreshOn401: false` where Altinn's 401 speaks of the token's identity, not
    /// of a stale token (`…/signing/organizations`): a refresh would only cost a token request.
    func read<T: Sendable>(
        profile: String,
        refreshOn401: Bool = true,
        _ call: (AccessToken) async throws(AltinnError) -> T
    ) async throws(GatewayError) -> T {
        try await self.withToken(profile: profile, kind: .read, refreshOn401: refreshOn401, call)
    }

    /// A sign call. Failures say whether the sign may have been executed by Altinn.
    private func signCall<T: Sendable>(
        profile: String,
        _ call: (AccessToken) async throws(AltinnError) -> T
    ) async throws(GatewayError) -> T {
        do {
            return try await self.withToken(profile: profile, kind: .write, call)
        } catch .altinn(let error, _) {
            throw .altinn(error, signMayHaveHappened: Self.signMayHaveHappened(error))
        }
    }

    private func withToken<T: Sendable>(
        profile: String,
        kind: RetryPolicy.CallKind,
        refreshOn401: Bool = true,
        _ call: (AccessToken) async throws(AltinnError) -> T
    ) async throws(GatewayError) -> T {
        var attempt = 0
        var refreshedAfter401 = !refreshOn401
        while true {
            let token: AccessToken
            do {
                token = try await self.tokens.token(forProfile: profile)
            } catch {
                throw .token(error)
            }
            do {
                return try await call(token)
            } catch let failure {
                // A 401 means Altinn did not execute the call: refresh the token and try once more.
                if case .rejected(let rejection) = failure, rejection.status == 401, !refreshedAfter401 {
                    refreshedAfter401 = true
                    await self.tokens.invalidate(profile: profile, token: token)
                    continue
                }
                guard attempt < self.retry.maxRetries, RetryPolicy.mayRetry(failure, kind: kind) else {
                    throw .altinn(failure, signMayHaveHappened: false)
                }
                let delay = self.retry.delay(beforeRetry: attempt)
                attempt += 1
                self.logger.debug("retrying Altinn call", metadata: ["attempt": "\(attempt)", "error": "\(failure)"])
                // Cancelled while backing off: give up with the failure that caused the wait.
                guard (try? await Task.sleep(for: delay)) != nil else {
                    throw .altinn(failure, signMayHaveHappened: false)
                }
            }
        }
    }

    /// Whether a failed sign call may nevertheless have signed.
    static func signMayHaveHappened(_ error: AltinnError) -> Bool {
        switch error {
        case .transport(let transport, _):
            return !transport.requestNeverLeft
        case .undecodable:
            // Altinn answered 2xx: the sign happened, only the answer was unreadable.
            return true
        case .rejected(let rejection):
            // 5xx: the handler may have signed before failing (e.g. a later service task).
            if rejection.status >= 500 { return true }
            // process/next runs the sign handler before validating the task, so a 409 with
            // validation issues (e.g. other signatures still missing) comes after the signature.
            // Altinn's bare 409 (mostly the instance lock) can also come from a Storage call after the signature.
            return rejection.operation == .processNext
                && (rejection.reason == .validationFailed || rejection.reason == .instanceLocked)
        }
    }

    private static func describe(_ error: GatewayError) -> String {
        switch error {
        case .token: return "no token was available to read the signing state"
        case .altinn(.transport, _): return "Altinn did not answer the signing-state request"
        case .altinn(.rejected(let rejection), _):
            return "Altinn answered \(rejection.status) to the signing-state request"
        case .altinn(.undecodable, _): return "Altinn's signing-state answer could not be read"
        case .processEnded, .notInSigningTask, .diagnosed, .instanceBusy, .rejectNotOffered:
            return "the signing state could not be read"
        }
    }
}

extension SigningObservation {
    var isKnown: Bool {
        if case .known = self { return true }
        return false
    }

    /// The signing task the observation is of, known or not.
    var taskId: String? {
        switch self {
        case .known(let snapshot): return snapshot.taskId
        case .unknown(let taskId, _): return taskId
        }
    }
}
