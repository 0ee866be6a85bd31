import Foundation
import PostgresNIO
import Testing

@testable import Storage

/// Writes' claims sent together (`PostgresStore.claimBatch`, `signing_gateway_claim_keys`): each call's outcome must
/// be what it would have been alone (`ClaimKeyTakingLease`).
@Suite("PostgreSQL claims sent together")
struct ClaimBatchTests {
    static func pending(
        _ key: String, _ instance: String, owner: String = "A", fingerprint: String = "fp-1"
    ) -> PostgresStore.PendingClaim {
        PostgresStore.PendingClaim(
            claim: claim(key, fingerprint: fingerprint),
            request: WriteLeaseRequest(instance: instance, owner: owner, until: fixedTime(60)),
            holder: UUID().uuidString)
    }

    static func lease(_ answer: PostgresStore.BatchedClaim) -> WriteLease?? {
        if case .acquired(let lease) = answer { lease } else { nil }
    }

    @Test("each claim in a batch ends as it would alone: new with or without the lease, there already, repeated")
    func outcomes() async throws {
        try await withHarness(.postgres) { harness in
            let store = try #require(harness.store as? PostgresStore)
            let replica = try await harness.openReplica()
            let other = try #require(replica as? any InstanceWriteLeases)
            _ = try await store.commit(PostgresReplicaTests.setRow(tracked(instanceA)))
            let rowA = try await store.pool.withConnection { try await PostgresStore.readTracked(instanceA, on: $0) }
            #expect(try await store.beginIdempotent(claim("there")) == .acquired)
            #expect(
                try await other.acquireWriteLease(
                    instance: instanceC, owner: "B", now: fixedTime(), until: fixedTime(60))
                    != nil)
            let items = [
                Self.pending("k1", instanceA),
                Self.pending("there", instanceB),
                Self.pending("k2", instanceC),  // held by B
                Self.pending("k3", "i-untracked"),
                Self.pending("k1", instanceB),  // the same key again, in the same batch
                Self.pending("k4", "i-untracked"),  // the same owner's instance again: taken over
            ]
            let answers = await PostgresStore.claimBatch(items, on: store.pool)
            try #require(answers.count == items.count)

            let first = try #require(Self.lease(answers[0]) ?? nil)
            #expect(first.instance == instanceA && first.holder == items[0].holder && first.read == rowA)
            guard case .existing = answers[1] else { throw Failure("a key there already: \(answers[1])") }
            #expect(Self.lease(answers[2]) == .some(nil), "claimed, without the lease another replica holds")
            #expect(Self.lease(answers[3])??.read == PostgresStore.TrackedRead())
            guard case .existing = answers[4] else { throw Failure("the repeated key: \(answers[4])") }
            #expect(Self.lease(answers[5])??.holder == items[5].holder)

            // What was written: the new keys in flight; leases only for new keys; B's lease untouched.
            for key in ["k1", "k2", "k3", "k4"] { #expect(try await store.beginIdempotent(claim(key)) == .inFlight) }
            let now = fixedTime()
            #expect(
                try await other.acquireWriteLease(instance: instanceA, owner: "B", now: now, until: now + 60) == nil)
            #expect(
                try await other.acquireWriteLease(instance: instanceB, owner: "B", now: now, until: now + 60) != nil,
                "a claim whose key was there takes no lease")
            // The untracked instance's lease is held by the later taking: the earlier one's give-back frees nothing.
            try await store.releaseWriteLease(try #require(Self.lease(answers[3]) ?? nil))
            #expect(
                try await other.acquireWriteLease(instance: "i-untracked", owner: "B", now: now, until: now + 60) == nil
            )
            try await store.releaseWriteLease(try #require(Self.lease(answers[5]) ?? nil))
            #expect(
                try await other.acquireWriteLease(instance: "i-untracked", owner: "B", now: now, until: now + 60) != nil
            )
            await replica.close()
        }
    }

    @Test("a batch the server refuses writes nothing")
    func refused() async throws {
        try await withHarness(.postgres) { harness in
            let store = try #require(harness.store as? PostgresStore)
            try await harness.raw(
                "ALTER TABLE idempotency_keys ADD CONSTRAINT refuse_fp CHECK (fingerprint <> 'refuse')")
            let items = [Self.pending("k1", instanceA), Self.pending("k2", instanceB, fingerprint: "refuse")]
            let answers = await PostgresStore.claimBatch(items, on: store.pool)
            #expect(answers.allSatisfy { if case .alone = $0 { true } else { false } })
            #expect(try await store.beginIdempotent(claim("k1")) == .acquired, "k1 was not claimed")
            let now = fixedTime()
            #expect(
                try await store.acquireWriteLease(instance: instanceA, owner: "B", now: now, until: now + 60) != nil)
        }
    }

    @Test("claims that come while one is out go as one statement; in a refused one, each call claims alone")
    func throughTheStore() async throws {
        try await withHarness(.postgres) { harness in
            let store = try #require(harness.store as? PostgresStore)
            let holder = try #require(try await harness.openReplica() as? PostgresStore)
            try await harness.raw(
                "ALTER TABLE idempotency_keys ADD CONSTRAINT refuse_fp CHECK (fingerprint <> 'refuse')")

            /// Four claims: the first waits for another transaction's uncommitted insert of its key, the others queue.
            func round(_ name: String, refusing: Int?) async throws -> [Result<IdempotencyBegin, StoreError>] {
                let blocked = "\(name)-0"
                let insert = PostgresQuery(
                    unsafeSQL: """
                        INSERT INTO idempotency_keys (client_id, key, fingerprint, state, lease_until, created_at)
                        VALUES ('erp', '\(blocked)', 'fp-1', 'in_flight', 0, 0)
                        """)
                let held = HeldConnection(holder, ["BEGIN", insert], ["ROLLBACK"])
                await held.untilHeld()
                return try await withThrowingTaskGroup(of: (Int, Result<IdempotencyBegin, StoreError>).self) { group in
                    for number in 0..<4 {
                        let item = Self.pending(
                            "\(name)-\(number)", "i-\(name)-\(number)",
                            fingerprint: number == refusing ? "refuse" : "fp-1")
                        group.addTask {
                            do {
                                return (
                                    number,
                                    .success(
                                        try await store.beginIdempotent(item.claim, takingWriteLease: item.request).0)
                                )
                            } catch { return (number, .failure(error as! StoreError)) }
                        }
                        await store.claims.untilQueued(number)
                    }
                    try await held.release()
                    var results = [Result<IdempotencyBegin, StoreError>?](repeating: nil, count: 4)
                    for try await (number, result) in group { results[number] = result }
                    return results.map { $0! }
                }
            }

            let together = try await round("a", refusing: nil)
            #expect(store.claims.sent == .init(statements: 2, items: 4), "one alone, then three together")
            #expect(try together.map { try $0.get() } == Array(repeating: .acquired, count: 4))

            let refused = try await round("b", refusing: 2)
            #expect(store.claims.sent == .init(statements: 4, items: 8))
            for (number, result) in refused.enumerated() {
                if number == 2 {
                    guard case .failure(.failed) = result else { throw Failure("the refused claim: \(result)") }
                } else {
                    #expect(try result.get() == .acquired, "claimed alone")
                }
            }
            await holder.close()
        }
    }

    @Test("two replicas claiming the same keys and instances at once: each key once, each lease one owner's")
    func replicasAtOnce() async throws {
        try await withHarness(.postgres) { harness in
            let stores = [
                try #require(harness.store as? PostgresStore),
                try #require(try await harness.openReplica() as? PostgresStore),
            ]
            let keys = 40
            let instances = (0..<5).map { "ttd/signing/50001/claimed-\($0)" }
            let results = try await withThrowingTaskGroup(of: (key: Int, owner: String, lease: WriteLease?)?.self) {
                group in
                for (side, store) in stores.enumerated() {
                    // Opposite orders, so that each replica's batches meet the other's keys the other way round.
                    for number in side == 0 ? Array(0..<keys) : (0..<keys).reversed() {
                        group.addTask {
                            let owner = side == 0 ? "A" : "B"
                            let item = Self.pending("k\(number)", instances[number % instances.count], owner: owner)
                            let (begun, lease) = try await store.beginIdempotent(
                                item.claim, takingWriteLease: item.request)
                            return begun == .acquired ? (number, owner, lease) : nil
                        }
                    }
                }
                var results: [(key: Int, owner: String, lease: WriteLease?)] = []
                for try await result in group { if let result { results.append(result) } }
                return results
            }
            #expect(results.map(\.key).sorted() == Array(0..<keys), "every key claimed exactly once")
            for instance in instances {
                let owners = Set(results.filter { $0.lease?.instance == instance }.map(\.owner))
                #expect(owners.count == 1, "\(instance): \(owners)")
            }
            #expect(stores.contains { $0.claims.sent.items > $0.claims.sent.statements }, "some went together")
            await stores[1].close()
        }
    }
}

struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
