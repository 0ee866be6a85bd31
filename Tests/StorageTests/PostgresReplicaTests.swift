import Foundation
import Synchronization
import Testing

@testable import Storage

/// What only the shared engine must prove: separate stores, as separate replicas would hold, on one database.
@Suite("PostgreSQL replicas")
struct PostgresReplicaTests {
    /// A write that sets instance A's row to `row`, as another writer's commit would.
    static func setRow(_ row: TrackedInstance) -> OutboxWrite {
        OutboxWrite(instance: instanceA) { _ in InstanceUpdate(tracked: row, events: []) }
    }

    @Test("replicas starting at once all migrate the same fresh database")
    func concurrentMigrations() async throws {
        let configuration = StoreConfiguration(
            engine: .postgres(url: try await Harness.freshPostgresDatabase(), passwordFile: nil),
            postgresConnectionWait: Harness.connectionWait)
        let stores = try await withThrowingTaskGroup(of: (any Store).self) { group in
            for _ in 0..<4 { group.addTask { try await StoreFactory.open(configuration, logger: Harness.logger) } }
            return try await group.reduce(into: [any Store]()) { $0.append($1) }
        }
        #expect(stores.count == 4)
        try await stores[0].appendAudit(entry(1))
        #expect(try await allRecords(stores[3]).map(\.entry) == [entry(1)])
        for store in stores { await store.close() }
    }

    @Test("an instance's write lease: one replica at a time, taken over when expired, released by its taking")
    func instanceWriteLeases() async throws {
        try await withHarness(.postgres) { harness in
            let replica = try await harness.openReplica()
            let a = try #require(harness.store as? any InstanceWriteLeases)
            let b = try #require(replica as? any InstanceWriteLeases)
            let now = Date()
            let soon = now.addingTimeInterval(60)
            // Racing replicas: exactly one takes it.
            let winners = try await withThrowingTaskGroup(of: Bool.self) { group in
                for index in 0..<20 {
                    let leases = index.isMultiple(of: 2) ? a : b
                    group.addTask {
                        try await leases.acquireWriteLease(instance: "i1", owner: "r\(index)", now: now, until: soon)
                            != nil
                    }
                }
                return try await group.reduce(into: 0) { $0 += $1 ? 1 : 0 }
            }
            #expect(winners == 1)
            let held = try #require(try await a.acquireWriteLease(instance: "i2", owner: "A", now: now, until: soon))
            #expect(try await b.acquireWriteLease(instance: "i2", owner: "B", now: now, until: soon) == nil)
            // Another taking's give-back changes nothing; its own frees it.
            try await b.releaseWriteLease(WriteLease(instance: "i2", holder: "someone else"))
            #expect(try await b.acquireWriteLease(instance: "i2", owner: "B", now: now, until: soon) == nil)
            try await a.releaseWriteLease(held)
            #expect(try await b.acquireWriteLease(instance: "i2", owner: "B", now: now, until: soon) != nil)
            // A dead holder's lease expires and is taken over.
            let later = soon.addingTimeInterval(1)
            #expect(
                try await a.acquireWriteLease(
                    instance: "i2", owner: "A", now: later, until: later.addingTimeInterval(60)) != nil)
            await replica.close()
        }
    }

    @Test("a claim takes the instance's write lease with it only when the key is new and no other replica holds it")
    func claimTakingTheWriteLease() async throws {
        try await withHarness(.postgres) { harness in
            let replica = try await harness.openReplica()
            let store = try #require(harness.store as? PostgresStore)
            let other = try #require(replica as? any InstanceWriteLeases)
            let now = fixedTime()
            let soon = fixedTime(60)
            func request(_ instance: String) -> WriteLeaseRequest {
                WriteLeaseRequest(instance: instance, owner: "A", until: soon)
            }
            _ = try await store.commit(Self.setRow(tracked(instanceA)))
            let expectedRead = try await store.pool.withConnection {
                try await PostgresStore.readTracked(instanceA, on: $0)
            }

            // A new key: claimed, and the lease taken in the same statement, with the row a lease's taking reads.
            let (begun, lease) = try await store.beginIdempotent(claim("k1"), takingWriteLease: request(instanceA))
            #expect(begun == .acquired)
            let taken = try #require(lease)
            #expect(taken.instance == instanceA && taken.read == expectedRead)
            #expect(try await other.acquireWriteLease(instance: instanceA, owner: "B", now: now, until: soon) == nil)

            // The same key again: what the key holds, and no taking (the first one still holds the lease).
            let again = try await store.beginIdempotent(claim("k1"), takingWriteLease: request(instanceA))
            #expect(again.0 == .inFlight && again.1 == nil)
            try await store.releaseWriteLease(taken)
            #expect(
                try await other.acquireWriteLease(instance: instanceA, owner: "B", now: now, until: soon) != nil,
                "the replayed claim took nothing over")

            // Another replica holds the lease: the key is still claimed, without it; an untracked instance's
            // taking reads no row.
            let elsewhere = try await store.beginIdempotent(claim("k2"), takingWriteLease: request(instanceA))
            #expect(elsewhere.0 == .acquired && elsewhere.1 == nil)
            #expect(try await store.beginIdempotent(claim("k2")) == .inFlight)
            let untracked = try await store.beginIdempotent(claim("k3"), takingWriteLease: request("i-untracked"))
            #expect(untracked.0 == .acquired)
            #expect(untracked.1?.read == PostgresStore.TrackedRead())
            // Expired elsewhere: taken over.
            let later = fixedTime(61)
            let expired = try await store.beginIdempotent(
                claim("k4", now: later),
                takingWriteLease: WriteLeaseRequest(instance: instanceA, owner: "A", until: fixedTime(120)))
            #expect(expired.0 == .acquired && expired.1 != nil)
            #expect(try await other.acquireWriteLease(instance: instanceA, owner: "B", now: later, until: soon) == nil)
            await replica.close()
        }
    }

    @Test("a lease handed to the completion is given back in its statement, never the lease of the owner's next taking")
    func completionGivesTheLeaseBack() async throws {
        try await withHarness(.postgres) { harness in
            let replica = try await harness.openReplica()
            let store = try #require(harness.store as? PostgresStore)
            let other = try #require(replica as? any InstanceWriteLeases)
            let now = Date()
            let soon = now.addingTimeInterval(60)
            let response = StoredResponse(status: 200, contentType: "a/b", body: [])

            // Completed and released keys, with and without an outbox: each completion gives its lease back.
            for (number, instance) in ["i1", "i2", "i3"].enumerated() {
                let lease = try #require(
                    try await store.acquireWriteLease(instance: instance, owner: "A", now: now, until: soon))
                #expect(try await other.acquireWriteLease(instance: instance, owner: "B", now: now, until: soon) == nil)
                let scope = IdempotencyScope(clientId: "erp", key: "k\(number)")
                #expect(try await store.beginIdempotent(claim(scope.key)) == .acquired)
                switch number {
                case 0:
                    try await store.completeIdempotent(
                        scope, response: response, audit: entry(number), outbox: nil, givingBack: lease)
                case 1:
                    try await store.completeIdempotent(
                        scope, response: response, audit: entry(number), outbox: Self.setRow(tracked(instance)),
                        givingBack: lease)
                default:
                    try await store.releaseIdempotent(
                        scope, audit: entry(number), outbox: Self.setRow(tracked(instance)), givingBack: lease)
                }
                #expect(try await other.acquireWriteLease(instance: instance, owner: "B", now: now, until: soon) != nil)
            }

            // The owner's next writer took the lease over before the first call completed: that completion gives
            // back nothing, and the lease still keeps other replicas out.
            let first = try #require(
                try await store.acquireWriteLease(instance: "i4", owner: "A", now: now, until: soon))
            let next = try #require(
                try await store.acquireWriteLease(instance: "i4", owner: "A", now: now, until: soon))
            #expect(first != next)
            #expect(try await store.beginIdempotent(claim("k4")) == .acquired)
            try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "k4"), response: response, audit: entry(4),
                outbox: Self.setRow(tracked("i4")), givingBack: first)
            #expect(try await other.acquireWriteLease(instance: "i4", owner: "B", now: now, until: soon) == nil)
            try await store.releaseWriteLease(next)
            #expect(try await other.acquireWriteLease(instance: "i4", owner: "B", now: now, until: soon) != nil)

            // A completion whose key was never claimed writes nothing, and its statement still gives the lease back.
            let unclaimed = try #require(
                try await store.acquireWriteLease(instance: "i5", owner: "A", now: now, until: soon))
            await #expect(throws: StoreError.notInFlight) {
                try await store.completeIdempotent(
                    IdempotencyScope(clientId: "erp", key: "never claimed"), response: response, audit: entry(5),
                    outbox: Self.setRow(tracked("i5")), givingBack: unclaimed)
            }
            #expect(try await other.acquireWriteLease(instance: "i5", owner: "B", now: now, until: soon) != nil)

            // A completion the server refuses rolls back, the lease's give-back with it: it is given back alone.
            try await harness.raw(
                "ALTER TABLE idempotency_keys ADD CONSTRAINT refuse_599 CHECK (response_status IS DISTINCT FROM 599)")
            let refused = try #require(
                try await store.acquireWriteLease(instance: "i6", owner: "A", now: now, until: soon))
            #expect(try await store.beginIdempotent(claim("k6")) == .acquired)
            await #expect {
                try await store.completeIdempotent(
                    IdempotencyScope(clientId: "erp", key: "k6"),
                    response: StoredResponse(status: 599, contentType: "a/b", body: []), audit: entry(6),
                    outbox: Self.setRow(tracked("i6")), givingBack: refused)
            } throws: { error in
                if case .failed = error as? StoreError { return true }
                return false
            }
            #expect(try await other.acquireWriteLease(instance: "i6", owner: "B", now: now, until: soon) != nil)
            await replica.close()
        }
    }

    @Test("write leases need no WAL: their table is unlogged, and a lease still excludes another replica")
    func writeLeasesAreUnlogged() async throws {
        try await withHarness(.postgres) { harness in
            let leases = try #require(harness.store as? any InstanceWriteLeases)
            let now = Date()
            let held = try #require(
                try await leases.acquireWriteLease(instance: "i1", owner: "A", now: now, until: now + 60))
            try await harness.raw(
                """
                DO $$ BEGIN
                    IF (SELECT relpersistence FROM pg_class WHERE relname = 'instance_write_leases') <> 'u' THEN
                        RAISE EXCEPTION 'instance_write_leases is logged';
                    END IF;
                END $$
                """)
            // Prepared on this connection already: a second replica prepares its own, and sees the lease.
            let replica = try await harness.openReplica()
            let other = try #require(replica as? any InstanceWriteLeases)
            #expect(try await other.acquireWriteLease(instance: "i1", owner: "B", now: now, until: now + 60) == nil)
            try await leases.releaseWriteLease(held)
            #expect(try await other.acquireWriteLease(instance: "i1", owner: "B", now: now, until: now + 60) != nil)
            await replica.close()
        }
    }

    @Test("a completion whose instance row changed after it was read writes nothing, reads it again and applies to it")
    func completionAfterRowChanged() async throws {
        try await withHarness(.postgres) { harness in
            let store = try #require(harness.store as? PostgresStore)
            _ = try await store.commit(Self.setRow(tracked(instanceA)))
            let read = try await store.pool.withConnection { try await PostgresStore.readTracked(instanceA, on: $0) }
            // Another writer (a tracker's poll, another replica) commits between this call's read and its write.
            var polled = tracked(instanceA)
            polled.polls = 4
            _ = try await store.commit(Self.setRow(polled))

            let seen = Mutex<[TrackedInstance?]>([])
            let write = OutboxWrite(instance: instanceA) { row in
                seen.withLock { $0.append(row) }
                var next = row ?? tracked(instanceA)
                next.taskId = "Task_2"
                return InstanceUpdate(tracked: next, events: [event("e1", instance: instanceA)])
            }
            let scope = IdempotencyScope(clientId: "erp", key: "k")
            let response = StoredResponse(status: 200, contentType: "application/json", body: [1])
            #expect(try await store.beginIdempotent(claim("k")) == .acquired)
            let finished = try await store.pool.withConnection { connection in
                try await PostgresStore.finishOptimistically(
                    scope, .keep(response), audit: entry(1), outbox: write, from: read, on: connection)
            }

            // The first write found the row changed and wrote nothing (else the second would find the key done).
            #expect(seen.withLock { $0 } == [tracked(instanceA), polled])
            guard case .done(let committed) = finished else {
                Issue.record("the completion did not finish: \(finished)")
                return
            }
            var expected = polled
            expected.taskId = "Task_2"
            #expect(committed?.tracked == expected)
            #expect(committed?.trackingStarted == false)
            #expect(committed?.appended.map(\.event.id) == ["e1"])
            #expect(try await store.trackedInstance(instanceA) == expected)
            #expect(try await store.events(after: 0, limit: 10).map(\.event.id) == ["e1"])
            #expect(try await allRecords(store).map(\.entry) == [entry(1)])
            #expect(try await store.beginIdempotent(claim("k")) == .replay(response))
        }
    }

    @Test("a write lease reads the instance's row for the call's completion; changed since, it is read again")
    func leaseReadsTheRowForTheCompletion() async throws {
        try await withHarness(.postgres) { harness in
            let store = try #require(harness.store as? PostgresStore)
            _ = try await store.commit(Self.setRow(tracked(instanceA)))
            let now = Date()
            let leaseA = try #require(
                try await store.acquireWriteLease(instance: instanceA, owner: "A", now: now, until: now + 60))
            let leaseB = try #require(
                try await store.acquireWriteLease(instance: instanceB, owner: "A", now: now, until: now + 60))
            // Each taking carries the row it read to its completion.
            #expect(leaseA.read?.row == tracked(instanceA) && leaseA.read?.digest != nil)
            #expect(leaseB.read == PostgresStore.TrackedRead())
            // A tracker's poll commits while the call holds the lease: the kept row is stale by the completion.
            var polled = tracked(instanceA)
            polled.polls = 4
            _ = try await store.commit(Self.setRow(polled))

            let seen = Mutex<[TrackedInstance?]>([])
            let write = { (instance: String) in
                OutboxWrite(instance: instance) { row in
                    seen.withLock { $0.append(row) }
                    var next = row ?? tracked(instance)
                    next.taskId = "Task_2"
                    return InstanceUpdate(tracked: next, events: [])
                }
            }
            let response = StoredResponse(status: 200, contentType: "application/json", body: [1])
            #expect(try await store.beginIdempotent(claim("k")) == .acquired)
            let committed = try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "k"), response: response, audit: entry(1),
                outbox: write(instanceA), givingBack: leaseA)
            // First the row the lease read (nothing written: it changed), then the current one.
            #expect(seen.withLock { $0 } == [tracked(instanceA), polled])
            var expected = polled
            expected.taskId = "Task_2"
            #expect(committed?.tracked == expected)
            #expect(try await store.trackedInstance(instanceA) == expected)

            // An instance not tracked when the lease was taken: the completion starts from no row.
            seen.withLock { $0 = [] }
            #expect(try await store.beginIdempotent(claim("k2")) == .acquired)
            let started = try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "k2"), response: response, audit: entry(2),
                outbox: write(instanceB), givingBack: leaseB)
            #expect(seen.withLock { $0 } == [nil])
            #expect(started?.trackingStarted == true)
            // Both leases went with their completions.
            #expect(
                try await store.acquireWriteLease(instance: instanceA, owner: "B", now: now, until: now + 60) != nil)
            #expect(
                try await store.acquireWriteLease(instance: instanceB, owner: "B", now: now, until: now + 60) != nil)
        }
    }

    @Test("two replicas racing on one key: exactly one acquires")
    func replicasRaceOnKey() async throws {
        try await withHarness(.postgres) { harness in
            let replica = try await harness.openReplica()
            let stores = [harness.store, replica]
            let results = try await withThrowingTaskGroup(of: IdempotencyBegin.self) { group in
                for index in 0..<50 {
                    let store = stores[index % 2]
                    group.addTask { try await store.beginIdempotent(claim("contested")) }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            await replica.close()
            #expect(results.filter { $0 == .acquired }.count == 1)
            #expect(results.filter { $0 == .inFlight }.count == 49)
        }
    }

    @Test("a record that need only be written is one statement whose commit alone skips the WAL flush")
    func writtenRecordsSkipTheFlushForTheirOwnCommit() async throws {
        try await withHarness(.postgres) { harness in
            try await harness.store.appendAudit(entry(1), .written)
            // Each statement in its own transaction, on one connection, as the store runs it: the setting holds
            // for the function's transaction until its commit, and the connection's next one commits synced again.
            try await harness.raw(
                """
                DO $$ BEGIN
                    IF current_setting('synchronous_commit') <> 'on' THEN RAISE EXCEPTION 'not on before'; END IF;
                    PERFORM * FROM signing_gateway_append_audits_written('[]'::jsonb, ARRAY[]::bytea[], ARRAY[]::bytea[]);
                    IF current_setting('synchronous_commit') <> 'off' THEN RAISE EXCEPTION 'not off inside'; END IF;
                END $$
                """,
                """
                DO $$ BEGIN
                    IF current_setting('synchronous_commit') <> 'on' THEN RAISE EXCEPTION 'still off after'; END IF;
                END $$
                """)
            let records = try await allRecords(harness.store)
            #expect(records.map(\.entry) == [entry(1)])
            #expect(try await AuditVerifier.verify(store: harness.store) == .intact(count: 1, head: records[0].hash))
        }
    }

    @Test("appends from two replicas keep one intact chain")
    func replicasShareOneChain() async throws {
        try await withHarness(.postgres) { harness in
            let replica = try await harness.openReplica()
            let stores = [harness.store, replica]
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in 1...200 {
                    let store = stores[number % 2]
                    group.addTask {
                        // Half the records through complete, as signs would: the key and the record commit together.
                        if number.isMultiple(of: 4) {
                            let scope = IdempotencyScope(clientId: "erp", key: "k\(number)")
                            #expect(try await store.beginIdempotent(claim(scope.key)) == .acquired)
                            try await store.completeIdempotent(
                                scope, response: StoredResponse(status: 200, contentType: "a/b", body: []),
                                audit: entry(number))
                        } else {
                            // Reads' records (written, not synced) and others, in one chain.
                            try await store.appendAudit(entry(number), number.isMultiple(of: 2) ? .written : .synced)
                        }
                    }
                }
                try await group.waitForAll()
            }
            let records = try await allRecords(replica)
            await replica.close()
            #expect(records.map(\.sequence) == Array(1...200))
            #expect(
                try await AuditVerifier.verify(store: harness.store) == .intact(count: 200, head: records[199].hash))
        }
    }
}
