package import AltinnAPI
import Foundation
package import Storage

/// How the edge renders what a use case produced, so that the exact answer can be stored (with the key, for replay;
/// or as the digest in the audit record).
/// The use cases decide what happened; the HTTP layer alone knows how that reads as a response.
package struct AnswerRendering<Outcome: Sendable>: Sendable {
    /// The answer to a success.
    package var success: @Sendable (Outcome, AltinnEnvironment) -> StoredResponse
    /// The answer to a failure, and the problem as a sign-failure event tells it.
    package var failure: @Sendable (GatewayError) -> (answer: StoredResponse, problem: SignProblem)

    package init(
        success: @escaping @Sendable (Outcome, AltinnEnvironment) -> StoredResponse,
        failure: @escaping @Sendable (GatewayError) -> (answer: StoredResponse, problem: SignProblem)
    ) {
        self.success = success
        self.failure = failure
    }
}

/// A sign, whole: at most one Altinn sign per (client, key); the calls to Altinn; the answer, its audit record,
/// the snapshot, the events and the tracking of the instance, committed together.
package struct SignUseCase: Sendable {
    private let service: SigningService
    private let observer: InstanceObserver
    private let gate: IdempotencyGate
    private let defaultTokenProfile: String

    package init(
        service: SigningService, observer: InstanceObserver, gate: IdempotencyGate, defaultTokenProfile: String
    ) {
        self.service = service
        self.observer = observer
        self.gate = gate
        self.defaultTokenProfile = defaultTokenProfile
    }

    package struct Request: Sendable {
        package var command: SignCommand
        /// The caller asked to track the instance (a sign that may have happened is tracked regardless).
        package var track: Bool
        package var completeWhenAllSigned: Bool
        /// Who called, with the Idempotency-Key.
        package var inbound: InboundFacts

        package init(command: SignCommand, track: Bool, completeWhenAllSigned: Bool, inbound: InboundFacts) {
            self.command = command
            self.track = track
            self.completeWhenAllSigned = completeWhenAllSigned
            self.inbound = inbound
        }
    }

    package func execute(
        _ request: Request, rendering: AnswerRendering<SignOutcome>
    ) async throws(StoreError) -> IdempotencyGate.Answer {
        let command = request.command
        let inbound = request.inbound
        let key = inbound.idempotencyKey ?? ""
        return try await self.gate.execute(
            key: key, fingerprint: RequestFingerprint.sign(command), inbound: inbound,
            writing: command.instance.description
        ) { handOff in
            let result = await capture { () async throws(GatewayError) in
                try await self.service.sign(command, handOff: handOff)
            }
            let environment = self.service.environment
            let call = CallRecord.sign(
                command, environment: environment, defaultProfile: self.defaultTokenProfile,
                result: result.map { _ in () })
            let profile = command.tokenProfile ?? self.defaultTokenProfile
            var executed: IdempotencyGate.Executed
            let outcome: Result<SignOutcome, SignFailure>
            var mayHaveSigned = false
            switch result {
            case .success(let signed):
                var call = call
                call.signedData = signed.proof.map { StateJSON.proof($0).serialized }.map {
                    String(decoding: $0, as: UTF8.self)
                }
                executed = .init(response: rendering.success(signed, environment), call: call, releaseKey: false)
                outcome = .success(signed)
            case .failure(let error):
                let rendered = rendering.failure(error)
                mayHaveSigned = error.signMayHaveHappened
                executed = .init(response: rendered.answer, call: call, releaseKey: error.releasesIdempotencyKey)
                var failure = SignFailure(
                    request: "\(inbound.clientId ?? "")/\(key)", problem: rendered.problem,
                    signMayHaveHappened: error.signMayHaveHappened,
                    pending: error.signMayHaveHappened
                        ? PendingSign(
                            mode: command.mode, clientId: inbound.clientId ?? "", key: key, tokenProfile: profile)
                        : nil)
                failure.invalidated = result.invalidation(inbound, taskId: nil)
                outcome = .failure(failure)
            }
            // A sign that may have happened is tracked whatever the caller asked: a later poll that sees it
            // signed upgrades this key's answer.
            let tracking =
                request.track || mayHaveSigned
                ? InstanceObserver.TrackRequest(
                    clientId: inbound.clientId, tokenProfile: command.tokenProfile, taskId: nil,
                    completeWhenAllSigned: request.track && request.completeWhenAllSigned,
                    traceparent: inbound.traceparent) : nil
            executed.outbox = self.observer.afterSign(
                command.instance, outcome: outcome, track: tracking, traceparent: inbound.traceparent, now: Date())
            return executed
        }
    }
}

/// A write that answers with the process position (process/next, a reject): at most once per (client, key),
/// audited, and the position is an observation whose events commit with the call.
struct ProcessWrite: Sendable {
    let service: SigningService
    let observer: InstanceObserver
    let gate: IdempotencyGate
    let defaultTokenProfile: String

    func execute<Outcome: Sendable>(
        _ command: ProcessNextCommand,
        fingerprint: String,
        inbound: InboundFacts,
        rendering: AnswerRendering<Outcome>,
        record: @escaping @Sendable (Result<Void, GatewayError>, AltinnEnvironment, String) -> CallRecord,
        work: @escaping @Sendable (LeaseHandOff) async throws(GatewayError) -> Outcome,
        observation: @escaping @Sendable (Result<Outcome, GatewayError>) -> WriteObservation
    ) async throws(StoreError) -> IdempotencyGate.Answer {
        try await self.gate.execute(
            key: inbound.idempotencyKey ?? "", fingerprint: fingerprint, inbound: inbound,
            writing: command.instance.description
        ) { handOff in
            let result = await capture { () async throws(GatewayError) in try await work(handOff) }
            let environment = self.service.environment
            let call = record(result.map { _ in () }, environment, self.defaultTokenProfile)
            var executed = IdempotencyGate.Executed(result, call: call, environment: environment, rendering: rendering)
            executed.outbox = self.observer.afterWrite(
                command.instance, observation(result), traceparent: inbound.traceparent, now: Date())
            return executed
        }
    }
}

/// Moves a process on (e.g. completes a parallel signing); its `process.moved` / `process.completed` commit with it.
package struct ProcessNextUseCase: Sendable {
    private let write: ProcessWrite

    package init(
        service: SigningService, observer: InstanceObserver, gate: IdempotencyGate, defaultTokenProfile: String
    ) {
        self.write = ProcessWrite(
            service: service, observer: observer, gate: gate, defaultTokenProfile: defaultTokenProfile)
    }

    package func execute(
        _ command: ProcessNextCommand, inbound: InboundFacts, rendering: AnswerRendering<ProcessNextOutcome>
    ) async throws(StoreError) -> IdempotencyGate.Answer {
        let service = self.write.service
        return try await self.write.execute(
            command, fingerprint: RequestFingerprint.processNext(command), inbound: inbound, rendering: rendering,
            record: { result, environment, profile in
                CallRecord.processNext(command, environment: environment, defaultProfile: profile, result: result)
            },
            work: { handOff async throws(GatewayError) in try await service.processNext(command, handOff: handOff) },
            observation: { result in
                WriteObservation(
                    process: try? result.get().process, invalidated: result.invalidation(inbound, taskId: nil))
            })
    }
}

/// Rejects the current signing task; Altinn removes every signature of the task, and `signing.rejected` says how
/// many the gateway saw go. The reject is remembered on a tracking row, so the next round's signs are new events.
package struct RejectUseCase: Sendable {
    private let write: ProcessWrite

    package init(
        service: SigningService, observer: InstanceObserver, gate: IdempotencyGate, defaultTokenProfile: String
    ) {
        self.write = ProcessWrite(
            service: service, observer: observer, gate: gate, defaultTokenProfile: defaultTokenProfile)
    }

    package func execute(
        _ command: RejectCommand, inbound: InboundFacts, rendering: AnswerRendering<RejectOutcome>
    ) async throws(StoreError) -> IdempotencyGate.Answer {
        let service = self.write.service
        let request = "\(inbound.clientId ?? "")/\(inbound.idempotencyKey ?? "")"
        return try await self.write.execute(
            command, fingerprint: RequestFingerprint.reject(command), inbound: inbound, rendering: rendering,
            record: { result, environment, profile in
                CallRecord.reject(command, environment: environment, defaultProfile: profile, result: result)
            },
            work: { handOff async throws(GatewayError) in try await service.reject(command, handOff: handOff) },
            observation: { result in
                let rejected = try? result.get()
                return WriteObservation(
                    process: rejected?.process,
                    reset: rejected.map {
                        SigningReset(
                            request: request, rejectedBy: inbound.clientId, taskId: $0.taskId,
                            removedSignatures: $0.removedSignatures, process: $0.process, round: 0)
                    },
                    track: rejected.map {
                        InstanceObserver.TrackRequest(
                            clientId: inbound.clientId, tokenProfile: command.tokenProfile, taskId: $0.taskId,
                            completeWhenAllSigned: false, traceparent: inbound.traceparent)
                    })
            })
    }
}

extension Result where Failure == GatewayError {
    /// `signing.invalidated` for a write Altinn refused with `InvalidSignatureHash`, named by its request.
    func invalidation(_ inbound: InboundFacts, taskId: String?) -> Transition? {
        guard case .failure(.altinn(.rejected(let rejection), _)) = self, rejection.hasInvalidSignatureHash else {
            return nil
        }
        return .signingInvalidated(
            request: "\(inbound.clientId ?? "")/\(inbound.idempotencyKey ?? "")", taskId: taskId,
            detail: "Altinn refused \(rejection.operation.rawValue): signed data was changed after signing.")
    }
}

extension IdempotencyGate.Executed {
    /// The answer to store (rendered success or problem), the audit facts, and whether the key is released.
    init<Outcome>(
        _ result: Result<Outcome, GatewayError>, call: CallRecord, environment: AltinnEnvironment,
        rendering: AnswerRendering<Outcome>
    ) {
        switch result {
        case .success(let outcome):
            self.init(response: rendering.success(outcome, environment), call: call, releaseKey: false)
        case .failure(let error):
            self.init(
                response: rendering.failure(error).answer, call: call, releaseKey: error.releasesIdempotencyKey)
        }
    }
}

/// A typed-throwing call as a `Result` (the use cases and the tracker keep a failure to decide on it later).
func capture<T>(_ body: () async throws(GatewayError) -> T) async -> Result<T, GatewayError> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}

/// Reads an instance's signing state for a caller, audited like every forwarded call (the answer's digest
/// included).
package struct SigningStateUseCase: Sendable {
    let service: SigningService
    let audit: AuditTrail
    let defaultTokenProfile: String

    package init(service: SigningService, audit: AuditTrail, defaultTokenProfile: String) {
        self.service = service
        self.audit = audit
        self.defaultTokenProfile = defaultTokenProfile
    }

    package func execute(
        _ query: SigningStateQuery, inbound: InboundFacts, rendering: AnswerRendering<SigningSnapshot>
    ) async throws(StoreError) -> StoredResponse {
        let environment = self.service.environment
        let result = await capture { () async throws(GatewayError) in try await self.service.signingState(query) }
        let response: StoredResponse
        switch result {
        case .success(let snapshot): response = rendering.success(snapshot, environment)
        case .failure(let error): response = rendering.failure(error).answer
        }
        try await self.audit.append(
            inbound,
            .signingState(
                query, environment: environment, defaultProfile: self.defaultTokenProfile,
                result: result.map { _ in () }),
            responseBody: response.body, durability: .written)
        return response
    }
}
