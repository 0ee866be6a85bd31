import Foundation
import Logging
import Synchronization
import Testing

@testable import Gateway
@testable import Storage

/// A write's idempotency claim takes the instance's replica lease in the same round trip (PostgreSQL), and its
/// first write uses that taking only while it is still this process's latest: another writer of the process that
/// came to the instance in between may have taken the lease over and given it back.
@Suite struct ClaimWithWriteLeaseTests {
    /// A second replica, as far as leases go.
    static let other = "replica-b"

    struct Replicas {
        let store: any Store
        let leases: any InstanceWriteLeases
        let takings: CountingLeases
        let writes: InstanceWriteGate
        let gate: IdempotencyGate

        /// Whether the other replica could take `instance`'s lease now (given back at once when it could).
        func otherCanTake(_ instance: String) async throws -> Bool {
            let now = Date()
            guard
                let lease = try await self.leases.acquireWriteLease(
                    instance: instance, owner: ClaimWithWriteLeaseTests.other, now: now, until: now + 60)
            else { return false }
            try await self.leases.releaseWriteLease(lease)
            return true
        }
    }

    /// A store on a fresh database as one replica ("replica-a", its gate's takings counted), closed after `body`.
    static func withReplicas(_ body: (Replicas) async throws -> Void) async throws {
        var logger = Logger(label: "claim-lease-tests")
        logger.logLevel = .warning
        // As in the storage tests: a suite starting many databases at once may keep a new connection waiting.
        let store = try await StoreFactory.open(
            StoreConfiguration(
                engine: .postgres(url: try await FreshPostgres.database(), passwordFile: nil),
                postgresConnectionWait: .seconds(60)),
            logger: logger)
        do {
            let leases = try #require(store as? any InstanceWriteLeases)
            let takings = CountingLeases(leases)
            let writes = InstanceWriteGate(leases: takings, owner: "replica-a")
            try await body(
                Replicas(
                    store: store, leases: leases, takings: takings, writes: writes,
                    gate: IdempotencyGate(store: store, lease: .seconds(60), writes: writes)))
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    static func inbound() -> InboundFacts {
        InboundFacts(
            clientId: "client", sourceAddress: nil, requestId: UUID().uuidString, traceparent: nil,
            idempotencyKey: UUID().uuidString, requestDigest: nil)
    }

    static let done = IdempotencyGate.Executed(
        response: StoredResponse(status: 200, contentType: "application/json", body: Array("{}".utf8)),
        call: CallRecord(operation: "processNext", outcome: "succeeded"), releaseKey: false)

    /// Runs a write through the gate as a use case does: claim, then `write` under the instance's write gate.
    static func call(
        _ r: Replicas, _ instance: String, before: @Sendable () async throws -> Void = {},
        write: @escaping @Sendable () async throws -> Void
    ) async throws {
        let inbound = Self.inbound()
        let failure = Mutex<(any Error)?>(nil)
        let answer = try await r.gate.execute(
            key: inbound.idempotencyKey!, fingerprint: "f", inbound: inbound, writing: instance
        ) { handOff in
            do {
                try await before()
                try await r.writes.serialized(instance, handOff: handOff) { () async throws(GatewayError) in
                    do { try await write() } catch { failure.withLock { $0 = error } }
                }
            } catch {
                failure.withLock { $0 = error }
            }
            return Self.done
        }
        if let error = failure.withLock({ $0 }) { throw error }
        #expect(answer == .fresh(Self.done.response))
    }

    @Test func theClaimsTakingIsTheWritesLeaseAndTheCompletionGivesItBack() async throws {
        try await Self.withReplicas { r in
            let held = Mutex(false)
            try await Self.call(r, "i1") {
                held.withLock { $0 = true }
                let free = try await r.otherCanTake("i1")
                #expect(!free, "the write runs while this replica holds the lease")
            }
            #expect(held.withLock { $0 })
            #expect(r.takings.count == 0, "the write took no lease of its own")
            #expect(try await r.otherCanTake("i1"), "the completion gave the lease back")
            #expect(await r.writes.instancesInUse() == 0)
        }
    }

    @Test func aWriterOfThisProcessInBetweenMakesTheWriteTakeTheLeaseAgain() async throws {
        try await Self.withReplicas { r in
            // Between the claim and the write, another write of this process to the instance (the tracker's, say):
            // it takes the lease over from the claim's taking and gives it back when done.
            try await Self.call(
                r, "i2",
                before: {
                    try await r.writes.serialized("i2") { () async throws(GatewayError) in }
                    #expect(r.takings.count == 1)
                },
                write: {
                    let free = try await r.otherCanTake("i2")
                    #expect(!free, "the write runs while this replica holds the lease")
                })
            #expect(r.takings.count == 2, "the write took the lease again")
            #expect(try await r.otherCanTake("i2"))
            #expect(await r.writes.instancesInUse() == 0)
        }
    }

    @Test func aClaimFindingTheLeaseElsewhereLeavesTheWriteToWaitForIt() async throws {
        try await Self.withReplicas { r in
            let now = Date()
            let theirs = try #require(
                try await r.leases.acquireWriteLease(instance: "i3", owner: Self.other, now: now, until: now + 60))
            let written = Task {
                try await Self.call(r, "i3") {
                    let free = try await r.otherCanTake("i3")
                    #expect(!free)
                }
            }
            // The write polls for the lease; it gets it once the other replica gives it back.
            await r.takings.firstRefusal()
            try await r.leases.releaseWriteLease(theirs)
            try await written.value
            #expect(r.takings.count >= 2, "refused while held elsewhere, then taken")
            #expect(try await r.otherCanTake("i3"))
        }
    }

    @Test func aCallThatNeverWritesGivesTheClaimsTakingBack() async throws {
        try await Self.withReplicas { r in
            let inbound = Self.inbound()
            _ = try await r.gate.execute(
                key: inbound.idempotencyKey!, fingerprint: "f", inbound: inbound, writing: "i4"
            ) {
                _ in Self.done
            }
            #expect(try await r.otherCanTake("i4"))
            #expect(await r.writes.instancesInUse() == 0, "the claim's watch ended")
            // A replayed key takes nothing.
            _ = try await r.gate.execute(
                key: inbound.idempotencyKey!, fingerprint: "f", inbound: inbound, writing: "i4"
            ) {
                _ in Self.done
            }
            #expect(try await r.otherCanTake("i4"))
        }
    }
}

/// The write gate's own takings of a lease, counted (the claim's go to the store directly).
final class CountingLeases: InstanceWriteLeases {
    private struct Takings {
        var count = 0
        var refused = 0
        var waitingForRefusal: [CheckedContinuation<Void, Never>] = []
    }

    private let base: any InstanceWriteLeases
    private let takings = Mutex(Takings())

    init(_ base: any InstanceWriteLeases) { self.base = base }

    /// Takings asked for, whatever their answer.
    var count: Int { self.takings.withLock { $0.count } }

    /// Returns once a taking was refused (the lease held elsewhere): counted when the store has answered, so a
    /// lease given back after this cannot have been free for that taking.
    func firstRefusal() async {
        await withCheckedContinuation { continuation in
            let now = self.takings.withLock { takings in
                guard takings.refused == 0 else { return true }
                takings.waitingForRefusal.append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    func acquireWriteLease(
        instance: String, owner: String, now: Date, until: Date
    ) async throws(StoreError) -> WriteLease? {
        self.takings.withLock { $0.count += 1 }
        let lease = try await self.base.acquireWriteLease(instance: instance, owner: owner, now: now, until: until)
        guard lease == nil else { return lease }
        let waiting = self.takings.withLock { takings in
            takings.refused += 1
            defer { takings.waitingForRefusal = [] }
            return takings.waitingForRefusal
        }
        for continuation in waiting { continuation.resume() }
        return nil
    }

    func releaseWriteLease(_ lease: WriteLease) async throws(StoreError) {
        try await self.base.releaseWriteLease(lease)
    }

    func beginIdempotent(
        _ claim: IdempotencyClaim, takingWriteLease request: WriteLeaseRequest
    ) async throws(StoreError) -> (IdempotencyBegin, WriteLease?) {
        try await self.base.beginIdempotent(claim, takingWriteLease: request)
    }
}
