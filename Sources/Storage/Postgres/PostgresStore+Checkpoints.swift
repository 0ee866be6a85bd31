package import Foundation
import PostgresNIO

extension PostgresStore {
    package func auditHead() async throws(StoreError) -> AuditHead? {
        return try await Self.run("audit head") {
            let rows = try await self.pool.query(
                "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1")
            guard let row = rows.first?.makeRandomAccess() else { return nil }
            return AuditHead(sequence: try row[0].decode(Int64.self), hash: try row[1].decode(String.self))
        }
    }

    package func appendAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws(StoreError) {
        _ = try await Self.run("audit checkpoint insert") {
            try await self.pool.query(
                """
                INSERT INTO audit_checkpoints (\(unescaped: AuditCheckpointColumns.list)) VALUES (
                    \(checkpoint.sequence), \(checkpoint.hash), \(StoredTime.micros(checkpoint.time)),
                    \(checkpoint.keyId), \(checkpoint.signature))
                ON CONFLICT (sequence) DO NOTHING
                """)
        }
    }

    package func auditCheckpoints() async throws(StoreError) -> [AuditCheckpoint] {
        return try await Self.run("audit checkpoints") {
            let rows = try await self.pool.query(
                "SELECT \(unescaped: AuditCheckpointColumns.list) FROM audit_checkpoints ORDER BY sequence")
            return try rows.map { try AuditCheckpoint(row: $0.makeRandomAccess()) }
        }
    }

    package func dropAuditRecords(olderThan cutoff: Date) async throws(StoreError) -> Int {
        return try await Self.run("audit retention") {
            try await self.pool.transaction { connection in
                let newest = try await connection.query(
                    "SELECT COALESCE(MAX(sequence), 0)::BIGINT FROM audit_checkpoints")
                let recent = try await connection.query(
                    "SELECT MIN(sequence) FROM audit_log WHERE time_micros >= \(StoredTime.micros(cutoff))")
                let oldest = try await connection.query("SELECT MIN(sequence) FROM audit_log")
                let bound = AuditRetention.bound(
                    newestCheckpoint: try newest.first?.makeRandomAccess()[0].decode(Int64.self) ?? 0,
                    firstRecent: try recent.first?.makeRandomAccess()[0].decode(Int64?.self),
                    oldest: try oldest.first?.makeRandomAccess()[0].decode(Int64?.self))
                guard bound > 0 else { return 0 }
                let deleted = try await connection.query(
                    "DELETE FROM audit_log WHERE sequence <= \(bound) RETURNING 1")
                return deleted.count
            }
        }
    }
}
