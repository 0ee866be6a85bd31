package import Foundation

extension SQLiteStore {
    package func auditHead() async throws(StoreError) -> AuditHead? {
        try await thread.run { db throws(StoreError) in
            let head = try db.prepare(
                "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1", "audit head")
            guard try head.step() else { return nil }
            return AuditHead(sequence: head.int64(0), hash: head.text(1))
        }
    }

    package func appendAuditCheckpoint(_ checkpoint: AuditCheckpoint) async throws(StoreError) {
        try await thread.run { db throws(StoreError) in
            let insert = try db.prepare(
                """
                INSERT INTO audit_checkpoints (\(AuditCheckpointColumns.list)) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (sequence) DO NOTHING
                """, "audit checkpoint insert")
            try insert.bind(
                .integer(checkpoint.sequence), .text(checkpoint.hash), .integer(StoredTime.micros(checkpoint.time)),
                .text(checkpoint.keyId), .text(checkpoint.signature))
            try insert.run()
        }
    }

    package func auditCheckpoints() async throws(StoreError) -> [AuditCheckpoint] {
        try await thread.run { db throws(StoreError) in
            let select = try db.prepare(
                "SELECT \(AuditCheckpointColumns.list) FROM audit_checkpoints ORDER BY sequence", "audit checkpoints")
            var checkpoints: [AuditCheckpoint] = []
            while try select.step() { checkpoints.append(try AuditCheckpoint(row: select)) }
            return checkpoints
        }
    }

    package func dropAuditRecords(olderThan cutoff: Date) async throws(StoreError) -> Int {
        try await thread.run { db throws(StoreError) in
            try db.transaction("audit retention") { () throws(StoreError) -> Int in
                let newest = try db.prepare(
                    "SELECT COALESCE(MAX(sequence), 0) FROM audit_checkpoints", "audit retention: newest checkpoint")
                _ = try newest.step()
                let recent = try db.prepare(
                    "SELECT MIN(sequence) FROM audit_log WHERE time_micros >= ?", "audit retention: first recent")
                try recent.bind(.integer(StoredTime.micros(cutoff)))
                _ = try recent.step()
                let oldest = try db.prepare("SELECT MIN(sequence) FROM audit_log", "audit retention: oldest")
                _ = try oldest.step()
                let bound = AuditRetention.bound(
                    newestCheckpoint: newest.int64(0), firstRecent: recent.optionalInt64(0),
                    oldest: oldest.optionalInt64(0))
                guard bound > 0 else { return 0 }
                let delete = try db.prepare("DELETE FROM audit_log WHERE sequence <= ?", "audit retention: delete")
                try delete.bind(.integer(bound))
                try delete.run()
                return db.changes
            }
        }
    }
}
