package import Foundation
import PostgresNIO

/// A lease per Altinn instance, so that replicas sharing one store write to an instance one at a time
/// (Altinn's process/next takes an instance lock; a second write meanwhile gets a bare 409, and two racing
/// writes can move a process twice). Only the shared engine (PostgreSQL) has it: with SQLite there is one
/// process, and the gateway's in-process queue already serializes.
package protocol InstanceWriteLeases: Sendable {
    /// Takes the lease for `owner` (a process) until `until` when no other owner holds an unexpired one at `now`;
    /// the owner's own lease is taken over (its writers queue in-process). Nil when another owner holds it.
    func acquireWriteLease(
        instance: String, owner: String, now: Date, until: Date
    ) async throws(StoreError) -> WriteLease?

    /// Gives the lease back, if this taking of it still holds it.
    func releaseWriteLease(_ lease: WriteLease) async throws(StoreError)

    /// `IdempotencyStore.beginIdempotent` and, only when the key is new, `acquireWriteLease` for `request` at
    /// `claim.now`, in one round trip: a write's claim with its instance's lease. The lease is nil when the key was
    /// not new or another owner holds it.
    func beginIdempotent(
        _ claim: IdempotencyClaim, takingWriteLease request: WriteLeaseRequest
    ) async throws(StoreError) -> (IdempotencyBegin, WriteLease?)
}

/// A taking of an instance's write lease asked for with a claim (`InstanceWriteLeases.beginIdempotent`).
package struct WriteLeaseRequest: Sendable, Equatable {
    package var instance: String
    package var owner: String
    package var until: Date

    package init(instance: String, owner: String, until: Date) {
        self.instance = instance
        self.owner = owner
        self.until = until
    }
}

/// One taking of an instance's write lease. Its holder is new with every taking, so giving it back late (with
/// the call's completion, `IdempotencyStore.completeIdempotent`) never frees the lease of the process's next
/// writer, which took it over meanwhile.
package struct WriteLease: Sendable, Equatable {
    package let instance: String
    package let holder: String
    /// The instance's tracked row as the taking read it, for the completion the lease goes to (nil: not read).
    let read: PostgresStore.TrackedRead?

    package init(instance: String, holder: String) {
        self.init(instance: instance, holder: holder, read: nil)
    }

    init(instance: String, holder: String, read: PostgresStore.TrackedRead?) {
        self.instance = instance
        self.holder = holder
        self.read = read
    }
}

extension PostgresStore: InstanceWriteLeases {
    /// The same statement reads the instance's tracked row; the lease carries it to the call's completion, which
    /// then needs no read of its own: one round trip fewer per write.
    package func acquireWriteLease(
        instance: String, owner: String, now: Date, until: Date
    ) async throws(StoreError) -> WriteLease? {
        let holder = UUID().uuidString
        let read = try await Self.run("write lease acquire") { () async throws -> TrackedRead? in
            var binds = PostgresBindings()
            binds.append(instance)
            binds.append(owner)
            binds.append(StoredTime.micros(until))
            binds.append(StoredTime.micros(now))
            binds.append(holder)
            guard let row = try await self.pool.rows(AcquireLease.self, binds).first?.makeRandomAccess() else {
                return nil
            }
            return try Self.trackedRead(row)
        }
        guard let read else { return nil }
        return WriteLease(instance: instance, holder: holder, read: read)
    }

    /// The claim first, as `ClaimKeyTakingLease` says, usually with the claims that come at the same time
    /// (`claimBatch`); a key that was not new is read as `beginIdempotent` reads it.
    package func beginIdempotent(
        _ claim: IdempotencyClaim, takingWriteLease request: WriteLeaseRequest
    ) async throws(StoreError) -> (IdempotencyBegin, WriteLease?) {
        let pending = PendingClaim(claim: claim, request: request, holder: UUID().uuidString)
        switch await self.claims.submit(pending) {
        case .acquired(let lease): return (.acquired, lease)
        case .failed(let error): throw error
        case .existing:
            let existing = try await Self.run("idempotency begin with write lease") {
                try await self.existingKey(claim)
            }
            if let existing { return (existing, nil) }
        case .alone: break
        }
        return try await Self.run("idempotency begin with write lease") {
            // A key may vanish between the conflicting INSERT and the SELECT (released or pruned); then the
            // statement is simply tried again.
            for _ in 0..<5 {
                switch try await Self.claimAlone(pending, on: self.pool) {
                case .acquired(let lease): return (.acquired, lease)
                case .existing, .alone, .failed:  // `claimAlone` answers only acquired or existing
                    if let existing = try await self.existingKey(claim) { return (existing, nil) }
                }
            }
            throw StoreError.failed("postgres: idempotency begin: the key kept changing under contention")
        }
    }

    /// The tracked row and its md5 that `AcquireLease` and `ClaimKeyTakingLease` read beside a taking.
    static func trackedRead(_ row: PostgresRandomAccessRow) throws -> TrackedRead {
        // No tracked row: the LEFT JOIN's columns are all NULL (the instance column never is in a stored row).
        guard try row[0].decode(String?.self) != nil else { return TrackedRead() }
        return TrackedRead(
            row: try TrackedInstance(row: row), digest: try row[EventColumns.tracked.count].decode(String.self))
    }

    package func releaseWriteLease(_ lease: WriteLease) async throws(StoreError) {
        try await Self.run("write lease release") {
            try await self.pool.withConnection { try await Self.giveBack(lease, on: $0) }
        }
    }

    static func giveBack(_ lease: WriteLease, on connection: LiveConnection) async throws {
        var binds = PostgresBindings(capacity: 2)
        binds.append(lease.instance)
        binds.append(lease.holder)
        _ = try await connection.rows(ReleaseLease.self, binds)
    }
}

/// $1 instance, $2 owner, $3 until, $4 now, $5 holder. The primary key decides races; an expired lease, or the
/// owner's own, is taken over in the same statement. A row when taken: the instance's tracked row and its md5, as
/// `ReadTracked` reads them (NULLs when the instance is not tracked); none when another owner holds the lease.
private enum AcquireLease: PreparedSQL {
    static let name = "sg_lease_acquire_holder"
    static let sql = """
        WITH taken AS (
            INSERT INTO instance_write_leases (instance, owner, expires_at, holder) VALUES ($1, $2, $3, $5)
            ON CONFLICT (instance) DO UPDATE
            SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, holder = EXCLUDED.holder
            WHERE instance_write_leases.expires_at <= $4 OR instance_write_leases.owner = EXCLUDED.owner
            RETURNING 1
        )
        SELECT \(EventColumns.list(EventColumns.tracked, alias: "t")), md5(t::text)
        FROM taken LEFT JOIN tracked_instances t ON t.instance = $1
        """
}

/// The claim (`ClaimKey`'s $1–$5) and, only when it inserted the key, the taking of `AcquireLease` ($6 instance,
/// $7 owner, $8 until, $9 holder; $5, the claim's time, is its now): both commit together. A row when the key was
/// new: `AcquireLease`'s columns (NULLs when the lease was not taken or the instance is not tracked), then whether
/// the lease was taken; none when the key already existed.
enum ClaimKeyTakingLease: PreparedSQL {
    static let name = "sg_key_claim_lease"
    static let sql = """
        WITH claimed AS (
            INSERT INTO idempotency_keys (client_id, key, fingerprint, state, lease_until, created_at)
            VALUES ($1, $2, $3, 'in_flight', $4, $5)
            ON CONFLICT (client_id, key) DO NOTHING
            RETURNING 1
        ), taken AS (
            INSERT INTO instance_write_leases (instance, owner, expires_at, holder)
            SELECT $6, $7, $8, $9 FROM claimed
            ON CONFLICT (instance) DO UPDATE
            SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at, holder = EXCLUDED.holder
            WHERE instance_write_leases.expires_at <= $5 OR instance_write_leases.owner = EXCLUDED.owner
            RETURNING 1
        )
        SELECT \(EventColumns.list(EventColumns.tracked, alias: "t")), md5(t::text), EXISTS (SELECT 1 FROM taken)
        FROM claimed LEFT JOIN tracked_instances t ON t.instance = $6 AND EXISTS (SELECT 1 FROM taken)
        """
}

/// $1 instance, $2 holder.
private enum ReleaseLease: PreparedSQL {
    static let name = "sg_lease_release_holder"
    static let sql = "DELETE FROM instance_write_leases WHERE instance = $1 AND holder = $2"
}
