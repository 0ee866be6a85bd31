package import Foundation
import PostgresNIO

/// A lease per Altinn instance, so that replicas sharing one store write to an instance one at a time
/// (Altinn's process/next takes an instance lock; a second write meanwhile gets a bare 409, and two racing
/// writes can move a process twice). Only the shared engine (PostgreSQL) has it: with SQLite there is one
/// process, and the gateway's in-process queue already serializes.
package protocol InstanceWriteLeases: Sendable {
    /// Takes the lease for `owner` until `until` when no other owner holds an unexpired one at `now`.
    /// False when another owner holds it.
    func acquireWriteLease(instance: String, owner: String, now: Date, until: Date) async throws(StoreError) -> Bool

    /// Gives the lease back, if `owner` still holds it.
    func releaseWriteLease(instance: String, owner: String) async throws(StoreError)
}

extension PostgresStore: InstanceWriteLeases {
    package func acquireWriteLease(
        instance: String, owner: String, now: Date, until: Date
    ) async throws(StoreError) -> Bool {
        return try await Self.run("write lease acquire") {
            var binds = PostgresBindings()
            binds.append(instance)
            binds.append(owner)
            binds.append(StoredTime.micros(until))
            binds.append(StoredTime.micros(now))
            let rows = try await self.pool.rows(AcquireLease.self, binds)
            return !rows.isEmpty
        }
    }

    package func releaseWriteLease(instance: String, owner: String) async throws(StoreError) {
        try await Self.run("write lease release") {
            var binds = PostgresBindings()
            binds.append(instance)
            binds.append(owner)
            _ = try await self.pool.rows(ReleaseLease.self, binds)
        }
    }
}

/// $1 instance, $2 owner, $3 until, $4 now. The primary key decides races; an expired lease is taken over in the
/// same statement.
private enum AcquireLease: PreparedSQL {
    static let name = "sg_lease_acquire"
    static let sql = """
        INSERT INTO instance_write_leases (instance, owner, expires_at) VALUES ($1, $2, $3)
        ON CONFLICT (instance) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
        WHERE instance_write_leases.expires_at <= $4 OR instance_write_leases.owner = EXCLUDED.owner
        RETURNING 1
        """
}

/// $1 instance, $2 owner.
private enum ReleaseLease: PreparedSQL {
    static let name = "sg_lease_release"
    static let sql = "DELETE FROM instance_write_leases WHERE instance = $1 AND owner = $2"
}
