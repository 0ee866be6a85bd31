import Foundation
import PostgresNIO
import Testing

@testable import Storage

/// Calls' completions sent together (`PostgresStore.finishBatch`, `signing_gateway_finish_calls`): each call's
/// outcome must be what it would have been alone.
@Suite("PostgreSQL completions sent together")
struct CompletionBatchTests {
    static let kept = StoredResponse(status: 200, contentType: "application/json", body: Array("{}".utf8))

    /// An outbox write that stores `instance`'s row (one more poll than before) with `events`.
    static func write(_ instance: String, events: [NewEvent] = []) -> OutboxWrite {
        OutboxWrite(instance: instance) { row in
            var row = row ?? tracked(instance)
            row.polls += 1
            return InstanceUpdate(tracked: row, events: events)
        }
    }

    static func lease(_ store: PostgresStore, _ instance: String, at time: Date = fixedTime()) async throws
        -> WriteLease
    {
        try #require(
            try await store.acquireWriteLease(instance: instance, owner: "A", now: time, until: time + 60))
    }

    static func scope(_ key: String) -> IdempotencyScope { IdempotencyScope(clientId: "erp", key: key) }

    /// `pg_advisory_lock` or `pg_advisory_unlock` of the lock a completion takes on `instance`.
    static func instanceLock(_ verb: String, _ instance: String) -> [PostgresQuery] {
        [
            PostgresQuery(
                unsafeSQL: "SELECT pg_advisory_\(verb)(\(PostgresStore.instanceLockClass), hashtext('\(instance)'))")
        ]
    }

    @Test("each call in a batch ends as it would alone: kept, released, not in flight, stale; one chain")
    func outcomes() async throws {
        try await withHarness(.postgres) { harness in
            let store = try #require(harness.store as? PostgresStore)
            let replica = try await harness.openReplica()
            let other = try #require(replica as? any InstanceWriteLeases)
            _ = try await store.commit(Self.write(instanceC))
            for key in ["k1", "k2", "k3", "k5"] { #expect(try await store.beginIdempotent(claim(key)) == .acquired) }
            let stale = try await Self.lease(store, instanceC)
            // Another writer changes C's row after the lease read it.
            _ = try await store.commit(Self.write(instanceC))
            let events1 = [event("e1", instance: instanceA)]
            let events3 = [event("e3a", instance: instanceB), event("e3b", instance: instanceB)]
            let items = try [
                PostgresStore.PendingFinish(
                    Self.scope("k1"), .keep(Self.kept), audit: entry(1), outbox: Self.write(instanceA, events: events1),
                    lease: try await Self.lease(store, instanceA)),
                PostgresStore.PendingFinish(Self.scope("k2"), .release, audit: entry(2), outbox: nil, lease: nil),
                PostgresStore.PendingFinish(
                    Self.scope("k3"), .keep(Self.kept), audit: entry(3), outbox: Self.write(instanceB, events: events3),
                    lease: try await Self.lease(store, instanceB)),
                // Never claimed: not in flight, and its events are not appended.
                PostgresStore.PendingFinish(
                    Self.scope("k4"), .keep(Self.kept), audit: entry(4),
                    outbox: OutboxWrite(instance: "i-none") { _ in
                        InstanceUpdate(tracked: nil, events: [event("e4", instance: "i-none")])
                    }, lease: try await Self.lease(store, "i-none")),
                PostgresStore.PendingFinish(
                    Self.scope("k5"), .keep(Self.kept), audit: entry(5), outbox: Self.write(instanceC), lease: stale),
            ].map { try #require($0) }
            let answers = await PostgresStore.finishBatch(items, on: store.pool)
            try #require(answers.count == 5)

            guard case .finished(.done(let first?)) = answers[0], case .finished(.done(nil)) = answers[1],
                case .finished(.done(let third?)) = answers[2], case .finished(.notInFlight) = answers[3],
                case .stale = answers[4]
            else {
                Issue.record("answers: \(answers)")
                return
            }
            #expect(first.appended.map(\.event) == events1 && first.trackingStarted && first.tracked?.polls == 1)
            #expect(third.appended.map(\.event) == events3 && third.trackingStarted)
            #expect(first.appended[0].sequence < third.appended[0].sequence)
            #expect(third.appended[0].sequence < third.appended[1].sequence)
            #expect(try await store.events(after: 0, limit: 10).map(\.event.id) == ["e1", "e3a", "e3b"])
            #expect(try await store.trackedInstance(instanceA)?.polls == 1)
            #expect(try await store.trackedInstance(instanceB)?.polls == 1)
            #expect(try await store.trackedInstance(instanceC)?.polls == 2, "the stale call wrote nothing")

            // The done calls' keys and audit records, in the batch's order; the others' not.
            #expect(try await store.beginIdempotent(claim("k1")) == .replay(Self.kept))
            #expect(try await store.beginIdempotent(claim("k2")) == .acquired)
            #expect(try await store.beginIdempotent(claim("k3")) == .replay(Self.kept))
            #expect(try await store.beginIdempotent(claim("k5")) == .inFlight)
            #expect(try await allRecords(store).map(\.entry) == [entry(1), entry(2), entry(3)])
            #expect(try await AuditVerifier.verify(store: store) == .intact(count: 3, head: allRecords(store)[2].hash))

            // Every lease went back with the statement, the stale call's too.
            for instance in [instanceA, instanceB, instanceC] {
                let now = fixedTime()
                #expect(
                    try await other.acquireWriteLease(instance: instance, owner: "B", now: now, until: now + 60) != nil)
            }
            await replica.close()
        }
    }

    @Test("a batch the server refuses writes nothing, not even the leases' give-back")
    func refused() async throws {
        try await withHarness(.postgres) { harness in
            let store = try #require(harness.store as? PostgresStore)
            let replica = try await harness.openReplica()
            let other = try #require(replica as? any InstanceWriteLeases)
            try await harness.raw(
                "ALTER TABLE idempotency_keys ADD CONSTRAINT refuse_599 CHECK (response_status IS DISTINCT FROM 599)")
            for key in ["k1", "k2"] { #expect(try await store.beginIdempotent(claim(key)) == .acquired) }
            let refusedAnswer = StoredResponse(status: 599, contentType: "text/plain", body: [])
            let items = try [
                PostgresStore.PendingFinish(
                    Self.scope("k1"), .keep(Self.kept), audit: entry(1), outbox: Self.write(instanceA),
                    lease: try await Self.lease(store, instanceA)),
                PostgresStore.PendingFinish(
                    Self.scope("k2"), .keep(refusedAnswer), audit: entry(2), outbox: nil, lease: nil),
            ].map { try #require($0) }
            let answers = await PostgresStore.finishBatch(items, on: store.pool)
            #expect(answers.allSatisfy { if case .alone = $0 { true } else { false } })
            #expect(try await store.beginIdempotent(claim("k1")) == .inFlight)
            #expect(try await store.trackedInstance(instanceA) == nil)
            #expect(try await allRecords(store).isEmpty)
            let now = fixedTime()
            #expect(
                try await other.acquireWriteLease(instance: instanceA, owner: "B", now: now, until: now + 60) == nil)
            await replica.close()
        }
    }

    @Test("completions that come while one is out go as one statement; in a refused one, each call completes alone")
    func throughTheStore() async throws {
        try await withHarness(.postgres) { harness in
            let store = try #require(harness.store as? PostgresStore)
            let holder = try #require(try await harness.openReplica() as? PostgresStore)
            try await harness.raw(
                "ALTER TABLE idempotency_keys ADD CONSTRAINT refuse_599 CHECK (response_status IS DISTINCT FROM 599)")
            let refusedAnswer = StoredResponse(status: 599, contentType: "text/plain", body: [])
            let instances = (0..<4).map { "ttd/signing/50001/batch-\($0)" }

            /// Four completions: the first held by the lock on its instance, the others queued behind it.
            func round(_ name: String, refusing: Int?) async throws -> [Result<OutboxCommit?, StoreError>] {
                var leases: [WriteLease] = []
                for (number, instance) in instances.enumerated() {
                    #expect(try await store.beginIdempotent(claim("\(name)-\(number)")) == .acquired)
                    leases.append(try await Self.lease(store, instance))
                }
                let lock = HeldConnection(
                    holder, Self.instanceLock("lock", instances[0]), Self.instanceLock("unlock", instances[0]))
                await lock.untilHeld()
                return try await withThrowingTaskGroup(of: (Int, Result<OutboxCommit?, StoreError>).self) { group in
                    for number in 0..<4 {
                        let response = number == refusing ? refusedAnswer : Self.kept
                        let (scope, lease) = (Self.scope("\(name)-\(number)"), leases[number])
                        let write = Self.write(
                            instances[number], events: [event("\(name)-e\(number)", instance: instances[number])])
                        group.addTask {
                            do {
                                return (
                                    number,
                                    .success(
                                        try await store.completeIdempotent(
                                            scope, response: response, audit: entry(number, key: scope.key),
                                            outbox: write, givingBack: lease))
                                )
                            } catch { return (number, .failure(error as! StoreError)) }
                        }
                        await store.completions.untilQueued(number)
                    }
                    try await lock.release()
                    var results = [Result<OutboxCommit?, StoreError>?](repeating: nil, count: 4)
                    for try await (number, result) in group { results[number] = result }
                    return results.map { $0! }
                }
            }

            let together = try await round("a", refusing: nil)
            #expect(store.completions.sent == .init(statements: 2, items: 4), "one alone, then three together")
            for (number, result) in together.enumerated() {
                let committed = try #require(try result.get())
                #expect(committed.appended.map(\.event.id) == ["a-e\(number)"])
            }

            let refused = try await round("b", refusing: 2)
            #expect(store.completions.sent == .init(statements: 4, items: 8))
            for (number, result) in refused.enumerated() {
                if number == 2 {
                    guard case .failure(.failed) = result else {
                        Issue.record("the refused call: \(result)")
                        continue
                    }
                } else {
                    #expect(try result.get()?.appended.map(\.event.id) == ["b-e\(number)"], "completed alone")
                }
            }
            #expect(try await store.beginIdempotent(claim("b-2")) == .inFlight)
            for (number, instance) in instances.enumerated() {
                #expect(try await store.trackedInstance(instance)?.polls == (number == 2 ? 1 : 2))
            }
            let records = try await allRecords(store)
            #expect(records.count == 7)
            #expect(try await AuditVerifier.verify(store: store) == .intact(count: 7, head: records[6].hash))
            await holder.close()
        }
    }

    @Test("a batch goes on when the call that sends it is cancelled: it carries the other calls' completions")
    func senderCancelled() async throws {
        try await withHarness(.postgres) { harness in
            let store = try #require(harness.store as? PostgresStore)
            let holder = try #require(try await harness.openReplica() as? PostgresStore)
            let instances = (0..<4).map { "ttd/signing/50001/cancelled-\($0)" }
            var leases: [WriteLease] = []
            for (number, instance) in instances.enumerated() {
                #expect(try await store.beginIdempotent(claim("c-\(number)")) == .acquired)
                leases.append(try await Self.lease(store, instance))
            }
            let lock = HeldConnection(
                holder, Self.instanceLock("lock", instances[0]), Self.instanceLock("unlock", instances[0]))
            await lock.untilHeld()
            var calls: [Task<OutboxCommit?, any Error>] = []
            for number in 0..<4 {
                let (scope, lease, write) = (Self.scope("c-\(number)"), leases[number], Self.write(instances[number]))
                calls.append(
                    Task {
                        try await store.completeIdempotent(
                            scope, response: Self.kept, audit: entry(number, key: scope.key), outbox: write,
                            givingBack: lease)
                    })
                await store.completions.untilQueued(number)
            }
            // Call 1 sends the batch of 1, 2 and 3 once call 0 is answered.
            calls[1].cancel()
            try await lock.release()
            for call in calls { #expect(try await call.value?.tracked?.polls == 1) }
            #expect(store.completions.sent == .init(statements: 2, items: 4))
            await holder.close()
        }
    }

    @Test("two replicas completing at once on shared instances: no update lost, no deadlock, one chain")
    func replicasAtOnce() async throws {
        try await withHarness(.postgres) { harness in
            let stores = [
                try #require(harness.store as? PostgresStore),
                try #require(try await harness.openReplica() as? PostgresStore),
            ]
            let instances = (0..<6).map { "ttd/signing/50001/shared-\($0)" }
            let deadlocks = "SELECT deadlocks FROM pg_stat_database WHERE datname = current_database()"
            let before = try await stores[0].pool.query(PostgresQuery(unsafeSQL: deadlocks))[0].decode(Int64.self)
            let perStore = 48
            try await withThrowingTaskGroup(of: Void.self) { group in
                for (side, store) in stores.enumerated() {
                    for number in 0..<perStore {
                        group.addTask {
                            let key = "r\(side)-\(number)"
                            // Each call's own taking of the lease, expired at once, so that both replicas' calls
                            // hold leases of the same instances (what the lease usually prevents, to race the rows).
                            let time = fixedTime(Double(number))
                            #expect(try await store.beginIdempotent(claim(key, now: time)) == .acquired)
                            let instance = instances[(number + side) % instances.count]
                            let lease = try #require(
                                try await store.acquireWriteLease(
                                    instance: instance, owner: "r\(side)-\(number)", now: time + 1000, until: time))
                            try await store.completeIdempotent(
                                Self.scope(key), response: Self.kept, audit: entry(number, key: key),
                                outbox: Self.write(instance, events: [event(key, instance: instance)]),
                                givingBack: lease)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let polls = try await withThrowingTaskGroup(of: Int.self) { group in
                for instance in instances {
                    group.addTask { try await stores[0].trackedInstance(instance)?.polls ?? 0 }
                }
                return try await group.reduce(0, +)
            }
            #expect(polls == 2 * perStore, "every completion's update landed once")
            #expect(try await stores[0].events(after: 0, limit: 1000).count == 2 * perStore)
            let records = try await allRecords(stores[0])
            #expect(records.count == 2 * perStore)
            #expect(
                try await AuditVerifier.verify(store: stores[0])
                    == .intact(count: 2 * perStore, head: records.last!.hash))
            let after = try await stores[0].pool.query(PostgresQuery(unsafeSQL: deadlocks))[0].decode(Int64.self)
            #expect(after == before, "no batch waited on another in a cycle")
            #expect(
                stores.contains { $0.completions.sent.items > $0.completions.sent.statements }, "some went together")
            await stores[1].close()
        }
    }
}

/// A connection of `store` that runs `hold`, keeps what it took (a lock, an uncommitted row) until `release()`,
/// then runs `undo`: what another replica's transaction in progress holds.
final class HeldConnection: Sendable {
    private let (released, opener) = AsyncStream.makeStream(of: Void.self)
    private let (held, holding) = AsyncStream.makeStream(of: Void.self)
    private let task: Task<Void, any Error>

    init(_ store: PostgresStore, _ hold: [PostgresQuery], _ undo: [PostgresQuery]) {
        let (released, holding) = (self.released, self.holding)
        task = Task {
            try await store.pool.withConnection { connection in
                for query in hold { try await connection.query(query) }
                holding.yield()
                for await _ in released { break }
                for query in undo { try await connection.query(query) }
            }
        }
    }

    func untilHeld() async { for await _ in held { break } }

    func release() async throws {
        opener.yield()
        try await task.value
    }
}
