import AltinnAPI
import Foundation
import Storage
import Testing

@testable import Gateway

/// Stalled signees (`signee.stalled`, the stalled-signee census) and the final snapshot when the process leaves
/// the signing task: the pure core, with the clock given.
@Suite struct StallTests {
    static let instance = EventsCoreTests.instance
    static let factory = EventsCoreTests.factory
    static let now = EventsCoreTests.now
    static let hour: TimeInterval = 3600
    static let policy = TrackingPolicy(stallAfter: .seconds(72 * 3600))
    static let inTask = EventsCoreTests.inTask
    static let moved = EventsCoreTests.moved

    func signee(_ partyId: Int, signed: Bool = false, notification: NotificationStatus = .sent, delegated: Bool = true)
        -> SigneeState
    {
        EventsCoreTests().signee(partyId, signed: signed, notification: notification, delegated: delegated)
    }

    func reading(_ states: [SigneeState], process: ProcessPosition? = Self.inTask, final: FinalSigning? = nil)
        -> Observation
    {
        Observation(signing: SigningSnapshot(taskId: "Task_2", states: states), process: process, final: final)
    }

    func row() -> TrackedInstance {
        TrackedInstance(
            instance: Self.instance.description, clientId: "erp", tokenProfile: nil, taskId: "Task_2",
            completeWhenAllSigned: false, nextPollAt: Self.now, deadline: Self.now.addingTimeInterval(30 * 24 * 3600),
            traceparent: nil, createdAt: Self.now, updatedAt: Self.now)
    }

    /// One poll's commit: the new row and the types and ids of its events.
    func poll(
        _ row: TrackedInstance, _ observation: Observation, at hours: TimeInterval,
        policy: TrackingPolicy = Self.policy
    ) -> (row: TrackedInstance, events: [NewEvent]) {
        let update = InstanceObserver.observe(
            row, observation, Self.instance, events: Self.factory, policy: policy, claimToken: nil, traceparent: nil,
            now: Self.now.addingTimeInterval(hours * Self.hour), byTracker: true)
        return (update.tracked ?? row, update.events)
    }

    func stalls(_ events: [NewEvent]) -> [[String: Any]] {
        events.filter { $0.type == EventType.signeeStalled.rawValue }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.body)) as? [String: Any]
        }
    }

    func reasons(_ events: [NewEvent]) -> [String] {
        stalls(events).compactMap { ($0["data"] as? [String: Any])?["reason"] as? String }
    }

    @Test("an unsigned signee stalls once, at the threshold and not before")
    func oneStallAtTheThreshold() throws {
        let waiting = reading([signee(1, signed: true), signee(2)])
        var (row, events) = poll(row(), waiting, at: 0)
        #expect(reasons(events).isEmpty)
        (row, events) = poll(row, waiting, at: 72 - 1.0 / 3600)
        #expect(reasons(events).isEmpty)
        (row, events) = poll(row, waiting, at: 72)
        #expect(reasons(events) == ["notSigned"])
        let event = try #require(stalls(events).first)
        #expect(event["subject"] as? String == "/party/2")
        let data = try #require(event["data"] as? [String: Any])
        #expect(data["since"] as? String == "2027-01-15T08:00:00.000000Z")
        #expect(data["stallAfterSeconds"] as? Int == 72 * 3600)
        #expect(data["round"] as? Int == 0)
        #expect((data["signee"] as? [String: Any])?["partyId"] as? Int == 2)
        // Polled again and again: told once.
        (row, events) = poll(row, waiting, at: 73)
        #expect(reasons(events).isEmpty)
        #expect(poll(row, waiting, at: 200).events.isEmpty)
    }

    @Test("each reason is its own stall, with its own id; a failure that recovers does not stall")
    func reasonsAreToldApart() throws {
        let failing = reading([signee(2, notification: .failed), signee(3, delegated: false), signee(4)])
        var (row, _) = poll(row(), failing, at: 0)
        // Signee 4's notification fails only later, and is sent after all before the threshold.
        let laterFailure = reading([
            signee(2, notification: .failed), signee(3, delegated: false), signee(4, notification: .failed),
        ])
        (row, _) = poll(row, laterFailure, at: 10)
        let recovered = reading([signee(2, notification: .failed), signee(3, delegated: false), signee(4)])
        (row, _) = poll(row, recovered, at: 60)
        let (after, events) = poll(row, recovered, at: 82)
        let told = stalls(events).map {
            "\(($0["subject"] as? String) ?? "")/\((($0["data"] as? [String: Any])?["reason"] as? String) ?? "")"
        }
        #expect(
            Set(told) == [
                "/party/2/notSigned", "/party/2/notificationFailed", "/party/3/notSigned",
                "/party/3/delegationFailed", "/party/4/notSigned",
            ])
        #expect(Set(events.map(\.id)).count == events.count)
        #expect(poll(after, recovered, at: 100).events.isEmpty)
    }

    @Test("a reject starts a new round: its stalls are told again, with new ids")
    func aNewRoundStallsAgain() throws {
        let partial = reading([signee(1, signed: true), signee(2)])
        var (row, _) = poll(row(), partial, at: 0)
        let first = poll(row, partial, at: 72)
        row = first.row
        #expect(reasons(first.events) == ["notSigned"])
        // Signee 1's signature is gone: a reject elsewhere. Both now wait, from now.
        let wiped = reading([signee(1), signee(2)])
        let reset = poll(row, wiped, at: 80)
        #expect(reset.events.map(\.type) == [EventType.signingRejected.rawValue])
        #expect(reasons(poll(reset.row, wiped, at: 80 + 71).events).isEmpty)
        let second = poll(reset.row, wiped, at: 80 + 72)
        #expect(reasons(second.events) == ["notSigned", "notSigned"])
        let rounds = stalls(second.events).compactMap { ($0["data"] as? [String: Any])?["round"] as? Int }
        #expect(rounds == [1, 1])
        #expect(Set(second.events.map(\.id)).isDisjoint(with: first.events.map(\.id)))
    }

    @Test func theIdNamesSigneeReasonAndRound() {
        let snapshot = SigningSnapshot(taskId: "Task_2", states: [signee(2)])
        var later = snapshot
        later.round = 1
        func id(_ snapshot: SigningSnapshot, _ reason: StallReason, since: TimeInterval = 0) -> String {
            CloudEventFactory.id(
                instance: Self.instance,
                .signeeStalled(
                    SigneeStall(
                        signee: snapshot.signees[0], snapshot: snapshot, reason: reason,
                        since: Self.now.addingTimeInterval(since), after: .seconds(60))))
        }
        #expect(id(snapshot, .notSigned) == id(snapshot, .notSigned, since: 999))
        #expect(id(snapshot, .notSigned) != id(snapshot, .notificationFailed))
        #expect(id(snapshot, .notSigned) != id(later, .notSigned))
    }

    @Test("a signed signee, or a process that left the task, does not stall")
    func noStallOnceSignedOrMoved() {
        let waiting = reading([signee(1), signee(2)])
        let (row, _) = poll(row(), waiting, at: 0)
        let signedLate = poll(row, reading([signee(1, signed: true), signee(2)]), at: 50)
        #expect(
            reasons(poll(signedLate.row, reading([signee(1, signed: true), signee(2)]), at: 72).events) == ["notSigned"]
        )
        let movedOn = poll(row, reading([signee(1), signee(2)], process: Self.moved), at: 100)
        #expect(reasons(movedOn.events).isEmpty)
        #expect(movedOn.row.status == .ended)
    }

    @Test("however far apart polls are, one is due when the next signee would stall")
    func theNextPollComesByTheStall() {
        let slow = TrackingPolicy(
            initialInterval: .seconds(24 * 3600), maxInterval: .seconds(24 * 3600), jitter: 0,
            deadline: .seconds(30 * 24 * 3600), stallAfter: .seconds(3600))
        let (first, _) = poll(row(), reading([signee(1)]), at: 0, policy: slow)
        #expect(first.nextPollAt == Self.now.addingTimeInterval(3600))
        // Once told, the usual interval again.
        let (told, events) = poll(first, reading([signee(1)]), at: 1, policy: slow)
        #expect(reasons(events) == ["notSigned"])
        #expect(told.nextPollAt == Self.now.addingTimeInterval(Self.hour + 24 * 3600))
        // A short interval is not lengthened.
        let (fast, _) = poll(row(), reading([signee(1)]), at: 0)
        #expect(fast.nextPollAt < Self.now.addingTimeInterval(3600))
    }

    @Test("snapshots stored before the since times still parse; the clock starts at the first reading after")
    func oldSnapshotsParse() throws {
        let old = Array(
            "v1\ntask=Task_2\nprocess=Task_2\ncomplete=0\nended=0\nround=1\nsignee=1,signed,sent,1\nsignee=2,notificationFailed,failed,1"
                .utf8)
        let state = try #require(ObservedState.stored(old))
        #expect(state.round == 1)
        #expect(state.signees.map(\.partyId) == [1, 2])
        #expect(state.signees.allSatisfy { $0.awaitingSince == nil && $0.told.isEmpty })
        var stored = row()
        stored.snapshot = old
        let (first, none) = poll(stored, reading([signee(1, signed: true), signee(2, notification: .failed)]), at: 5)
        #expect(none.isEmpty)
        let (_, events) = poll(first, reading([signee(1, signed: true), signee(2, notification: .failed)]), at: 77)
        #expect(reasons(events) == ["notSigned", "notificationFailed"])
        // Round trip of the new lines; a signee with no times keeps the old four fields.
        let kept = try #require(ObservedState.stored(first.snapshot))
        #expect(ObservedState.stored(kept.bytes) == kept)
        let text = String(decoding: kept.bytes, as: UTF8.self)
        #expect(text.contains("\nsignee=1,signed,sent,1\n") || text.hasSuffix("\nsignee=1,signed,sent,1"))
        #expect(
            text.contains("signee=2,notificationFailed,failed,1,\(Int(Self.now.timeIntervalSince1970) + 5 * 3600),"))
        // Unreadable times are no snapshot (everything counts as new; deterministic ids keep events single).
        #expect(ObservedState.stored(Array("v1\nsignee=1,awaitingSignature,sent,1,soon".utf8)) == nil)
        #expect(ObservedState.stored(Array("v1\nsignee=1,awaitingSignature,sent,1,,,,9".utf8)) == nil)
        #expect(ObservedState.stored(Array("v1\nfinal=maybe".utf8)) == nil)
    }

    @Test("the census counts stalled signees of active rows per reason")
    func censusCounts() {
        let (row, _) = poll(
            row(), reading([signee(1), signee(2, notification: .failed), signee(3, signed: true)]), at: 0)
        let at = { (hours: TimeInterval) in Self.now.addingTimeInterval(hours * Self.hour) }
        #expect(StallCensus.count([row], now: at(71), after: Self.policy.stallAfter).isEmpty)
        #expect(
            StallCensus.count([row, row], now: at(72), after: Self.policy.stallAfter)
                == [.notSigned: 4, .notificationFailed: 2])
        var ended = row
        ended.status = .ended
        #expect(StallCensus.count([ended], now: at(72), after: Self.policy.stallAfter).isEmpty)
    }

    @Test("the poll that sees the task end keeps what its last read saw, and says how it was settled")
    func theFinalSnapshot() throws {
        let (row, _) = poll(row(), reading([signee(1, signed: true), signee(2)]), at: 0)
        // Read with ?taskId= after the move: signee 2's signature is told before tracking ends.
        let read = poll(
            row,
            reading([signee(1, signed: true), signee(2, signed: true)], process: Self.moved, final: .readAtTaskEnd),
            at: 1)
        #expect(
            read.events.map(\.type) == [
                EventType.signeeSigned.rawValue, EventType.signingCompleted.rawValue, EventType.processMoved.rawValue,
            ])
        #expect(read.row.status == .complete)
        #expect(read.row.finalSigning == .readAtTaskEnd)
        #expect(read.row.lastError == nil)
        // That read failed (rights revoked): the stored state is kept, and the row says so.
        let kept = poll(
            row, Observation(signing: nil, process: Self.moved, final: .lastObserved), at: 1)
        #expect(kept.events.map(\.type) == [EventType.processMoved.rawValue])
        #expect(kept.row.status == .ended)
        #expect(kept.row.finalSigning == .lastObserved)
        #expect(kept.row.lastError?.contains("last one observed") == true)
        let state = try #require(ObservedState.stored(kept.row.snapshot))
        #expect(state.signees.map(\.status) == [.signed, .awaitingSignature])
        #expect(row.finalSigning == nil)
        // Tracked again and seen back in the task: the settlement was of the round before.
        var again = kept.row
        again.status = .active
        #expect(again.finalSigning == nil)
        let back = poll(again, reading([signee(1), signee(2)]), at: 2)
        #expect(ObservedState.stored(back.row.snapshot)?.final == nil)
    }
}
