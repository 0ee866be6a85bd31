import AltinnAPI
import Crypto
import Foundation
import Storage
import Testing
import Webhooks

@testable import Gateway

/// The pure core of events: diffing observations, event ids and shapes, the once-only `process/next` guard,
/// and how a delivery attempt's verdict becomes the next step.
@Suite struct EventsCoreTests {
    static let instance: InstanceReference = {
        guard let app = try? AppReference(org: "ttd", app: "signing-app"),
            let reference = try? InstanceReference(
                app: app, instanceId: "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01")
        else { fatalError("fixture") }
        return reference
    }()
    static let factory = CloudEventFactory(environment: .tt02)
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    func signee(_ partyId: Int, signed: Bool = false, notification: NotificationStatus = .sent, delegated: Bool = true)
        -> SigneeState
    {
        SigneeState(
            name: "P\(partyId)", organization: nil, delegationSuccessful: delegated, notificationStatus: notification,
            partyId: partyId, signedTime: signed ? AltinnTimestamp("2026-11-29T08:00:00Z") : nil)
    }

    func snapshot(_ states: [SigneeState]) -> SigningSnapshot { SigningSnapshot(taskId: "Task_2", states: states) }

    func types(_ transitions: [Transition]) -> [EventType] { transitions.map(\.type) }

    @Test func firstObservationReportsEverythingAlreadyTrueAndReobservingNothing() {
        let observation = Observation(
            signing: snapshot([signee(1, signed: true), signee(2, notification: .failed), signee(3, delegated: false)]),
            process: nil)
        let (state, first) = SnapshotDiff.apply(observation, to: nil)
        #expect(types(first) == [.signeeSigned, .notificationFailed, .delegationFailed])
        let (again, second) = SnapshotDiff.apply(observation, to: state)
        #expect(second.isEmpty)
        #expect(again == state)
        #expect(ObservedState.stored(state.bytes) == state)
    }

    @Test func changesBecomeOneTransitionEach() {
        let (before, _) = SnapshotDiff.apply(
            Observation(signing: snapshot([signee(1), signee(2)]), process: nil), to: nil)
        let (_, transitions) = SnapshotDiff.apply(
            Observation(
                signing: snapshot([signee(1, signed: true), signee(2, signed: true)]),
                process: ProcessPosition(currentTask: .init(id: "Task_3", type: "data", name: nil), ended: nil)),
            to: before)
        #expect(types(transitions) == [.signeeSigned, .signeeSigned, .signingCompleted, .processMoved])
    }

    @Test("signatures seen and then gone are a reset: told once, and a re-sign is a new event")
    func vanishedSignaturesStartANewRound() throws {
        let signed = Observation(signing: snapshot([signee(1, signed: true), signee(2, signed: true)]), process: nil)
        let (first, firstTransitions) = SnapshotDiff.apply(signed, to: nil)
        #expect(types(firstTransitions) == [.signeeSigned, .signeeSigned, .signingCompleted])
        let wiped = Observation(signing: snapshot([signee(1), signee(2)]), process: nil)
        let (reset, resetTransitions) = SnapshotDiff.apply(wiped, to: first)
        #expect(types(resetTransitions) == [.signingRejected])
        guard case .signingRejected(let told) = resetTransitions.first else {
            Issue.record("no reset")
            return
        }
        #expect(told.removedSignatures == 2)
        #expect(told.request == nil)
        #expect(reset.round == 1)
        #expect(ObservedState.stored(reset.bytes) == reset)
        // Seen again: nothing new.
        #expect(SnapshotDiff.apply(wiped, to: reset).1.isEmpty)
        // Signed again in the new round: new events whose ids differ from the first round's.
        let (_, again) = SnapshotDiff.apply(signed, to: reset)
        #expect(types(again) == [.signeeSigned, .signeeSigned, .signingCompleted])
        let ids = { (transitions: [Transition]) in
            transitions.map { CloudEventFactory.id(instance: Self.instance, $0) }
        }
        #expect(Set(ids(again)).isDisjoint(with: ids(firstTransitions)))
        // A signee who had not signed staying unsigned is no reset.
        let partial = Observation(signing: snapshot([signee(1, signed: true), signee(2)]), process: nil)
        let (partialState, _) = SnapshotDiff.apply(partial, to: nil)
        #expect(!types(SnapshotDiff.apply(partial, to: partialState).1).contains(.signingRejected))
    }

    @Test func processEndIsReportedOnce() {
        let ended = ProcessPosition(currentTask: nil, ended: AltinnTimestamp("2026-11-29T08:00:00Z"))
        let (state, first) = SnapshotDiff.apply(Observation(signing: nil, process: ended), to: nil)
        #expect(types(first) == [.processCompleted])
        #expect(SnapshotDiff.apply(Observation(signing: nil, process: ended), to: state).1.isEmpty)
    }

    @Test func eventIdsAreDeterministicAndDistinct() {
        let signed = snapshot([signee(1, signed: true), signee(2, signed: true)])
        let one = Transition.signeeSigned(signed.signees[0], signed)
        let two = Transition.signeeSigned(signed.signees[1], signed)
        let a = Self.factory.event(one, instance: Self.instance, time: Self.now, traceparent: nil)
        let b = Self.factory.event(
            one, instance: Self.instance, time: Self.now.addingTimeInterval(60), traceparent: nil)
        let c = Self.factory.event(two, instance: Self.instance, time: Self.now, traceparent: nil)
        #expect(a.id == b.id)
        #expect(a.id != c.id)
        #expect(a.id.hasPrefix("evt_") && a.id.count == 36 && !a.id.contains("."))
        // The id's formula is a contract across replicas and versions: the first 16 bytes of SHA-256 over the
        // instance, the subject and the change, in lowercase hex.
        let identity = one.identity
        let text = "\(Self.instance.description)\n\(identity.subject)\n\(identity.change)"
        let digest = SHA256.hash(data: Data(text.utf8)).prefix(16).map { String(format: "%02x", $0) }.joined()
        #expect(a.id == "evt_" + digest)
    }

    @Test func cloudEventCarriesAltinnStyleAttributes() throws {
        let signed = snapshot([signee(7, signed: true)])
        let event = Self.factory.event(
            .signeeSigned(signed.signees[0], signed), instance: Self.instance, time: Self.now,
            traceparent: "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(event.body)) as? [String: Any])
        #expect(json["specversion"] as? String == "1.0")
        #expect(json["id"] as? String == event.id)
        #expect(json["type"] as? String == "no.signinggateway.signee.signed")
        #expect(
            json["source"] as? String
                == "https://ttd.apps.tt02.altinn.no/ttd/signing-app/instances/51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01"
        )
        #expect(json["subject"] as? String == "/party/7")
        #expect(json["resourceinstance"] as? String == "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01")
        #expect(json["resource"] as? String == "urn:altinn:resource:app_ttd_signing-app")
        #expect(json["time"] as? String == "2027-01-15T08:00:00.000000Z")
        #expect(json["traceparent"] as? String == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        #expect(Dispatcher.traceparent(event.body) == "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
        let untraced = Self.factory.event(
            .signeeSigned(signed.signees[0], signed), instance: Self.instance, time: Self.now, traceparent: nil)
        #expect(Dispatcher.traceparent(untraced.body) == nil)
        let data = try #require(json["data"] as? [String: Any])
        #expect((data["signee"] as? [String: Any])?["status"] as? String == "signed")
    }

    func row(completeWhenAllSigned: Bool = true, processNext: ProcessNextGuard = .notClaimed) -> TrackedInstance {
        TrackedInstance(
            instance: Self.instance.description, clientId: "erp", tokenProfile: nil, taskId: "Task_2",
            completeWhenAllSigned: completeWhenAllSigned, nextPollAt: Self.now,
            deadline: Self.now.addingTimeInterval(3600), processNext: processNext, traceparent: nil,
            createdAt: Self.now, updatedAt: Self.now)
    }

    func observe(_ row: TrackedInstance, _ observation: Observation, token: String? = "t1", at: Date = Self.now)
        -> TrackedInstance?
    {
        InstanceObserver.observe(
            row, observation, Self.instance, events: Self.factory, policy: TrackingPolicy(), claimToken: token,
            traceparent: nil, now: at, byTracker: true
        ).tracked
    }

    static let inTask = ProcessPosition(currentTask: .init(id: "Task_2", type: "signing", name: nil), ended: nil)
    static let moved = ProcessPosition(currentTask: .init(id: "Task_3", type: "data", name: nil), ended: nil)

    @Test func completeWhenAllSignedClaimsOnceAndStaysActiveUntilDone() throws {
        let complete = Observation(signing: snapshot([signee(1, signed: true)]), process: Self.inTask)
        let claimed = try #require(observe(row(), complete, token: "t1"))
        #expect(claimed.processNext == .claimed(token: "t1", at: Self.now))
        #expect(claimed.status == .active)
        // Another poll within the lease does not take the claim over.
        let again = try #require(observe(claimed, complete, token: "t2", at: Self.now.addingTimeInterval(5)))
        #expect(again.processNext == .claimed(token: "t1", at: Self.now))
        // A stale claim with the process still in the task: the call never took effect; claimed anew.
        let stale = try #require(observe(claimed, complete, token: "t3", at: Self.now.addingTimeInterval(61)))
        #expect(stale.processNext == .claimed(token: "t3", at: Self.now.addingTimeInterval(61)))
        // A stale claim with the process moved on: it did take effect.
        let movedOn = Observation(signing: snapshot([signee(1, signed: true)]), process: Self.moved)
        let done = try #require(observe(claimed, movedOn, token: "t4", at: Self.now.addingTimeInterval(61)))
        #expect(done.processNext == .done)
        #expect(done.status == .complete)
    }

    @Test("a sign's commit wakes the tracker only for a poll due now")
    func aSignsCommitLeavesAPollDueOnlyWhenOneIsDueNow() throws {
        func commit(_ row: TrackedInstance?) -> OutboxCommit {
            OutboxCommit(tracked: row, appended: [], deliveriesCreated: 0)
        }
        func sign(_ row: TrackedInstance, _ observation: Observation) throws -> TrackedInstance {
            try #require(
                InstanceObserver.observe(
                    row, observation, Self.instance, events: Self.factory, policy: TrackingPolicy(), claimToken: nil,
                    traceparent: nil, now: Self.now, byTracker: false
                ).tracked)
        }
        // One of two signed: the next poll is an interval away, for the idle check to find.
        let partly = Observation(signing: snapshot([signee(1, signed: true), signee(2)]), process: Self.inTask)
        let waiting = try sign(row(), partly)
        #expect(waiting.nextPollAt > Self.now)
        #expect(!commit(waiting).leavesAPollDue(at: Self.now))
        // The last signature with completeWhenAllSigned: the process/next is due at once.
        let complete = Observation(signing: snapshot([signee(1, signed: true)]), process: Self.inTask)
        let due = try sign(row(), complete)
        #expect(commit(due).leavesAPollDue(at: Self.now))
        // A sign that may have happened: looked at again at once.
        let failure = SignFailure(
            request: "erp/k1",
            problem: SignProblem(
                type: "/problems/sign-outcome-unknown", status: 502, detail: "reset", upstreamStatus: nil),
            signMayHaveHappened: true, pending: nil)
        let unknown = try #require(
            InstanceObserver(events: Self.factory, policy: TrackingPolicy()).afterSign(
                Self.instance, outcome: .failure(failure), track: nil, traceparent: nil, now: Self.now
            ).apply(waiting).tracked)
        #expect(commit(unknown).leavesAPollDue(at: Self.now))
        // Nothing tracked, or tracking over: nothing to poll.
        var over = due
        over.status = .complete
        #expect(!commit(over).leavesAPollDue(at: Self.now))
        #expect(!commit(nil).leavesAPollDue(at: Self.now))
    }

    @Test("without completeWhenAllSigned, a complete signing is tracked until the process leaves the task")
    func withoutCompleteWhenAllSignedTrackingEndsWhenTheProcessMoves() throws {
        let complete = Observation(signing: snapshot([signee(1, signed: true)]), process: Self.inTask)
        let observed = try #require(observe(row(completeWhenAllSigned: false), complete))
        #expect(observed.status == .active)
        #expect(observed.processNext == .notClaimed)
        let movedOn = Observation(signing: snapshot([signee(1, signed: true)]), process: Self.moved)
        let left = try #require(observe(observed, movedOn, at: Self.now.addingTimeInterval(30)))
        #expect(left.status == .complete)
        let pending = Observation(signing: snapshot([signee(1)]), process: Self.inTask)
        let late = try #require(observe(row(), pending, at: Self.now.addingTimeInterval(7200)))
        #expect(late.status == .expired)
    }

    @Test func processNextOutcomeSettlesTheGuardOnlyForItsToken() {
        let observer = InstanceObserver(events: Self.factory, policy: TrackingPolicy())
        let claimed = row(processNext: .claimed(token: "mine", at: Self.now))
        let write = observer.afterProcessNext(
            Self.instance, token: "mine", result: .success(Self.moved), now: Self.now)
        let update = write.apply(claimed)
        #expect(update.tracked?.processNext == .done)
        #expect(update.events.map(\.type) == [EventType.processMoved.rawValue])
        let foreign = observer.afterProcessNext(
            Self.instance, token: "other", result: .success(Self.moved), now: Self.now)
        #expect(foreign.apply(claimed).tracked == nil)
        let notSent = observer.afterProcessNext(Self.instance, token: "mine", result: .failure(.notSent), now: Self.now)
        #expect(notSent.apply(claimed).tracked?.processNext == .notClaimed)
    }

    @Test func aMissingInstanceEndsTrackingOtherFailuresBackOff() {
        let observer = InstanceObserver(events: Self.factory, policy: TrackingPolicy())
        let gone = observer.afterPollFailure(Self.instance, reason: "404", instanceGone: true, now: Self.now)
        #expect(gone.apply(row()).tracked?.status == .ended)
        let flaky = observer.afterPollFailure(Self.instance, reason: "503", now: Self.now).apply(row()).tracked
        #expect(flaky?.status == .active)
        #expect(flaky?.lastError == "503")
        #expect((flaky?.nextPollAt ?? Self.now) > Self.now)
    }

    @Test func pollIntervalsGrowToTheMaximum() {
        let policy = TrackingPolicy(initialInterval: .seconds(2), maxInterval: .seconds(60), jitter: 0)
        var rng = SystemRandomNumberGenerator()
        #expect(policy.interval(afterPolls: 0, using: &rng) == .seconds(2))
        #expect(policy.interval(afterPolls: 3, using: &rng) == .seconds(16))
        #expect(policy.interval(afterPolls: 30, using: &rng) == .seconds(60))
    }

    func outcome(
        _ verdict: DeliveryVerdict, failures: Int, _ retryAfter: Duration? = nil
    ) -> DeliveryOutcome {
        Dispatcher.outcome(
            verdict, attempt: attempt(), failures: failures, retryAfter,
            settings: DeliverySettings(
                schedule: RetrySchedule(delays: [.seconds(5), .seconds(50)], jitter: 0), retryAfterCap: .seconds(100)))
    }

    func attempt() -> DeliveryAttempt {
        DeliveryAttempt(
            deliveryId: 1, number: 1, time: Self.now, status: nil, latencyMicros: 0, verdict: "x", responseExcerpt: nil)
    }

    @Test func verdictsBecomeNextSteps() {
        #expect(outcome(.delivered, failures: 0).next == .delivered)
        let gone = outcome(.gone, failures: 0)
        #expect(gone.next == .dead)
        #expect(gone.disableSubscription != nil)
        #expect(outcome(.serverError, failures: 0).next == .retry(at: Self.now.addingTimeInterval(5)))
        #expect(outcome(.clientError, failures: 1).next == .retry(at: Self.now.addingTimeInterval(50)))
        #expect(outcome(.timeout, failures: 2).next == .dead)
        // Retry-After beats a shorter backoff, capped at backoff + cap.
        #expect(outcome(.throttled, failures: 0, .seconds(30)).next == .retry(at: Self.now.addingTimeInterval(30)))
        #expect(
            outcome(.throttled, failures: 0, .seconds(10_000)).next == .retry(at: Self.now.addingTimeInterval(105)))
    }

    @Test func rotationSignsWithBothSecretsUntilTheGraceEnds() throws {
        let old = WebhookSecret.generate()
        let new = WebhookSecret.generate()
        let sealer = try SecretSealer(keyFile: SecretSealer.newKeyFile())
        var subscription = Subscription(
            id: "sub_1", url: "http://127.0.0.1/", types: [], apps: [], enabled: true, description: nil,
            secret: sealer.seal(new.encoded, subscription: "sub_1"),
            // Stored before sealing existed: still opens.
            previousSecret: old.encoded,
            previousSecretExpiresAt: Self.now.addingTimeInterval(60), createdAt: Self.now, updatedAt: Self.now)
        #expect(Dispatcher.signingSecrets(subscription, now: Self.now, sealer: sealer) == [new, old])
        #expect(Dispatcher.signingSecrets(subscription, now: Self.now.addingTimeInterval(61), sealer: sealer) == [new])
        // However a subscription is printed, neither secret shows.
        var dumped = ""
        dump(subscription, to: &dumped)
        for printed in ["\(subscription)", String(reflecting: subscription), dumped] {
            #expect(!printed.contains(String(new.encoded.dropFirst(6))))
            #expect(!printed.contains(String(old.encoded.dropFirst(6))))
        }
        subscription.previousSecret = nil
        #expect(Dispatcher.signingSecrets(subscription, now: Self.now, sealer: sealer) == [new])
    }
}
