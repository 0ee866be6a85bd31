package import AltinnAPI
package import Foundation
package import Storage

/// The one place that turns an observation of an instance into its new tracking row and its events.
/// Every path uses it — a sign through the gateway, the tracker's poll, an Altinn Events push — so they agree on
/// what changed, and the store runs it under the row's lock so they never race.
package struct InstanceObserver: Sendable {
    package let events: CloudEventFactory
    package let policy: TrackingPolicy

    package init(events: CloudEventFactory, policy: TrackingPolicy) {
        self.events = events
        self.policy = policy
    }

    /// What to track when a caller asks.
    package struct TrackRequest: Sendable, Equatable {
        package var clientId: String?
        package var tokenProfile: String?
        package var taskId: String?
        package var completeWhenAllSigned: Bool
        package var traceparent: String?

        package init(
            clientId: String?, tokenProfile: String?, taskId: String?, completeWhenAllSigned: Bool,
            traceparent: String?
        ) {
            self.clientId = clientId
            self.tokenProfile = tokenProfile
            self.taskId = taskId
            self.completeWhenAllSigned = completeWhenAllSigned
            self.traceparent = traceparent
        }
    }

    /// Starts tracking (or, when already tracked, keeps the row and turns on what the new request adds).
    package func track(_ instance: InstanceReference, _ request: TrackRequest, now: Date) -> OutboxWrite {
        let policy = self.policy
        return OutboxWrite(instance: instance.description) { existing in
            InstanceUpdate(tracked: Self.tracking(instance, existing, request, policy: policy, now: now), events: [])
        }
    }

    /// After a sign through the gateway: its events (also for untracked instances: ids are deterministic, so a
    /// later poll cannot repeat them), and the row refreshed at once when tracked or asked to be.
    package func afterSign(
        _ instance: InstanceReference,
        outcome: Result<SignOutcome, SignFailure>,
        track: TrackRequest?,
        traceparent: String?,
        now: Date
    ) -> OutboxWrite {
        let events = self.events
        let policy = self.policy
        return OutboxWrite(instance: instance.description) { existing in
            var row = existing
            if let track { row = Self.tracking(instance, existing, track, policy: policy, now: now) }
            switch outcome {
            case .failure(let failure):
                let transition: Transition =
                    failure.signMayHaveHappened
                    ? .signOutcomeUnknown(request: failure.request, problem: failure.problem)
                    : .signFailed(request: failure.request, problem: failure.problem)
                // A sign that may have happened: look again soon, and remember it so that the poll that sees it
                // signed upgrades the key's answer.
                if failure.signMayHaveHappened, var polled = row, polled.status == .active {
                    polled.nextPollAt = now
                    if let pending = failure.pending {
                        var state =
                            ObservedState.stored(polled.snapshot)
                            ?? ObservedState(
                                taskId: nil, signees: [], complete: false, processTask: nil, processEnded: false)
                        if !state.pending.contains(pending) { state.pending.append(pending) }
                        polled.snapshot = state.bytes
                    }
                    row = polled
                }
                let told = [transition] + (failure.invalidated.map { [$0] } ?? [])
                return InstanceUpdate(
                    tracked: row == existing ? nil : row,
                    events: told.map { events.event($0, instance: instance, time: now, traceparent: traceparent) })
            case .success(let signed):
                var signing: SigningSnapshot?
                if case .known(let snapshot) = signed.signing { signing = snapshot }
                if case .recorded(let proof) = signed.proof, proof.systemUserId != nil,
                    let own = signing?.gatewaySignee
                {
                    signing?.proofs[own.partyId] = proof
                }
                let observation = Observation(signing: signing, process: signed.process)
                return Self.observe(
                    row, observation, instance, events: events, policy: policy, claimToken: nil,
                    traceparent: traceparent, now: now, byTracker: false)
            }
        }
    }

    /// After a write through the gateway that answers with the process position (process/next, a reject): the
    /// position is an observation like a poll's, and its events commit with the write's audit record. A reject
    /// also wipes the task's signatures: the remembered signees start a new round, and `signing.rejected` says so.
    /// A write Altinn refused because signed data changed (`InvalidSignatureHash`) is told as `signing.invalidated`.
    package func afterWrite(
        _ instance: InstanceReference, _ write: WriteObservation, traceparent: String?, now: Date
    ) -> OutboxWrite {
        let events = self.events
        let policy = self.policy
        return OutboxWrite(instance: instance.description) { existing in
            var row = existing
            var first: [NewEvent] = []
            if let invalidated = write.invalidated {
                first.append(events.event(invalidated, instance: instance, time: now, traceparent: traceparent))
            }
            if var reset = write.reset {
                if row == nil, let track = write.track {
                    row = Self.tracking(instance, nil, track, policy: policy, now: now)
                }
                var state =
                    row.flatMap { ObservedState.stored($0.snapshot) }
                    ?? ObservedState(
                        taskId: reset.taskId, signees: [], complete: false, processTask: nil, processEnded: false)
                state.round += 1
                state.complete = false
                state.signees = state.signees.map {
                    .init(
                        partyId: $0.partyId, status: $0.status == .signed ? .awaitingSignature : $0.status,
                        notification: $0.notification, delegated: $0.delegated)
                }
                reset.round = state.round
                first.append(
                    events.event(.signingRejected(reset), instance: instance, time: now, traceparent: traceparent))
                if var tracked = row {
                    tracked.snapshot = state.bytes
                    // A new round may complete again, and then needs its own process/next.
                    if tracked.processNext == .done { tracked.processNext = .notClaimed }
                    row = tracked
                }
            }
            guard let process = write.process else {
                return InstanceUpdate(tracked: row == existing ? nil : row, events: first)
            }
            var update = Self.observe(
                row, Observation(signing: nil, process: process), instance, events: events, policy: policy,
                claimToken: nil, traceparent: traceparent, now: now, byTracker: false)
            update.events = first + update.events
            return update
        }
    }

    /// After the tracker (or an Altinn Events push) read the instance. `claimToken` lets this observation claim the
    /// once-only `process/next` of `completeWhenAllSigned`.
    package func afterPoll(
        _ instance: InstanceReference,
        observation: Observation,
        claimToken: String?,
        now: Date
    ) -> OutboxWrite {
        let events = self.events
        let policy = self.policy
        return OutboxWrite(instance: instance.description) { existing in
            guard let existing else { return .none }
            return Self.observe(
                existing, observation, instance, events: events, policy: policy, claimToken: claimToken,
                traceparent: existing.traceparent, now: now, byTracker: true)
        }
    }

    /// Something outside (an Altinn Events push) says the instance changed: poll it now.
    package func pollNow(_ instance: InstanceReference, now: Date) -> OutboxWrite {
        OutboxWrite(instance: instance.description) { existing in
            guard var row = existing, row.status == .active else { return .none }
            row.nextPollAt = now
            row.updatedAt = now
            return InstanceUpdate(tracked: row, events: [])
        }
    }

    /// After a failed poll: remember why, back off, release the lease. `instanceGone`: Altinn says the instance
    /// does not exist (404), so polling ends.
    package func afterPollFailure(
        _ instance: InstanceReference, reason: String, instanceGone: Bool = false, now: Date
    ) -> OutboxWrite {
        let policy = self.policy
        return OutboxWrite(instance: instance.description) { existing in
            guard var row = existing else { return .none }
            var rng = SystemRandomNumberGenerator()
            row.polls += 1
            row.lastError = reason
            row.nextPollAt = now.adding(policy.interval(afterPolls: row.polls, using: &rng))
            if instanceGone, row.status == .active { row.status = .ended }
            if now >= row.deadline, row.status == .active { row.status = .expired }
            row.release(at: now)
            return InstanceUpdate(tracked: row, events: [])
        }
    }

    /// After the automatic `process/next` answered: the guard is settled and the process event emitted.
    package func afterProcessNext(
        _ instance: InstanceReference,
        token: String,
        result: Result<ProcessPosition, ProcessNextFailure>,
        now: Date
    ) -> OutboxWrite {
        let events = self.events
        let policy = self.policy
        return OutboxWrite(instance: instance.description) { existing in
            guard var row = existing, case .claimed(token, _) = row.processNext else { return .none }
            switch result {
            case .success(let position):
                row.processNext = .done
                return Self.observe(
                    row, Observation(signing: nil, process: position), instance, events: events, policy: policy,
                    claimToken: nil, traceparent: row.traceparent, now: now, byTracker: true)
            case .failure(.notSent):
                // Provably never reached Altinn: the next poll may claim it again.
                row.processNext = .notClaimed
            case .failure(.unknown):
                // Leave the claim: once stale, a poll that finds the process still in the task re-claims it.
                break
            case .failure(.invalidated):
                row.processNext = .done
                let state = ObservedState.stored(row.snapshot)
                let invalidated = Transition.signingInvalidated(
                    request: nil, taskId: state?.taskId ?? row.taskId,
                    detail: "The signed data was changed after signing; Altinn will not move the process on.")
                row.release(at: now)
                return InstanceUpdate(
                    tracked: row,
                    events: [events.event(invalidated, instance: instance, time: now, traceparent: row.traceparent)])
            }
            row.release(at: now)
            return InstanceUpdate(tracked: row, events: [])
        }
    }

    // MARK: - The pure core

    static func tracking(
        _ instance: InstanceReference,
        _ existing: TrackedInstance?,
        _ request: TrackRequest,
        policy: TrackingPolicy,
        now: Date
    ) -> TrackedInstance {
        guard var row = existing else {
            return TrackedInstance(
                instance: instance.description, clientId: request.clientId, tokenProfile: request.tokenProfile,
                taskId: request.taskId,
                completeWhenAllSigned: request.completeWhenAllSigned, nextPollAt: now,
                deadline: now.adding(policy.deadline), traceparent: request.traceparent, createdAt: now,
                updatedAt: now)
        }
        row.taskId = row.taskId ?? request.taskId
        if row.status != .active {
            // Asked again after tracking had stopped (a reject sent the process back, a deadline passed): a new
            // round is watched from now.
            row.status = .active
            row.nextPollAt = now
            row.deadline = now.adding(policy.deadline)
            row.processNext = .notClaimed
            row.updatedAt = now
        }
        // Who the row acts for (client and token profile together) is never merged from two requests: the first
        // request keeps it, except that the first one to arm `completeWhenAllSigned` takes it over, so the
        // automatic process/next runs with the arming client's own profile and is audited in its name.
        if request.completeWhenAllSigned, !row.completeWhenAllSigned {
            row.completeWhenAllSigned = true
            row.clientId = request.clientId
            row.tokenProfile = request.tokenProfile
        }
        return row
    }

    static func observe(
        _ current: TrackedInstance?,
        _ observation: Observation,
        _ instance: InstanceReference,
        events: CloudEventFactory,
        policy: TrackingPolicy,
        claimToken: String?,
        traceparent: String?,
        now: Date,
        byTracker: Bool
    ) -> InstanceUpdate {
        let previous = current.flatMap { ObservedState.stored($0.snapshot) }
        var (state, transitions) = SnapshotDiff.apply(
            observation, to: previous, signingTask: current?.taskId,
            clock: StallClock(now: now, after: policy.stallAfter))
        var upgrades: [IdempotencyUpgrade] = []
        if let snapshot = observation.signing, let signee = snapshot.gatewaySignee, signee.signedAt != nil {
            for pending in state.pending {
                let confirmed = Transition.signConfirmed(
                    request: pending.request, idempotencyKey: pending.key, signee, snapshot)
                transitions.append(confirmed)
                upgrades.append(
                    Self.upgrade(
                        pending, instance, snapshot, observation.process,
                        eventId: CloudEventFactory.id(instance: instance, confirmed), environment: events.environment,
                        now: now))
            }
            state.pending = []
        }
        let newEvents = transitions.map {
            events.event($0, instance: instance, time: now, traceparent: traceparent)
        }
        guard var row = current else { return InstanceUpdate(tracked: nil, events: newEvents) }
        row.instance = instance.description
        row.snapshot = state.bytes
        row.taskId = row.taskId ?? state.taskId
        if byTracker {
            // The lease holder's commit. Others (a sign, a push) leave a poll in progress its lease.
            row.lastError = nil
            row.polls += 1
            row.release(at: now)
        } else {
            row.updatedAt = now
        }
        let leftTask =
            state.processEnded || (state.processTask != nil && row.taskId != nil && state.processTask != row.taskId)
        if leftTask, state.final == nil, let final = observation.final {
            // The poll that saw the process leave the task read the signing state once more (or could not).
            state.final = final
            row.snapshot = state.bytes
            if final == .lastObserved {
                row.lastError =
                    "the signing state could not be read after the process left the task (signee rights are revoked "
                    + "when the task ends); the state kept is the last one observed"
            }
        } else if !leftTask, state.final != nil {
            // Back in the signing task (tracked again after a reject): the settlement was of the round before.
            state.final = nil
            row.snapshot = state.bytes
        }
        if row.completeWhenAllSigned, state.complete {
            switch row.processNext {
            case .notClaimed where !leftTask:
                if let claimToken { row.processNext = .claimed(token: claimToken, at: now) }
            case .claimed(_, let at) where now >= at.adding(policy.lease):
                // A stale claim: if the process is still in the signing task, the call never took effect.
                if leftTask {
                    row.processNext = .done
                } else if observation.process != nil, let claimToken {
                    row.processNext = .claimed(token: claimToken, at: now)
                }
            case .notClaimed, .claimed:
                if leftTask { row.processNext = .done }
            case .done:
                break
            }
        }
        if state.round != (previous?.round ?? 0), row.processNext == .done, !leftTask {
            // Signatures were wiped (a reject seen by a poll): the next completion needs its own process/next.
            row.processNext = .notClaimed
        }
        // Tracking goes on after the last signature until the process leaves the task, so the move (whoever makes
        // it) is seen and told as `process.moved` / `process.completed`.
        if state.processEnded || leftTask {
            row.status = state.complete ? .complete : .ended
        } else if now >= row.deadline {
            row.status = .expired
        }
        var rng = SystemRandomNumberGenerator()
        if row.status == .active {
            // A sign that completed the signing: the tracker makes the once-only process/next right away.
            let dueNow = !byTracker && state.complete && row.completeWhenAllSigned
            row.nextPollAt = dueNow ? now : now.adding(policy.interval(afterPolls: row.polls, using: &rng))
            // However far apart the polls have grown, one comes when the next signee would stall. (A stall already
            // due but not told, because this observation had no signing state, waits for the usual next poll.)
            if let stall = state.nextStall(after: policy.stallAfter), stall > now, stall < row.nextPollAt {
                row.nextPollAt = stall
            }
        }
        return InstanceUpdate(tracked: row, events: newEvents, upgrades: upgrades)
    }

    /// The answer the key gets once its sign is seen: what a sign confirmed by observation answers at once.
    static func upgrade(
        _ pending: PendingSign,
        _ instance: InstanceReference,
        _ snapshot: SigningSnapshot,
        _ process: ProcessPosition?,
        eventId: String,
        environment: AltinnEnvironment,
        now: Date
    ) -> IdempotencyUpgrade {
        let outcome = SignOutcome(
            instance: instance, mode: pending.mode, process: process, signing: .known(snapshot),
            confirmedBy: .observation)
        let body = StateJSON.sign(outcome, environment).serialized
        // The change is the gateway's own (no inbound request): the event's id names it in the audit log.
        let audit = AuditEntry(
            time: now, clientId: pending.clientId, sourceAddress: nil, requestId: eventId, traceparent: nil,
            idempotencyKey: pending.key, operation: "signConfirmed", instance: instance.description,
            tokenProfile: pending.tokenProfile, upstreamMethod: "GET",
            upstreamURL: environment.instanceURL(instance) + "/signing", upstreamStatus: 200, latencyMicros: 0,
            outcome: "confirmed", requestDigest: nil, responseDigest: Digest.sha256Hex(body))
        return IdempotencyUpgrade(
            scope: IdempotencyScope(clientId: pending.clientId, key: pending.key),
            response: StoredResponse(status: 200, contentType: "application/json", body: body), audit: audit)
    }
}

/// What a write through the gateway (process/next, a reject) tells about the instance.
package struct WriteObservation: Sendable, Equatable {
    /// The position Altinn answered with; nil when the write failed.
    package var process: ProcessPosition?
    /// A reject: the task's signatures are gone.
    package var reset: SigningReset?
    /// Altinn refused to move on because signed data changed (`signingInvalidated`).
    package var invalidated: Transition?
    /// A reject is remembered on a tracking row (created when there is none), so that the round it starts keeps
    /// the next signatures' events apart from the wiped ones.
    package var track: InstanceObserver.TrackRequest?

    package init(
        process: ProcessPosition?, reset: SigningReset? = nil, invalidated: Transition? = nil,
        track: InstanceObserver.TrackRequest? = nil
    ) {
        self.process = process
        self.reset = reset
        self.invalidated = invalidated
        self.track = track
    }
}

/// Why a sign through the gateway failed, as its event tells it.
package struct SignFailure: Error, Sendable, Equatable {
    /// `{clientId}/{idempotencyKey}`.
    package var request: String
    package var problem: SignProblem
    package var signMayHaveHappened: Bool
    /// What a later poll needs to confirm the sign and upgrade its key (only when it may have happened).
    package var pending: PendingSign?
    /// `signing.invalidated`, when Altinn refused to move on because signed data changed.
    package var invalidated: Transition?

    package init(request: String, problem: SignProblem, signMayHaveHappened: Bool, pending: PendingSign? = nil) {
        self.request = request
        self.problem = problem
        self.signMayHaveHappened = signMayHaveHappened
        self.pending = pending
    }
}

package enum ProcessNextFailure: Error, Sendable, Equatable {
    /// The call provably never reached Altinn (or Altinn refused it before acting).
    case notSent
    case unknown
    /// Altinn refused it because signed data changed after signing: a retry gets the same answer, so this round
    /// of signing is not moved on by the gateway (a reject and new signatures start another).
    case invalidated
}

extension TrackedInstance {
    /// The holder's commit: the lease ends with it.
    mutating func release(at now: Date) {
        self.leaseOwner = nil
        self.leaseUntil = nil
        self.updatedAt = now
    }
}

extension Date {
    func adding(_ duration: Duration) -> Date {
        self.addingTimeInterval(TrackingPolicy.seconds(duration))
    }
}
