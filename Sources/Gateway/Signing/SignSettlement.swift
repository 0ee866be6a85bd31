import AltinnAPI
import Logging
import Transport

/// What the gateway does after a sign call failed, before it answers: it only reads, never signs again.
///
/// - A refusal (403, 404, 409, 500) is diagnosed from `GET …/process`, so the caller learns what is true
///   (not started, ended, not a signing task, not allowed to sign there, no such instance) instead of a
///   guess from a bare status; Altinn answers most of these with an empty body.
/// - A failure that may have signed (connection lost, timeout, 5xx) is looked up once in `GET …/signing`:
///   when the gateway's own signee shows as signed, the sign is confirmed by observation.
extension SigningService {
    func settle(
        _ failure: GatewayError,
        _ command: SignCommand,
        profile: String,
        signingTaskId: String?
    ) async throws(GatewayError) -> SignOutcome {
        guard case .altinn(let error, let mayHaveSigned) = failure else { throw failure }
        if case .rejected(let rejection) = error, Self.needsDiagnosis(rejection),
            let diagnosis = await self.diagnose(rejection, command.instance, profile: profile)
        {
            throw .diagnosed(rejection, diagnosis)
        }
        guard mayHaveSigned, Self.lostTheAnswer(error) else { throw failure }
        guard let confirmed = await self.confirmByObservation(command, profile: profile, signingTaskId: signingTaskId)
        else { throw failure }
        self.logger.warning(
            "sign answer lost; signature observed",
            metadata: ["instance": "\(command.instance)", "tokenProfile": "\(profile)", "error": "\(error)"])
        return confirmed
    }

    /// Refusals whose bare status says too little. A 401 is the token's (it survived a refresh); a 409 with
    /// validation issues or a known marker text already says what happened.
    static func needsDiagnosis(_ rejection: AltinnRejection) -> Bool {
        guard [403, 404, 409, 500].contains(rejection.status) else { return false }
        switch rejection.reason {
        case .validationFailed, .processEnded, .notASigningTask, .instanceLocked, .actionMissing: return false
        case .processNotStarted, .unauthorized, .forbidden, .notFound, .other: return true
        }
    }

    /// Failures where Altinn may have acted and its answer did not reach us whole.
    private static func lostTheAnswer(_ error: AltinnError) -> Bool {
        switch error {
        case .transport, .undecodable: return true
        case .rejected(let rejection): return rejection.status >= 500
        }
    }

    /// Reads the process state to explain a refusal. Nil when it explains nothing (or cannot be read).
    func diagnose(
        _ rejection: AltinnRejection,
        _ instance: InstanceReference,
        profile: String
    ) async -> GatewayError.Diagnosis? {
        let position: ProcessPosition
        do {
            position = try await self.processPosition(instance, tokenProfile: profile)
        } catch .altinn(.rejected(let read), _) where read.status == 403 || read.status == 404 {
            return .instanceNotFound
        } catch {
            return nil
        }
        if !position.isStarted { return .processNotStarted }
        // A 5xx on an ended process may have come after a sign that ended it: that stays "may have signed".
        if position.isEnded { return rejection.status < 500 ? .processEnded : nil }
        guard let task = position.currentTask, task.type == "signing" else {
            // `/actions` never moves the process, and a single sign's pre-check saw a signing task: a refusal
            // while the process stands outside a signing task signed nothing. A 5xx of process/next may have
            // signed and moved the process on, so it stays undiagnosed.
            let signedNothing = rejection.status < 500 || rejection.operation == .performAction
            return signedNothing ? .notInSigningTask(position) : nil
        }
        if rejection.status == 403 { return .signingForbidden(tokenProfile: profile, taskId: task.id) }
        return nil
    }

    /// One read of the signing state after an ambiguous sign. The gateway's signee is the instance's one
    /// system-user signee (the gateway signs as a system user; Altinn's signee states carry no
    /// organisation number, so an `onBehalfOf` sign cannot be told apart and is never confirmed this way).
    private func confirmByObservation(
        _ command: SignCommand,
        profile: String,
        signingTaskId: String?
    ) async -> SignOutcome? {
        guard command.onBehalfOf == nil else { return nil }
        let observed: SigningStateResponse
        do {
            observed = try await self.read(profile: profile) { token throws(AltinnError) in
                try await self.altinn.signingState(
                    command.instance, taskId: signingTaskId, language: command.language, token: token)
            }
        } catch {
            return nil
        }
        let snapshot = SigningSnapshot(taskId: signingTaskId, states: observed.signeeStates)
        guard let own = snapshot.gatewaySignee, own.signedAt != nil else { return nil }
        let process = try? await self.processPosition(command.instance, tokenProfile: profile)
        return SignOutcome(
            instance: command.instance, mode: command.mode, process: process, signing: .known(snapshot),
            confirmedBy: .observation)
    }
}

extension SigningSnapshot {
    /// The signee the gateway signs as: the instance's one system-user signee (the gateway signs as a system
    /// user; Altinn's signee states carry no organisation number to tell two apart). Nil when there is none or
    /// several.
    var gatewaySignee: NormalizedSignee? {
        let systemUsers = self.signees.filter { $0.kind == .systemUser }
        return systemUsers.count == 1 ? systemUsers[0] : nil
    }
}
