package import Foundation
import PostgresNIO

extension PostgresStore {
    package func auditHead() async throws(StoreError) -> AuditHead? {
        let logger = self.logger
        return try await Self.run("audit head") {
            let rows = try await self.client.query(
                "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1", logger: logger
            ).collect()
            guard let row = rows.first?.makeRandomAccess() else { return nil }
            return AuditHead(sequence: try row[0].decode(Int64.self), hash: try row[1].decode(String.self))
        }
    }

    package func appendAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws(StoreError) {
        let logger = self.logger
        _ = try await Self.run("audit checkpoint insert") {
            try await self.client.query(
                """
                INSERT INTO audit_checkpoints (\(unescaped: AuditCheckpointColumns.list)) VALUES (
                    \(checkpoint.sequence), \(checkpoint.hash), \(StoredTime.micros(checkpoint.time)),
                    \(checkpoint.keyId), \(checkpoint.signature))
                ON CONFLICT (sequence) DO NOTHING
                """, logger: logger)
        }
    }

    package func auditCheckpoints() async throws(StoreError) -> [AuditCheckpoint] {
        let logger = self.logger
        return try await Self.run("audit checkpoints") {
            let rows = try await self.client.query(
                "SELECT \(unescaped: AuditCheckpointColumns.list) FROM audit_checkpoints ORDER BY sequence",
                logger: logger
            ).collect()
            return try rows.map { try AuditCheckpoint(row: $0.makeRandomAccess()) }
        }
    }

    package func dropAuditRecords(olderThan cutoff: Date) async throws(StoreError) -> Int {
        let logger = self.logger
        return try await Self.run("audit retention") {
            try await self.client.withTransaction(logger: logger) { connection in
                let newest = try await connection.query(
                    "SELECT COALESCE(MAX(sequence), 0)::BIGINT FROM audit_checkpoints", logger: logger
                ).collect()
                let recent = try await connection.query(
                    "SELECT MIN(sequence) FROM audit_log WHERE time_micros >= \(StoredTime.micros(cutoff))",
                    logger: logger
                ).collect()
                let oldest = try await connection.query("SELECT MIN(sequence) FROM audit_log", logger: logger)
                    .collect()
                let bound = AuditRetention.bound(
                    newestCheckpoint: try newest.first?.makeRandomAccess()[0].decode(Int64.self) ?? 0,
                    firstRecent: try recent.first?.makeRandomAccess()[0].decode(Int64?.self),
                    oldest: try oldest.first?.makeRandomAccess()[0].decode(Int64?.self))
                guard bound > 0 else { return 0 }
                let deleted = try await connection.query(
                    "DELETE FROM audit_log WHERE sequence <= \(bound) RETURNING 1", logger: logger
                ).collect()
                return deleted.count
            }
        }
    }
}
