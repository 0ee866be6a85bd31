import Foundation
import Testing

@testable import Storage

/// The events seam, both engines: tracked instances, the outbox, subscriptions and deliveries.
@Suite("Event store conformance")
struct EventStoreConformanceTests {
    @Test("commit stores the row and appends events with increasing sequences", arguments: Engine.allCases)
    func commitRowAndEvents(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            #expect(try await store.trackedInstance(instanceA) == nil)
            let first = try await store.commit(
                OutboxWrite(instance: instanceA) { row in
                    InstanceUpdate(
                        tracked: row ?? tracked(instanceA),
                        events: [event("a1", instance: instanceA), event("a2", instance: instanceA)])
                })
            #expect(first.tracked == tracked(instanceA))
            #expect(first.appended.map(\.event.id) == ["a1", "a2"])
            #expect(first.appended[0].sequence < first.appended[1].sequence)
            #expect(first.deliveriesCreated == 0)
            #expect(try await store.trackedInstance(instanceA) == tracked(instanceA))

            // The closure sees the stored row, and every field round-trips.
            @Sendable func advanced(_ row: TrackedInstance) -> TrackedInstance {
                var row = row
                row.polls += 1
                row.snapshot = [0x00, 0xFF, 0x7B]
                row.taskId = "Task_2"
                row.status = .complete
                row.processNext = .claimed(token: "tok-1", at: fixedTime(7))
                row.lastError = "timeout"
                row.leaseOwner = "tracker-1"
                row.leaseUntil = fixedTime(40)
                row.updatedAt = fixedTime(8)
                return row
            }
            let second = try await store.commit(
                OutboxWrite(instance: instanceA) { row in
                    InstanceUpdate(tracked: row.map(advanced), events: [event("a3", instance: instanceA)])
                })
            let expected = advanced(tracked(instanceA))
            #expect(expected.polls == 1)
            #expect(second.tracked == expected)
            #expect(try await store.trackedInstance(instanceA) == expected)
            #expect(second.appended.count == 1)
            #expect(second.appended[0].sequence > first.appended[1].sequence)

            // A write that returns no row leaves it alone; `.done` round-trips too.
            let untouched = try await store.commit(OutboxWrite(instance: instanceA) { _ in .none })
            #expect(untouched.tracked == expected)
            #expect(untouched.appended.isEmpty)
            let done = try await store.commit(
                OutboxWrite(instance: instanceA) { row in
                    var row = row
                    row?.processNext = .done
                    return InstanceUpdate(tracked: row, events: [])
                })
            #expect(done.tracked?.processNext == .done)
            #expect(try await store.trackedInstance(instanceA)?.processNext == .done)

            // The row a commit gives back is the row a read gives back, also for times finer than the stored
            // microsecond (the stores compute it, `TrackedInstance.asStored`, instead of reading it back).
            let fine = Date(timeIntervalSince1970: 1_764_000_000.123_456_789)
            let third = try await store.commit(
                OutboxWrite(instance: instanceA) { row in
                    var row = row ?? tracked(instanceA)
                    row.nextPollAt = fine
                    row.deadline = fine.addingTimeInterval(3600.000_000_7)
                    row.leaseUntil = fine
                    row.createdAt = fine
                    row.updatedAt = fine
                    row.processNext = .claimed(token: "tok-2", at: fine)
                    return InstanceUpdate(tracked: row, events: [])
                })
            #expect(third.tracked != nil)
            #expect(third.tracked == (try await store.trackedInstance(instanceA)))
            #expect(third.tracked?.nextPollAt != fine)

            let feed = try await store.events(after: 0, limit: 10)
            #expect(feed.map(\.event.id) == ["a1", "a2", "a3"])
            #expect(
                feed.map(\.event) == [
                    event("a1", instance: instanceA), event("a2", instance: instanceA),
                    event("a3", instance: instanceA),
                ])
        }
    }

    @Test("re-committing an event id appends nothing and fans out nothing", arguments: Engine.allCases)
    func duplicateEventIds(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1"))
            let first = try await append(store, [event("e1", instance: instanceA)])
            #expect(first.appended.map(\.event.id) == ["e1"])
            #expect(first.deliveriesCreated == 1)
            let again = try await append(store, [event("e1", instance: instanceA), event("e2", instance: instanceA)])
            #expect(again.appended.map(\.event.id) == ["e2"])
            #expect(again.deliveriesCreated == 1)
            let none = try await append(store, [event("e1", instance: instanceA)])
            #expect(none.appended.isEmpty)
            #expect(none.deliveriesCreated == 0)
            #expect(try await store.events(after: 0, limit: 10).map(\.event.id) == ["e1", "e2"])
            #expect(
                try await store.deliveries(after: 0, limit: 10, filter: DeliveryFilter()).map(\.eventId) == [
                    "e1", "e2",
                ])
        }
    }

    @Test("fan-out goes to enabled subscriptions whose filters match", arguments: Engine.allCases)
    func fanOutFilters(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("all"))
            try await store.createSubscription(subscription("signed", types: ["signed", "rejected"]))
            try await store.createSubscription(subscription("other-type", types: ["completed"]))
            try await store.createSubscription(subscription("app", apps: ["ttd/other", "ttd/signing"]))
            try await store.createSubscription(subscription("other-app", apps: ["ttd/other"]))
            try await store.createSubscription(subscription("both", types: ["signed"], apps: ["ttd/signing"]))
            try await store.createSubscription(subscription("off", enabled: false))
            // A type that is a prefix of a subscribed one must not match it.
            try await store.createSubscription(subscription("prefix", types: ["signed.more"]))

            let commit = try await append(store, [event("e1", type: "signed", instance: instanceA)])
            #expect(commit.deliveriesCreated == 4)
            let deliveries = try await store.deliveries(after: 0, limit: 20, filter: DeliveryFilter())
            #expect(Set(deliveries.map(\.subscriptionId)) == ["all", "signed", "app", "both"])
            for delivery in deliveries {
                #expect(delivery.state == .pending)
                #expect(delivery.eventId == "e1")
                #expect(delivery.eventType == "signed")
                #expect(delivery.instance == instanceA)
                #expect(delivery.eventSequence == commit.appended[0].sequence)
                #expect(delivery.attempts == 0)
                #expect(delivery.nextAttemptAt == eventTime)
            }
            let other = try await append(
                store, [event("e2", type: "completed", instance: instanceC, app: "ttd/other")])
            #expect(other.deliveriesCreated == 4)
            let later = try await store.deliveries(
                after: deliveries.map(\.id).max() ?? 0, limit: 20, filter: DeliveryFilter())
            #expect(Set(later.map(\.subscriptionId)) == ["all", "other-type", "app", "other-app"])
        }
    }

    @Test("completeIdempotent with an outbox is one transaction", arguments: Engine.allCases)
    func completeWithOutbox(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1"))
            let response = StoredResponse(status: 200, contentType: "application/json", body: [1])
            let write = OutboxWrite(instance: instanceA) { row in
                InstanceUpdate(tracked: row ?? tracked(instanceA), events: [event("e1", instance: instanceA)])
            }

            // Not in flight: nothing at all is written, neither row, events, deliveries nor audit.
            await #expect(throws: StoreError.notInFlight) {
                try await store.completeIdempotent(
                    IdempotencyScope(clientId: "erp", key: "never"), response: response, audit: entry(1),
                    outbox: write)
            }
            #expect(try await store.trackedInstance(instanceA) == nil)
            #expect(try await store.events(after: 0, limit: 10).isEmpty)
            #expect(try await store.deliveries(after: 0, limit: 10, filter: DeliveryFilter()).isEmpty)
            #expect(try await allRecords(store).isEmpty)

            #expect(try await store.beginIdempotent(claim("k")) == .acquired)
            let committed = try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "k"), response: response, audit: entry(1), outbox: write)
            #expect(committed?.tracked == tracked(instanceA))
            #expect(committed?.appended.map(\.event.id) == ["e1"])
            #expect(committed?.deliveriesCreated == 1)
            #expect(try await store.beginIdempotent(claim("k")) == .replay(response))
            #expect(try await allRecords(store).map(\.entry) == [entry(1)])
            #expect(try await store.trackedInstance(instanceA) == tracked(instanceA))

            // Without an outbox nothing is committed besides the key and the record.
            #expect(try await store.beginIdempotent(claim("k2")) == .acquired)
            let plain = try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "k2"), response: response, audit: entry(2), outbox: nil)
            #expect(plain == nil)
            #expect(try await store.events(after: 0, limit: 10).count == 1)
        }
    }

    @Test("a completion whose update replaces a stored 5xx answer commits both, in order", arguments: Engine.allCases)
    func completionWithUpgrade(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            let old = IdempotencyScope(clientId: "erp", key: "old")
            let ambiguous = StoredResponse(status: 502, contentType: "application/problem+json", body: [9])
            #expect(try await store.beginIdempotent(claim("old")) == .acquired)
            _ = try await store.completeIdempotent(old, response: ambiguous, audit: entry(1), outbox: nil)
            let confirmed = StoredResponse(status: 200, contentType: "application/json", body: [7])
            let write = OutboxWrite(instance: instanceA) { row in
                InstanceUpdate(
                    tracked: row ?? tracked(instanceA), events: [event("e1", instance: instanceA)],
                    upgrades: [IdempotencyUpgrade(scope: old, response: confirmed, audit: entry(2))])
            }

            #expect(try await store.beginIdempotent(claim("new")) == .acquired)
            let response = StoredResponse(status: 200, contentType: "application/json", body: [1])
            let committed = try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "new"), response: response, audit: entry(3), outbox: write)
            #expect(committed?.appended.map(\.event.id) == ["e1"])
            #expect(committed?.trackingStarted == true)
            #expect(committed?.tracked == tracked(instanceA))
            #expect(try await store.beginIdempotent(claim("old")) == .replay(confirmed))
            #expect(try await store.beginIdempotent(claim("new")) == .replay(response))
            // The upgrade's record before the call's own.
            #expect(try await allRecords(store).map(\.entry) == [entry(1), entry(2), entry(3)])
            #expect(try await store.trackedInstance(instanceA) == tracked(instanceA))
        }
    }

    @Test("releaseIdempotent with an outbox is one transaction", arguments: Engine.allCases)
    func releaseWithOutbox(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1"))
            let write = OutboxWrite(instance: instanceA) { _ in
                InstanceUpdate(tracked: nil, events: [event("failed-1", instance: instanceA)])
            }
            await #expect(throws: StoreError.notInFlight) {
                try await store.releaseIdempotent(
                    IdempotencyScope(clientId: "erp", key: "never"), audit: entry(1), outbox: write)
            }
            #expect(try await store.events(after: 0, limit: 10).isEmpty)
            #expect(try await allRecords(store).isEmpty)

            #expect(try await store.beginIdempotent(claim("k")) == .acquired)
            let committed = try await store.releaseIdempotent(
                IdempotencyScope(clientId: "erp", key: "k"), audit: entry(1), outbox: write)
            #expect(committed?.appended.map(\.event.id) == ["failed-1"])
            #expect(committed?.deliveriesCreated == 1)
            #expect(try await allRecords(store).map(\.entry) == [entry(1)])
            // Released: the same key may be claimed again.
            #expect(try await store.beginIdempotent(claim("k")) == .acquired)
        }
    }

    @Test("an instance filter takes the key or {partyId}/{guid} alone", arguments: Engine.allCases)
    func instanceFilterForms(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1"))
            _ = try await append(store, [event("a1", instance: instanceA)])
            // Named by `{partyId}/{guid}` alone, as signs name it: the key's suffix after `/instances/`.
            let keyed = "ttd/signing/instances/50001/dddddddd-0000-4000-8000-000000000004"
            _ = try await append(store, [event("d1", instance: keyed)])
            let short = InstanceMatch.partyAndGuid("50001/dddddddd-0000-4000-8000-000000000004")
            #expect(try await store.events(after: 0, limit: 10, instance: short).map(\.event.id) == ["d1"])
            #expect(
                try await store.deliveries(after: 0, limit: 10, filter: DeliveryFilter(instance: short)).map(\.eventId)
                    == ["d1"])
            #expect(
                try await store.events(
                    after: 0, limit: 10, instance: .partyAndGuid("50001/dddddddd-0000-4000-8000-000000000005")
                ).isEmpty)
            #expect(
                try await store.events(after: 0, limit: 10, instance: .key(keyed)).map(\.event.id) == ["d1"])
        }
    }

    @Test("per subscription and instance, one delivery in flight at a time, in event order", arguments: Engine.allCases)
    func claimOrdering(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1"))
            _ = try await append(store, [event("a1", instance: instanceA), event("a2", instance: instanceA)])
            _ = try await append(store, [event("b1", instance: instanceB)])
            // The oldest pending delivery's creation time feeds the oldest-pending-age gauge.
            let pending = try #require(try await store.deliveryCounts().first { $0.state == .pending })
            #expect(pending.count == 3)
            #expect(pending.oldestCreatedAt == eventTime)
            // The feed of one instance (the console's story): its events only, in order, paged by sequence.
            #expect(
                try await store.events(after: 0, limit: 10, instance: .key(instanceA)).map(\.event.id) == ["a1", "a2"])
            let afterA1 = try #require(try await store.events(after: 0, limit: 1, instance: .key(instanceA)).first)
                .sequence
            #expect(
                try await store.events(after: afterA1, limit: 10, instance: .key(instanceA)).map(\.event.id) == ["a2"])
            #expect(try await store.events(after: 0, limit: 10, instance: .key(instanceB)).map(\.event.id) == ["b1"])
            #expect(try await store.events(after: 0, limit: 10, instance: .key("ttd/none/instances/1/x")).isEmpty)

            let first = try await store.claimDeliveries(owner: "w1", now: now, leaseUntil: now + 30, limit: 10)
            #expect(first.map(\.delivery.eventId) == ["a1", "b1"])
            #expect(
                first.map(\.body) == [event("a1", instance: instanceA).body, event("b1", instance: instanceB).body])
            #expect(first.allSatisfy { $0.subscription == subscription("s1") })
            // A1 is leased, so still pending: A2 stays blocked for everyone.
            #expect(try await store.claimDeliveries(owner: "w2", now: now, leaseUntil: now + 30, limit: 10).isEmpty)

            try await store.finishDeliveries([outcome(first[0].delivery.id, number: 1, next: .delivered)])
            let second = try await store.claimDeliveries(owner: "w2", now: now, leaseUntil: now + 30, limit: 10)
            #expect(second.map(\.delivery.eventId) == ["a2"])
            let a1 = try #require(try await store.delivery(id: first[0].delivery.id))
            #expect(a1.state == .delivered)
            #expect(a1.attempts == 1)
            #expect(a1.lastStatus == 200)
            #expect(a1.lastVerdict == "delivered")
            #expect(a1.nextAttemptAt == nil)
            #expect(a1.failuresSinceArmed == 0)
        }
    }

    @Test("a retry keeps later events blocked; a dead delivery unblocks them", arguments: Engine.allCases)
    func retryBlocksDeadUnblocks(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1"))
            _ = try await append(store, [event("a1", instance: instanceA), event("a2", instance: instanceA)])
            let a1 = try await store.claimDeliveries(owner: "w1", now: now, leaseUntil: now + 30, limit: 10)
            #expect(a1.map(\.delivery.eventId) == ["a1"])
            try await store.finishDeliveries([
                outcome(a1[0].delivery.id, number: 1, status: 503, verdict: "failed", next: .retry(at: now + 60))
            ])
            let retrying = try #require(try await store.delivery(id: a1[0].delivery.id))
            #expect(retrying.state == .pending)
            #expect(retrying.nextAttemptAt == now + 60)
            #expect(retrying.failuresSinceArmed == 1)
            // A1 is not due yet and A2 must wait for it.
            #expect(
                try await store.claimDeliveries(owner: "w1", now: now + 59, leaseUntil: now + 90, limit: 10).isEmpty)
            let again = try await store.claimDeliveries(owner: "w1", now: now + 60, leaseUntil: now + 90, limit: 10)
            #expect(again.map(\.delivery.eventId) == ["a1"])
            #expect(again.first?.delivery.attempts == 1)
            try await store.finishDeliveries([
                outcome(a1[0].delivery.id, number: 2, status: nil, verdict: "timeout", next: .dead)
            ])
            let dead = try #require(try await store.delivery(id: a1[0].delivery.id))
            #expect(dead.state == .dead)
            #expect(dead.failuresSinceArmed == 2)
            #expect(dead.attempts == 2)
            #expect(dead.lastStatus == nil)
            let a2 = try await store.claimDeliveries(owner: "w1", now: now + 60, leaseUntil: now + 90, limit: 10)
            #expect(a2.map(\.delivery.eventId) == ["a2"])
        }
    }

    @Test("a claim for one subscription takes only its deliveries, in the same order", arguments: Engine.allCases)
    func claimOneSubscription(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1"))
            try await store.createSubscription(subscription("s2"))
            _ = try await append(
                store,
                [event("a1", instance: instanceA), event("a2", instance: instanceA), event("b1", instance: instanceB)])
            let s2 = try await store.claimDeliveries(
                owner: "w2", now: now, leaseUntil: now + 30, limit: 10, subscriptionId: "s2")
            #expect(s2.map(\.subscription.id) == ["s2", "s2"])
            #expect(s2.map(\.delivery.eventId) == ["a1", "b1"])
            // s1's deliveries are untouched by s2's claim and its leases.
            let s1 = try await store.claimDeliveries(
                owner: "w1", now: now, leaseUntil: now + 30, limit: 10, subscriptionId: "s1")
            #expect(s1.map(\.delivery.eventId) == ["a1", "b1"])
            #expect(s1.allSatisfy { $0.subscription.id == "s1" })
            #expect(
                try await store.claimDeliveries(
                    owner: "w3", now: now, leaseUntil: now + 30, limit: 10, subscriptionId: "s-unknown"
                ).isEmpty)
        }
    }

    @Test("a lease hides a delivery from other owners until it expires", arguments: Engine.allCases)
    func deliveryLeases(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1"))
            _ = try await append(store, [event("a1", instance: instanceA), event("b1", instance: instanceB)])
            let mine = try await store.claimDeliveries(owner: "w1", now: now, leaseUntil: now + 30, limit: 1)
            #expect(mine.map(\.delivery.eventId) == ["a1"])
            let theirs = try await store.claimDeliveries(owner: "w2", now: now + 10, leaseUntil: now + 40, limit: 10)
            #expect(theirs.map(\.delivery.eventId) == ["b1"])
            #expect(
                try await store.claimDeliveries(owner: "w3", now: now + 29, leaseUntil: now + 60, limit: 10).isEmpty)
            // w1's lease ran out (w2's has not).
            let expired = try await store.claimDeliveries(owner: "w3", now: now + 30, leaseUntil: now + 60, limit: 10)
            #expect(expired.map(\.delivery.eventId) == ["a1"])
        }
    }

    @Test(
        "replicas claiming concurrently never share a delivery, and keep each instance in order",
        arguments: Engine.allCases)
    func concurrentClaims(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let replica = try await harness.openReplica()
            try await harness.store.createSubscription(subscription("s1"))
            let instances = (0..<20).map {
                "ttd/signing/50001/\(String(format: "%08d", $0))-0000-4000-8000-000000000000"
            }
            for round in 0..<10 {
                _ = try await harness.store.commit(
                    OutboxWrite(instance: "batch") { _ in
                        InstanceUpdate(
                            tracked: nil,
                            events: instances.map {
                                event("\($0)#\(round)", instance: $0, time: fixedTime(Double(round)))
                            }
                        )
                    })
            }
            let log = ClaimLog()
            let stores = [harness.store, replica]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (index, store) in stores.enumerated() {
                    group.addTask {
                        var rounds = 0
                        while await log.count < 200 {
                            rounds += 1
                            // A bound, not a wait: enough for every delivery many times over.
                            guard rounds < 5_000 else { return }
                            let claimed = try await store.claimDeliveries(
                                owner: "w\(index)", now: now, leaseUntil: now + 3_600, limit: 10)
                            await log.record(claimed.map(\.delivery))
                            try await store.finishDeliveries(
                                claimed.map { outcome($0.delivery.id, number: 1, next: .delivered) })
                        }
                    }
                }
                try await group.waitForAll()
            }
            await replica.close()
            let claimed = await log.deliveries
            #expect(claimed.count == 200)
            #expect(Set(claimed.map(\.id)).count == 200)
            for instance in instances {
                let sequences = claimed.filter { $0.instance == instance }.map(\.eventSequence)
                #expect(sequences.count == 10)
                #expect(sequences == sequences.sorted())
            }
            #expect(
                try await harness.store.deliveryCounts().map(\.summary) == [
                    DeliveryCount.Summary(subscriptionId: "s1", state: .delivered, count: 200)
                ])
        }
    }

    @Test("a 410 disables the subscription in the same transaction", arguments: Engine.allCases)
    func goneDisables(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("gone"))
            try await store.createSubscription(subscription("fine", types: ["signed"]))
            _ = try await append(store, [event("a1", instance: instanceA), event("b1", instance: instanceB)])
            let claimed = try await store.claimDeliveries(owner: "w1", now: now, leaseUntil: now + 30, limit: 10)
            #expect(claimed.count == 4)
            let gone = claimed.filter { $0.subscription.id == "gone" }
            #expect(gone.map(\.delivery.eventId) == ["a1", "b1"])
            try await store.finishDeliveries([
                outcome(
                    gone[0].delivery.id, number: 1, status: 410, verdict: "gone", next: .dead,
                    disable: "endpoint answered 410"),
                outcome(gone[1].delivery.id, number: 1, status: 503, verdict: "failed", next: .retry(at: now)),
            ])
            let disabled = try #require(try await store.subscription(id: "gone"))
            #expect(!disabled.enabled)
            #expect(disabled.disabledReason == "endpoint answered 410")
            #expect(disabled.updatedAt == now + 1)
            // B1 is due and unleased, but its subscription is off; "fine" is untouched (its leases ran out).
            #expect(
                try await store.claimDeliveries(owner: "w2", now: now + 60, leaseUntil: now + 90, limit: 10)
                    .map(\.subscription.id) == ["fine", "fine"])
            #expect(try await store.subscription(id: "fine")?.enabled == true)
            // Appending to a disabled subscription fans nothing out to it.
            #expect(try await append(store, [event("c1", instance: instanceC)]).deliveriesCreated == 1)
        }
    }

    @Test("retryDelivery re-arms any delivery; replay re-sends matching events", arguments: Engine.allCases)
    func retryAndReplay(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1", types: ["signed"], apps: ["ttd/signing"]))
            _ = try await append(store, [event("e1", type: "signed", instance: instanceA, time: fixedTime(1))])
            _ = try await append(store, [event("e2", type: "rejected", instance: instanceA, time: fixedTime(2))])
            _ = try await append(store, [event("e3", type: "signed", instance: instanceB, time: fixedTime(3))])
            _ = try await append(
                store, [event("e4", type: "signed", instance: instanceC, app: "ttd/other", time: fixedTime(4))])
            _ = try await append(store, [event("e5", type: "signed", instance: instanceA, time: fixedTime(5))])

            // e5 waits behind e1 (same instance); e3's lease outlasts what follows.
            let claimed = try await store.claimDeliveries(owner: "w1", now: now, leaseUntil: now + 1_000, limit: 10)
            #expect(claimed.map(\.delivery.eventId) == ["e1", "e3"])
            try await store.finishDeliveries([outcome(claimed[0].delivery.id, number: 1, next: .dead)])
            let rearmed = try #require(try await store.retryDelivery(id: claimed[0].delivery.id, now: now + 100))
            #expect(rearmed.state == .pending)
            #expect(rearmed.nextAttemptAt == now + 100)
            #expect(rearmed.failuresSinceArmed == 0)
            #expect(rearmed.attempts == 1)
            #expect(rearmed.updatedAt == now + 100)
            #expect(
                try await store.claimDeliveries(owner: "w2", now: now + 99, leaseUntil: now + 130, limit: 10).isEmpty)
            // A leased one is re-armed too (its lease cleared).
            let leased = try #require(try await store.retryDelivery(id: claimed[1].delivery.id, now: now + 100))
            #expect(leased.state == .pending)
            let due = try await store.claimDeliveries(owner: "w2", now: now + 100, leaseUntil: now + 130, limit: 10)
            #expect(due.map(\.delivery.eventId) == ["e1", "e3"])
            #expect(try await store.retryDelivery(id: 999_999, now: now) == nil)

            // While e1, e3 and e5 still wait, a replay adds no second copy of them.
            #expect(try await store.replay(subscriptionId: "s1", since: fixedTime(0), now: now + 150) == 0)
            try await deliverAll(store, at: now + 150)

            // Replay from e2's time on: e3 and e5 (e2's type and e4's app do not match), in event order.
            let before = try await store.deliveries(after: 0, limit: 100, filter: DeliveryFilter()).map(\.id).max() ?? 0
            #expect(try await store.replay(subscriptionId: "s1", since: fixedTime(2), now: now + 200) == 2)
            let replayed = try await store.deliveries(after: before, limit: 100, filter: DeliveryFilter())
            #expect(replayed.map(\.eventId) == ["e3", "e5"])
            #expect(replayed.allSatisfy { $0.state == .pending && $0.nextAttemptAt == now + 200 && $0.attempts == 0 })
            // Replaying again at once: both still wait, nothing is added.
            #expect(try await store.replay(subscriptionId: "s1", since: fixedTime(2), now: now + 200) == 0)
            #expect(try await store.replay(subscriptionId: "nope", since: fixedTime(0), now: now) == nil)
            try await deliverAll(store, at: now + 200)
            // A disabled subscription can be replayed to (it is sent once re-enabled).
            _ = try await store.updateSubscription(id: "s1") { current in
                var changed = current
                changed.enabled = false
                return changed
            }
            #expect(try await store.replay(subscriptionId: "s1", since: fixedTime(5), now: now) == 1)
        }
    }

    @Test(
        "retention removes finished deliveries and unreferenced old events, never pending ones",
        arguments: Engine.allCases)
    func retentionPrunesOnlyWhatIsFinished(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1", apps: ["ttd/signing"]))
            _ = try await append(store, [event("old1", instance: instanceA, time: fixedTime(1))])
            _ = try await append(store, [event("old2", instance: instanceB, time: fixedTime(2))])
            _ = try await append(store, [event("old3", instance: instanceC, time: fixedTime(3))])
            // Matches no subscription: no delivery ever refers to it.
            _ = try await append(store, [event("orphan", instance: instanceA, app: "ttd/other", time: fixedTime(4))])
            _ = try await append(store, [event("recent", instance: instanceB, time: now + 500)])
            let claimed = try await store.claimDeliveries(owner: "w", now: now, leaseUntil: now + 10, limit: 10)
            let byEvent = Dictionary(uniqueKeysWithValues: claimed.map { ($0.delivery.eventId, $0.delivery.id) })
            let delivered = try #require(byEvent["old1"])
            let dead = try #require(byEvent["old2"])
            try await store.finishDeliveries([
                outcome(delivered, number: 1, next: .delivered), outcome(dead, number: 1, status: 500, next: .dead),
            ])
            // old3's delivery stays pending (its lease simply expires).

            let pruned = try await store.pruneDeliveries(before: now + 100)
            #expect(pruned == PrunedDeliveries(attempts: 2, deliveries: 2, events: 3))
            let left = try await store.deliveries(after: 0, limit: 100, filter: DeliveryFilter())
            #expect(Set(left.map(\.eventId)) == ["old3", "recent"])
            #expect(left.allSatisfy { $0.state == .pending })
            #expect(try await store.deliveryAttempts(deliveryId: delivered).isEmpty)
            let events = try await store.events(after: 0, limit: 100).map(\.event.id)
            #expect(events == ["old3", "recent"])
            // A second pass finds nothing more.
            #expect(
                try await store.pruneDeliveries(before: now + 100)
                    == PrunedDeliveries(attempts: 0, deliveries: 0, events: 0))
        }
    }

    @Test("attempts are recorded in order and the record follows them", arguments: Engine.allCases)
    func attemptsInOrder(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await store.createSubscription(subscription("s1"))
            _ = try await append(store, [event("a1", instance: instanceA)])
            let id = try #require(
                try await store.claimDeliveries(owner: "w", now: now, leaseUntil: now + 1, limit: 1).first
            )
            .delivery.id
            let outcomes = [
                outcome(id, number: 1, status: 500, verdict: "failed", next: .retry(at: now + 10), excerpt: "oops"),
                outcome(id, number: 2, status: nil, verdict: "timeout", next: .retry(at: now + 20)),
                outcome(id, number: 3, status: 204, verdict: "delivered", next: .delivered),
            ]
            for item in outcomes { try await store.finishDeliveries([item]) }
            #expect(try await store.deliveryAttempts(deliveryId: id) == outcomes.map(\.attempt))
            let record = try #require(try await store.delivery(id: id))
            #expect(record.attempts == 3)
            #expect(record.lastStatus == 204)
            #expect(record.lastVerdict == "delivered")
            #expect(record.state == .delivered)
            #expect(record.failuresSinceArmed == 2)
            #expect(record.updatedAt == outcomes[2].attempt.time)
            #expect(try await store.deliveryAttempts(deliveryId: id + 1).isEmpty)
        }
    }

    @Test("subscriptions: create, conflict, order, update, delete with deliveries", arguments: Engine.allCases)
    func subscriptionLifecycle(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            var full = subscription("s2", types: ["signed", "rejected"], apps: ["ttd/signing"], created: fixedTime(2))
            full.disabledReason = "paused"
            full.description = "ERP"
            full.previousSecret = "whsec_old"
            full.previousSecretExpiresAt = fixedTime(99)
            try await store.createSubscription(full)
            try await store.createSubscription(subscription("s1", created: fixedTime(1)))
            await #expect(throws: StoreError.conflict) { try await store.createSubscription(subscription("s1")) }
            #expect(try await store.subscription(id: "s2") == full)
            #expect(try await store.subscription(id: "none") == nil)
            #expect(try await store.subscriptions().map(\.id) == ["s1", "s2"])

            let updated = try await store.updateSubscription(id: "s2") { current in
                var changed = current
                changed.url = "https://erp.example/hook2"
                changed.types = []
                changed.secret = "whsec_new"
                changed.previousSecret = current.secret
                changed.updatedAt = fixedTime(50)
                return changed
            }
            #expect(updated?.url == "https://erp.example/hook2")
            #expect(updated?.types == [])
            #expect(updated?.previousSecret == full.secret)
            #expect(try await store.subscription(id: "s2") == updated)
            #expect(try await store.updateSubscription(id: "none") { $0 } == nil)

            _ = try await append(store, [event("a1", instance: instanceA), event("b1", instance: instanceB)])
            let claimed = try await store.claimDeliveries(owner: "w", now: now, leaseUntil: now + 1, limit: 10)
            try await store.finishDeliveries(claimed.map { outcome($0.delivery.id, number: 1, next: .delivered) })
            let s1 = try await store.deliveries(after: 0, limit: 10, filter: DeliveryFilter(subscriptionId: "s1"))
            #expect(s1.count == 2)
            #expect(
                try await store.deliveryCounts().map(\.summary) == [
                    DeliveryCount.Summary(subscriptionId: "s1", state: .delivered, count: 2),
                    DeliveryCount.Summary(subscriptionId: "s2", state: .delivered, count: 2),
                ])
            // The attempts behind them, per subscription and verdict, with the latest time; none after it.
            #expect(
                try await store.attemptSummary(since: now) == [
                    AttemptSummary(subscriptionId: "s1", verdict: "delivered", count: 2, lastAt: now + 1),
                    AttemptSummary(subscriptionId: "s2", verdict: "delivered", count: 2, lastAt: now + 1),
                ])
            #expect(try await store.attemptSummary(since: now + 2).isEmpty)

            #expect(try await store.deleteSubscription(id: "s1"))
            #expect(try await store.deleteSubscription(id: "s1") == false)
            #expect(try await store.subscription(id: "s1") == nil)
            #expect(
                try await store.deliveries(after: 0, limit: 10, filter: DeliveryFilter(subscriptionId: "s1")).isEmpty)
            for delivery in s1 { #expect(try await store.deliveryAttempts(deliveryId: delivery.id).isEmpty) }
            #expect(try await store.deliveries(after: 0, limit: 10, filter: DeliveryFilter()).count == 2)
            #expect(try await store.events(after: 0, limit: 10).count == 2)
            // Filters combine.
            #expect(
                try await store.deliveries(
                    after: 0, limit: 10,
                    filter: DeliveryFilter(state: .delivered, subscriptionId: "s2", instance: .key(instanceB))
                ).map(\.eventId) == ["b1"])
            #expect(try await store.deliveries(after: 0, limit: 10, filter: DeliveryFilter(state: .pending)).isEmpty)
        }
    }

    @Test("tracked instances: due claims with leases, paging, counts, untrack", arguments: Engine.allCases)
    func trackedClaims(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            var leased = tracked("i/leased", nextPollAt: fixedTime(1))
            leased.leaseOwner = "other"
            leased.leaseUntil = now + 30
            var complete = tracked("i/complete", nextPollAt: fixedTime(1))
            complete.status = .complete
            let rows = [
                tracked("i/due-1", nextPollAt: fixedTime(2)), tracked("i/due-2", nextPollAt: fixedTime(1)),
                tracked("i/later", nextPollAt: now + 10), leased, complete,
            ]
            for row in rows {
                _ = try await store.commit(
                    OutboxWrite(instance: row.instance) { _ in InstanceUpdate(tracked: row, events: []) })
            }

            let first = try await store.claimDueTrackedInstances(owner: "t1", now: now, leaseUntil: now + 30, limit: 1)
            #expect(first.map(\.instance) == ["i/due-2"])
            #expect(first.first?.leaseOwner == "t1")
            #expect(first.first?.leaseUntil == now + 30)
            #expect(try await store.trackedInstance("i/due-2")?.leaseOwner == "t1")
            let second = try await store.claimDueTrackedInstances(
                owner: "t2", now: now, leaseUntil: now + 30, limit: 10)
            #expect(second.map(\.instance) == ["i/due-1"])
            #expect(
                try await store.claimDueTrackedInstances(owner: "t3", now: now, leaseUntil: now + 30, limit: 10).isEmpty
            )
            // Leases end; "i/later" became due meanwhile; "i/complete" never is.
            let third = try await store.claimDueTrackedInstances(
                owner: "t3", now: now + 30, leaseUntil: now + 60, limit: 10)
            #expect(Set(third.map(\.instance)) == ["i/due-1", "i/due-2", "i/later", "i/leased"])
            #expect(third.allSatisfy { $0.leaseOwner == "t3" })

            #expect(
                try await store.trackedInstances(after: nil, limit: 2, status: nil).map(\.instance) == [
                    "i/complete", "i/due-1",
                ])
            #expect(
                try await store.trackedInstances(after: "i/due-1", limit: 10, status: nil).map(\.instance)
                    == ["i/due-2", "i/later", "i/leased"])
            #expect(
                try await store.trackedInstances(after: nil, limit: 10, status: .complete).map(\.instance) == [
                    "i/complete"
                ])
            #expect(
                try await store.trackingCounts() == [
                    TrackingCount(status: .active, count: 4), TrackingCount(status: .complete, count: 1),
                ])
            #expect(try await store.untrack("i/later"))
            #expect(try await store.untrack("i/later") == false)
            #expect(try await store.trackedInstance("i/later") == nil)
        }
    }

    @Test("the pull feed returns commit order with cursor paging", arguments: Engine.allCases)
    func pullFeed(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            var ids: [String] = []
            for index in 0..<25 {
                let instance = [instanceA, instanceB, instanceC][index % 3]
                // Event times out of order: the feed follows commits, not times.
                let id = "e\(index)"
                ids.append(id)
                _ = try await append(store, [event(id, instance: instance, time: fixedTime(Double(100 - index)))])
            }
            var feed: [EventRecord] = []
            while true {
                let page = try await store.events(after: feed.last?.sequence ?? 0, limit: 10)
                feed += page
                if page.count < 10 { break }
            }
            #expect(feed.map(\.event.id) == ids)
            #expect(zip(feed, feed.dropFirst()).allSatisfy { $0.sequence < $1.sequence })
            #expect(try await store.events(after: feed.last?.sequence ?? 0, limit: 10).isEmpty)
            #expect(try await store.events(after: 0, limit: 0).isEmpty)
        }
    }

    @Test("concurrent read-modify-writes of one row never lose an update", arguments: Engine.allCases)
    func concurrentCommits(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let replica = try await harness.openReplica()
            let stores = [harness.store, replica]
            let sequences = try await withThrowingTaskGroup(of: [Int64].self) { group in
                for index in 0..<50 {
                    let store = stores[index % 2]
                    group.addTask {
                        let committed = try await store.commit(
                            OutboxWrite(instance: instanceA) { row in
                                var row = row ?? tracked(instanceA)
                                row.polls += 1
                                return InstanceUpdate(
                                    tracked: row, events: [event("poll-\(row.polls)", instance: instanceA)])
                            })
                        return committed.appended.map(\.sequence)
                    }
                }
                return try await group.reduce(into: [Int64]()) { $0 += $1 }
            }
            await replica.close()
            #expect(try await harness.store.trackedInstance(instanceA)?.polls == 50)
            // Each commit saw its predecessor's row, so every id was new and appended once.
            #expect(sequences.count == 50)
            let feed = try await harness.store.events(after: 0, limit: 100)
            #expect(feed.map(\.event.id) == (1...50).map { "poll-\($0)" })
        }
    }
}

// MARK: Fixtures

let instanceA = "ttd/signing/50001/aaaaaaaa-0000-4000-8000-000000000001"
let instanceB = "ttd/signing/50001/bbbbbbbb-0000-4000-8000-000000000002"
let instanceC = "ttd/signing/50001/cccccccc-0000-4000-8000-000000000003"

/// Every fixture event's time unless told otherwise; claims happen at `now`, later.
let eventTime = fixedTime(0)
let now = fixedTime(1_000)

func tracked(_ instance: String, nextPollAt: Date = fixedTime(0)) -> TrackedInstance {
    TrackedInstance(
        instance: instance, clientId: "erp", tokenProfile: "maskinporten", taskId: nil, completeWhenAllSigned: true,
        nextPollAt: nextPollAt, deadline: fixedTime(86_400),
        traceparent: "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", createdAt: fixedTime(0),
        updatedAt: fixedTime(0))
}

func event(
    _ id: String, type: String = "signed", instance: String, app: String = "ttd/signing", time: Date = eventTime
) -> NewEvent {
    NewEvent(
        id: id, type: type, instance: instance, app: app, time: time,
        body: Array("{\"id\":\"\(id)\",\"type\":\"\(type)\"}".utf8) + [0x00, 0xFF])
}

func subscription(
    _ id: String, types: [String] = [], apps: [String] = [], enabled: Bool = true, created: Date = fixedTime(0)
) -> Subscription {
    Subscription(
        id: id, url: "https://erp.example/hooks/\(id)", types: types, apps: apps, enabled: enabled, description: nil,
        secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", createdAt: created, updatedAt: created)
}

/// Claims and delivers every due delivery until none is left (each instance's queue in turn).
func deliverAll(_ store: any Store, at time: Date) async throws {
    while true {
        let claimed = try await store.claimDeliveries(owner: "drain", now: time, leaseUntil: time + 10, limit: 100)
        if claimed.isEmpty { return }
        try await store.finishDeliveries(claimed.map { outcome($0.delivery.id, number: 1, next: .delivered) })
    }
}

func outcome(
    _ id: Int64, number: Int, status: Int? = 200, verdict: String = "delivered", next: DeliveryOutcome.Next,
    disable: String? = nil, excerpt: String? = nil
) -> DeliveryOutcome {
    DeliveryOutcome(
        attempt: DeliveryAttempt(
            deliveryId: id, number: number, time: now + Double(number), status: status, latencyMicros: 1_500,
            verdict: verdict, responseExcerpt: excerpt),
        next: next, disableSubscription: disable)
}

/// Appends events without touching any tracked row.
func append(_ store: any Store, _ events: [NewEvent]) async throws -> OutboxCommit {
    try await store.commit(
        OutboxWrite(instance: events.first?.instance ?? "none") { _ in InstanceUpdate(tracked: nil, events: events) })
}

/// What the concurrent claimers got, in the order they got it.
actor ClaimLog {
    private(set) var deliveries: [DeliveryRecord] = []
    var count: Int { deliveries.count }

    func record(_ claimed: [DeliveryRecord]) { deliveries += claimed }
}

extension DeliveryCount {
    /// The counts without the time, which depends on when the test ran.
    struct Summary: Equatable {
        var subscriptionId: String
        var state: DeliveryState
        var count: Int
    }

    var summary: Summary { Summary(subscriptionId: self.subscriptionId, state: self.state, count: self.count) }
}
