package import Foundation
import PostgresNIO
import Synchronization

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
}

/// One taking of an instance's write lease. Its holder is new with every taking, so giving it back late (with
/// the call's completion, `IdempotencyStore.completeIdempotent`) never frees the lease of the process's next
/// writer, which took it over meanwhile.
package struct WriteLease: Sendable, Equatable {
    package let instance: String
    package let holder: String

    package init(instance: String, holder: String) {
        self.instance = instance
        self.holder = holder
    }
}

extension PostgresStore: InstanceWriteLeases {
    /// The same statement reads the instance's tracked row and keeps it for the call's completion (`LeaseReads`),
    /// which then needs no read of its own: one round trip fewer per write.
    package func acquireWriteLease(
        instance: String, owner: String, now: Date, until: Date
    ) async throws(StoreError) -> WriteLease? {
        let lease = WriteLease(instance: instance, holder: UUID().uuidString)
        let read = try await Self.run("write lease acquire") { () async throws -> TrackedRead? in
            var binds = PostgresBindings()
            binds.append(instance)
            binds.append(owner)
            binds.append(StoredTime.micros(until))
            binds.append(StoredTime.micros(now))
            binds.append(lease.holder)
            guard let row = try await self.pool.rows(AcquireLease.self, binds).first?.makeRandomAccess() else {
                return nil
            }
            // No tracked row: the LEFT JOIN's columns are all NULL (the instance column never is in a stored row).
            guard try row[0].decode(String?.self) != nil else { return TrackedRead() }
            return TrackedRead(
                row: try TrackedInstance(row: row), digest: try row[EventColumns.tracked.count].decode(String.self))
        }
        guard let read else { return nil }
        self.leaseReads.keep(read, for: instance)
        return lease
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

/// The tracked rows that write leases read, each kept until the completion of the call that took the lease.
/// A kept row may be stale by then (a tracker's poll committed meanwhile): the completion's write checks the row's
/// md5 and reads it again on a change, so a stale row costs one read and never loses an update. Bounded: a call
/// that never completes (its store failed) leaves its row until the map is full, and then all are dropped.
final class LeaseReads: Sendable {
    static let capacity = 1024
    private let reads = Mutex<[String: PostgresStore.TrackedRead]>([:])

    func keep(_ read: PostgresStore.TrackedRead, for instance: String) {
        self.reads.withLock { reads in
            if reads.count >= Self.capacity { reads.removeAll() }
            reads[instance] = read
        }
    }

    func take(_ instance: String) -> PostgresStore.TrackedRead? {
        self.reads.withLock { $0.removeValue(forKey: instance) }
    }
}

/// $1 instance, $2 holder.
private enum ReleaseLease: PreparedSQL {
    static let name = "sg_lease_release_holder"
    static let sql = "DELETE FROM instance_write_leases WHERE instance = $1 AND holder = $2"
}
