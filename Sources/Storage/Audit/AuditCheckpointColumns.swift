import Foundation

/// The checkpoint table's columns in the order both engines select and insert them.
enum AuditCheckpointColumns {
    static let list = "sequence, hash, time_micros, key_id, signature"
}

extension AuditCheckpoint {
    init(row: some StoredRow) throws(StoreError) {
        self.init(
            sequence: try row.integer(0), hash: try row.text(1), time: try row.time(2), keyId: try row.text(3),
            signature: try row.text(4))
    }
}

/// Which prefix of the chain retention may delete: records below the newest checkpoint (the checkpointed record
/// itself stays, so the chain left behind always shows the signed hash), and only the run of records older than
/// the cutoff that starts the chain (a record newer than the cutoff stops it, so the chain left has no hole).
package enum AuditRetention {
    /// Records deleted per call at most.
    package static let batch: Int64 = 10_000

    /// `newestCheckpoint`: the highest checkpointed sequence (0 when none); `firstRecent`: the lowest sequence
    /// whose time is at or after the cutoff (nil when none); `oldest`: the lowest sequence kept (nil when the log
    /// is empty). Records with `sequence <= bound` may go.
    static func bound(newestCheckpoint: Int64, firstRecent: Int64?, oldest: Int64?) -> Int64 {
        let allowed = min(newestCheckpoint - 1, firstRecent.map { $0 - 1 } ?? newestCheckpoint - 1)
        guard let oldest else { return 0 }
        return min(allowed, oldest + Self.batch - 1)
    }
}
