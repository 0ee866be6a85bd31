package import Foundation
package import Logging

/// The embedded engine: one SQLite file, one connection owned by a dedicated thread.
///
/// Durability: WAL journal with `synchronous=FULL`, so every commit is fsynced before the call returns and an
/// acknowledged call survives `kill -9` and power loss; a `.written` call (a read's audit record) is committed with
/// `NORMAL`, surviving a process crash and synced with the next FULL commit (see `Durability`).
package final class SQLiteStore: Store {
    let thread: SQLiteThread
    /// Held while serving (see `SQLiteServeLock`); nil for tools and tests that open the file beside a server.
    private let serveLock: SQLiteServeLock?
    /// While serving: checkpoints off the writer thread (see `SQLiteCheckpointer`).
    private let checkpointer: SQLiteCheckpointer?
    private let logger: Logger

    private init(
        thread: SQLiteThread, serveLock: SQLiteServeLock?, checkpointer: SQLiteCheckpointer?, logger: Logger
    ) {
        self.thread = thread
        self.serveLock = serveLock
        self.checkpointer = checkpointer
        self.logger = logger
    }

    /// Opens (creating when missing) the database file at `path` and sets its pragmas. Call `migrate()` next
    /// (`StoreFactory.open` does both).
    /// `create: false` opens an existing file only (`StoreError.missing` otherwise), creating nothing.
    package static func open(
        path: String, exclusive: Bool = false, create: Bool = true, logger: Logger
    ) async throws(StoreError) -> SQLiteStore {
        let lock = exclusive ? try SQLiteServeLock.acquire(databasePath: path) : nil
        let thread: SQLiteThread
        do throws(StoreError) {
            thread = try await SQLiteThread.start(path: path, create: create)
        } catch {
            lock?.release()
            throw error
        }
        do throws(StoreError) {
            try await thread.run { db throws(StoreError) in
                // busy_timeout first: the journal-mode switch itself needs a lock another process may hold.
                try db.execute("PRAGMA busy_timeout = 10000", "open: busy_timeout")
                try db.execute("PRAGMA journal_mode = WAL", "open: journal_mode")
                try db.execute("PRAGMA synchronous = FULL", "open: synchronous")
                // While serving, the checkpointer thread copies the WAL; under a steady stream of writes the WAL
                // seldom restarts, so the writer's own checkpoint (two fsyncs inside a commit) would still fire
                // every 1,000 frames (about 120 reads). It stays as a backstop at 10,000 frames (about 40 MB).
                if exclusive { try db.execute("PRAGMA wal_autocheckpoint = 10000", "open: wal_autocheckpoint") }
            }
        } catch {
            await thread.shutdown()
            lock?.release()
            throw error
        }
        logger.info("sqlite store opened", metadata: ["path": "\(path)"])
        return SQLiteStore(
            thread: thread, serveLock: lock, checkpointer: exclusive ? SQLiteCheckpointer.start(path: path) : nil,
            logger: logger)
    }

    package func migrate() async throws(StoreError) {
        try await thread.run { db throws(StoreError) in try SQLiteMigrations.migrate(db) }
    }

    // MARK: Idempotency

    package func beginIdempotent(_ claim: IdempotencyClaim) async throws(StoreError) -> IdempotencyBegin {
        try await thread.run { db throws(StoreError) in
            try db.transaction("idempotency begin") { () throws(StoreError) -> IdempotencyBegin in
                let read = try db.prepare(
                    """
                    SELECT fingerprint, state, lease_until, response_status, response_content_type, response_body
                    FROM idempotency_keys WHERE client_id = ? AND key = ?
                    """, "idempotency begin: read")
                try read.bind(.text(claim.scope.clientId), .text(claim.scope.key))
                if try read.step() {
                    return IdempotencyDecision.existing(
                        claim: claim,
                        fingerprint: read.text(0),
                        state: read.text(1),
                        leaseUntilMicros: read.int64(2),
                        response: StoredResponse(
                            status: Int(read.optionalInt64(3) ?? 0),
                            contentType: read.optionalText(4) ?? "",
                            body: read.blob(5)
                        )
                    )
                }
                let insert = try db.prepare(
                    """
                    INSERT INTO idempotency_keys (client_id, key, fingerprint, state, lease_until, created_at)
                    VALUES (?, ?, ?, 'in_flight', ?, ?)
                    """, "idempotency begin: insert")
                try insert.bind(
                    .text(claim.scope.clientId), .text(claim.scope.key), .text(claim.fingerprint),
                    .integer(StoredTime.micros(claim.leaseUntil)), .integer(StoredTime.micros(claim.now)))
                try insert.run()
                return .acquired
            }
        }
    }

    /// `lease` is always nil: one process needs no write leases (`InstanceWriteLeases`).
    @discardableResult
    package func completeIdempotent(
        _ scope: IdempotencyScope,
        response: StoredResponse,
        audit: AuditEntry,
        outbox: OutboxWrite?,
        givingBack lease: WriteLease?
    ) async throws(StoreError) -> OutboxCommit? {
        try await thread.run { db throws(StoreError) in
            try db.transaction("idempotency complete") { () throws(StoreError) -> OutboxCommit? in
                let update = try db.prepare(
                    """
                    UPDATE idempotency_keys
                    SET state = 'completed', response_status = ?, response_content_type = ?, response_body = ?
                    WHERE client_id = ? AND key = ? AND state = 'in_flight'
                    """, "idempotency complete: update")
                try update.bind(
                    .integer(Int64(response.status)), .text(response.contentType), .blob(response.body),
                    .text(scope.clientId), .text(scope.key))
                try update.run()
                guard db.changes == 1 else { throw .notInFlight }
                return try Self.finishCall(audit: audit, outbox: outbox, on: db)
            }
        }
    }

    /// The rest of a call's transaction, whether its key is kept or released: its snapshot and events, then its
    /// audit record.
    private static func finishCall(
        audit: AuditEntry, outbox: OutboxWrite?, on db: SQLiteConnection
    ) throws(StoreError) -> OutboxCommit? {
        let committed = try outbox.map { (write) throws(StoreError) in try Self.applyOutbox(write, on: db) }
        try Self.append(audit, on: db)
        return committed
    }

    @discardableResult
    package func releaseIdempotent(
        _ scope: IdempotencyScope, audit: AuditEntry, outbox: OutboxWrite?, givingBack lease: WriteLease?
    ) async throws(StoreError) -> OutboxCommit? {
        try await thread.run { db throws(StoreError) in
            try db.transaction("idempotency release") { () throws(StoreError) -> OutboxCommit? in
                let delete = try db.prepare(
                    "DELETE FROM idempotency_keys WHERE client_id = ? AND key = ? AND state = 'in_flight'",
                    "idempotency release: delete")
                try delete.bind(.text(scope.clientId), .text(scope.key))
                try delete.run()
                guard db.changes == 1 else { throw .notInFlight }
                return try Self.finishCall(audit: audit, outbox: outbox, on: db)
            }
        }
    }

    package func pruneIdempotency(createdBefore cutoff: Date) async throws(StoreError) -> Int {
        try await thread.run { db throws(StoreError) in
            let delete = try db.prepare("DELETE FROM idempotency_keys WHERE created_at < ?", "idempotency prune")
            try delete.bind(.integer(StoredTime.micros(cutoff)))
            try delete.run()
            return db.changes
        }
    }

    // MARK: Signed-request replay

    package func rememberWebhookId(
        clientId: String, id: String, now: Date, expiresAt: Date
    ) async throws(StoreError) -> Bool {
        try await thread.run { db throws(StoreError) in
            try db.transaction("webhook id remember") { () throws(StoreError) -> Bool in
                let forget = try db.prepare("DELETE FROM webhook_ids WHERE expires_at <= ?", "webhook id: forget")
                try forget.bind(.integer(StoredTime.micros(now)))
                try forget.run()
                // The conflict leaves the row alone: an id seen and not yet expired is a replay.
                let insert = try db.prepare(
                    """
                    INSERT INTO webhook_ids (client_id, webhook_id, expires_at) VALUES (?, ?, ?)
                    ON CONFLICT (client_id, webhook_id) DO NOTHING
                    """, "webhook id: insert")
                try insert.bind(.text(clientId), .text(id), .integer(StoredTime.micros(expiresAt)))
                try insert.run()
                return db.changes == 1
            }
        }
    }

    // MARK: Audit

    package func appendAudit(_ entry: AuditEntry, _ durability: Durability) async throws(StoreError) {
        try await thread.run(durability) { db throws(StoreError) in
            try db.transaction("audit append") { () throws(StoreError) in try Self.append(entry, on: db) }
        }
    }

    package func auditRecords(
        after: Int64,
        limit: Int,
        filter: AuditFilter
    ) async throws(StoreError) -> [AuditRecord] {
        guard limit > 0 else { return [] }
        return try await thread.run { db throws(StoreError) in
            var conditions = ["sequence > ?"]
            var values: [SQLiteStatement.Value] = [.integer(after)]
            if let from = filter.from {
                conditions.append("time_micros >= ?")
                values.append(.integer(StoredTime.micros(from)))
            }
            if let until = filter.until {
                conditions.append("time_micros < ?")
                values.append(.integer(StoredTime.micros(until)))
            }
            for (condition, value) in [
                ("client_id = ?", filter.clientId), filter.instance?.condition ?? ("", nil),
                ("outcome = ?", filter.outcome), ("operation = ?", filter.operation),
            ] {
                guard let value else { continue }
                conditions.append(condition)
                values.append(.text(value))
            }
            values.append(.integer(Int64(limit)))
            let select = try db.prepare(
                """
                SELECT \(AuditColumns.list) FROM audit_log
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence LIMIT ?
                """, "audit records")
            try select.bind(values)
            var records: [AuditRecord] = []
            while try select.step() { records.append(try AuditRecord(row: select)) }
            return records
        }
    }

    package func close() async {
        await self.checkpointer?.stop()
        await thread.shutdown()
        self.serveLock?.release()
    }

    // MARK: Rows

    /// Reads the chain head and inserts the next record. Callers hold a `BEGIN IMMEDIATE` transaction, so no
    /// other writer can append between the read and the insert.
    static func applyUpgrades(_ upgrades: [IdempotencyUpgrade], on db: SQLiteConnection) throws(StoreError) {
        for upgrade in upgrades {
            let update = try db.prepare(
                """
                UPDATE idempotency_keys SET response_status = ?, response_content_type = ?, response_body = ?
                WHERE client_id = ? AND key = ? AND state = 'completed' AND response_status >= 500
                """, "idempotency upgrade")
            try update.bind(
                .integer(Int64(upgrade.response.status)), .text(upgrade.response.contentType),
                .blob(upgrade.response.body), .text(upgrade.scope.clientId), .text(upgrade.scope.key))
            try update.run()
            if db.changes == 1 { try Self.append(upgrade.audit, on: db) }
        }
    }

    /// Built once, as the hot path's other SQL (`SQLiteStore+Events.swift`).
    private static let auditInsertSQL =
        "INSERT INTO audit_log (\(AuditColumns.list)) VALUES ("
        + Array(repeating: "?", count: AuditColumns.names.count).joined(separator: ", ") + ")"

    private static func append(_ entry: AuditEntry, on db: SQLiteConnection) throws(StoreError) {
        let head = try db.prepare(
            "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1", "audit append: read head")
        var sequence: Int64 = 1
        var previousHash = AuditChain.genesisHash
        if try head.step() {
            sequence = head.int64(0) + 1
            previousHash = head.text(1)
        }
        let hash = try AuditChain.hash(entry: entry, sequence: sequence, previousHash: previousHash)
        let insert = try db.prepare(Self.auditInsertSQL, "audit append: insert")
        func text(_ value: String?) -> SQLiteStatement.Value { value.map { .text($0) } ?? .null }
        try insert.bind([
            .integer(sequence), .integer(StoredTime.micros(entry.time)), text(entry.clientId),
            text(entry.sourceAddress), .text(entry.requestId), text(entry.traceparent), text(entry.idempotencyKey),
            .text(entry.operation), text(entry.instance), text(entry.tokenProfile), text(entry.upstreamMethod),
            text(entry.upstreamURL), entry.upstreamStatus.map { .integer(Int64($0)) } ?? .null,
            .integer(entry.latencyMicros), .text(entry.outcome), text(entry.requestDigest),
            text(entry.responseDigest), .text(previousHash), .text(hash), text(entry.signedData),
        ])
        try insert.run()
    }

}
