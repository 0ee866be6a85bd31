package import Foundation
package import Logging
import NIOSSL
import PostgresNIO

/// The scale-out engine: N gateway replicas share one PostgreSQL database through a connection pool.
///
/// - Idempotency: the primary key on `(client_id, key)` decides which replica owns a key
///   (`INSERT … ON CONFLICT DO NOTHING RETURNING`); nothing is locked in memory.
/// - Audit: one chain across replicas. Every append takes `pg_advisory_xact_lock(auditLockKey)` inside its
///   transaction, then reads the head, hashes and inserts; the lock is released by COMMIT/ROLLBACK. Appends are
///   therefore serialized cluster-wide (they are short), and the chain never forks — simpler to verify than
///   per-replica chains.
package final class PostgresStore: Store {
    /// Key of the transaction advisory lock that serializes audit appends across replicas.
    static let auditLockKey: Int64 = 0x5349_474E_4155_4454  // "SIGNAUDT"

    let client: PostgresClient
    private let runTask: Task<Void, Never>
    let logger: Logger

    private init(client: PostgresClient, runTask: Task<Void, Never>, logger: Logger) {
        self.client = client
        self.runTask = runTask
        self.logger = logger
    }

    /// Starts a pool for `url` (`postgres://user@host:port/db`, optional `?sslmode=`) and checks the server
    /// answers. The password comes from `passwordFile` when given. Call `migrate()` next (`StoreFactory.open`
    /// does both).
    package static func open(
        url: String,
        passwordFile: String?,
        caFile: String? = nil,
        maximumConnections: Int = 10,
        logger: Logger
    ) async throws(StoreError) -> PostgresStore {
        var dsn = try PostgresDSN(url: url, passwordFile: passwordFile)
        if let caFile { dsn.rootCertificateFile = caFile }
        let tls = try Self.tls(dsn)
        var configuration = PostgresClient.Configuration(
            host: dsn.host, port: dsn.port, username: dsn.username, password: dsn.password, database: dsn.database,
            tls: tls)
        configuration.options.maximumConnections = maximumConnections
        configuration.options.connectTimeout = .seconds(10)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runTask = Task { await client.run() }
        let store = PostgresStore(client: client, runTask: runTask, logger: logger)
        do throws(StoreError) {
            try await store.ping()
        } catch {
            await store.close()
            throw error
        }
        // `dsn.description` omits the password.
        logger.info("postgres store opened", metadata: ["dsn": "\(dsn)"])
        return store
    }

    /// The TLS settings for the DSN's `sslmode`, as libpq reads them.
    static func tls(_ dsn: PostgresDSN) throws(StoreError) -> PostgresClient.Configuration.TLS {
        var settings = TLSConfiguration.makeClientConfiguration()
        if let file = dsn.rootCertificateFile {
            guard FileManager.default.isReadableFile(atPath: file) else {
                throw .unavailable("postgres: cannot read the CA file \(file)")
            }
            settings.trustRoots = .file(file)
        }
        switch dsn.tlsMode {
        case .disable:
            return .disable
        case .allow, .prefer:
            settings.certificateVerification = .none
            return .prefer(settings)
        case .require:
            settings.certificateVerification = .none
            return .require(settings)
        case .verifyCA:
            settings.certificateVerification = .noHostnameVerification
            return .require(settings)
        case .verifyFull:
            settings.certificateVerification = .fullVerification
            return .require(settings)
        }
    }

    /// One round trip, bounded: the pool retries connecting forever, so an unreachable server must not hang
    /// start-up.
    private func ping() async throws(StoreError) {
        let client = self.client
        let logger = self.logger
        let answered: Bool = try await Self.run("connect") {
            try await withThrowingTaskGroup(of: Bool.self) { group in
                group.addTask {
                    try await client.query("SELECT 1", logger: logger)
                    return true
                }
                group.addTask {
                    try await Task.sleep(for: .seconds(15))
                    return false
                }
                let first = try await group.next() ?? false
                group.cancelAll()
                return first
            }
        }
        guard answered else { throw .unavailable("postgres: no answer from the server within 15 s") }
    }

    package func migrate() async throws(StoreError) {
        let logger = self.logger
        try await Self.run("migrate") {
            try await self.client.withConnection { connection in
                // A session lock on this one connection: replicas starting together migrate one after another,
                // and the later ones find every step recorded.
                try await connection.query(
                    "SELECT pg_advisory_lock(\(PostgresMigrations.migrationLockKey))", logger: logger)
                do {
                    try await Self.applyMigrations(on: connection, logger: logger)
                } catch {
                    _ = try? await connection.query(
                        "SELECT pg_advisory_unlock(\(PostgresMigrations.migrationLockKey))", logger: logger)
                    throw error
                }
                try await connection.query(
                    "SELECT pg_advisory_unlock(\(PostgresMigrations.migrationLockKey))", logger: logger)
            }
        }
    }

    private static func applyMigrations(on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)", logger: logger)
        for (index, statements) in PostgresMigrations.steps.enumerated() {
            let version = index + 1
            try await connection.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    "SELECT 1 FROM schema_version WHERE version = \(version)", logger: logger
                ).collect()
                guard rows.isEmpty else { return }
                for sql in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: sql), logger: logger)
                }
                try await connection.query("INSERT INTO schema_version (version) VALUES (\(version))", logger: logger)
            }
        }
    }

    // MARK: Idempotency

    package func beginIdempotent(_ claim: IdempotencyClaim) async throws(StoreError) -> IdempotencyBegin {
        let logger = self.logger
        return try await Self.run("idempotency begin") {
            // A key may vanish between the conflicting INSERT and the SELECT (released or pruned); then the
            // INSERT is simply tried again.
            for _ in 0..<5 {
                let inserted = try await self.client.query(
                    """
                    INSERT INTO idempotency_keys (client_id, key, fingerprint, state, lease_until, created_at)
                    VALUES (\(claim.scope.clientId), \(claim.scope.key), \(claim.fingerprint), 'in_flight',
                            \(StoredTime.micros(claim.leaseUntil)), \(StoredTime.micros(claim.now)))
                    ON CONFLICT (client_id, key) DO NOTHING
                    RETURNING 1
                    """, logger: logger
                ).collect()
                if !inserted.isEmpty { return .acquired }
                let rows = try await self.client.query(
                    """
                    SELECT fingerprint, state, lease_until, response_status, response_content_type, response_body
                    FROM idempotency_keys WHERE client_id = \(claim.scope.clientId) AND key = \(claim.scope.key)
                    """, logger: logger
                ).collect()
                guard let row = rows.first?.makeRandomAccess() else { continue }
                let body = try row[5].decode(ByteBuffer?.self)
                return IdempotencyDecision.existing(
                    claim: claim,
                    fingerprint: try row[0].decode(String.self),
                    state: try row[1].decode(String.self),
                    leaseUntilMicros: try row[2].decode(Int64.self),
                    response: StoredResponse(
                        status: Int(try row[3].decode(Int32?.self) ?? 0),
                        contentType: try row[4].decode(String?.self) ?? "",
                        body: body.map { Array($0.readableBytesView) } ?? []
                    )
                )
            }
            throw StoreError.failed("postgres: idempotency begin: the key kept changing under contention")
        }
    }

    package func completeIdempotent(
        _ scope: IdempotencyScope,
        response: StoredResponse,
        audit: AuditEntry,
        outbox: OutboxWrite?
    ) async throws(StoreError) -> OutboxCommit? {
        let logger = self.logger
        let (updated, committed): (Bool, OutboxCommit?) = try await Self.run("idempotency complete") {
            try await self.client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    UPDATE idempotency_keys
                    SET state = 'completed', response_status = \(Int32(response.status)),
                        response_content_type = \(response.contentType), response_body = \(ByteBuffer(bytes: response.body))
                    WHERE client_id = \(scope.clientId) AND key = \(scope.key) AND state = 'in_flight'
                    RETURNING 1
                    """, logger: logger
                ).collect()
                // Nothing was written: committing the empty transaction is harmless.
                guard !rows.isEmpty else { return (false, nil) }
                return (true, try await Self.finishCall(audit: audit, outbox: outbox, on: connection, logger: logger))
            }
        }
        guard updated else { throw .notInFlight }
        return committed
    }

    package func releaseIdempotent(
        _ scope: IdempotencyScope, audit: AuditEntry, outbox: OutboxWrite?
    ) async throws(StoreError) -> OutboxCommit? {
        let logger = self.logger
        let (deleted, committed): (Bool, OutboxCommit?) = try await Self.run("idempotency release") {
            try await self.client.withTransaction(logger: logger) { connection in
                let rows = try await connection.query(
                    """
                    DELETE FROM idempotency_keys
                    WHERE client_id = \(scope.clientId) AND key = \(scope.key) AND state = 'in_flight'
                    RETURNING 1
                    """, logger: logger
                ).collect()
                guard !rows.isEmpty else { return (false, nil) }
                return (true, try await Self.finishCall(audit: audit, outbox: outbox, on: connection, logger: logger))
            }
        }
        guard deleted else { throw .notInFlight }
        return committed
    }

    /// The rest of a call's transaction, whether its key is kept or released: its snapshot and events, then its
    /// audit record. The outbox first: every path takes the instance lock before the global ones (events, then
    /// audit), so the lock order is the same everywhere.
    private static func finishCall(
        audit: AuditEntry, outbox: OutboxWrite?, on connection: PostgresConnection, logger: Logger
    ) async throws -> OutboxCommit? {
        var committed: OutboxCommit?
        if let outbox { committed = try await Self.applyOutbox(outbox, on: connection, logger: logger) }
        try await Self.append(audit, on: connection, logger: logger)
        return committed
    }

    package func pruneIdempotency(createdBefore cutoff: Date) async throws(StoreError) -> Int {
        let logger = self.logger
        return try await Self.run("idempotency prune") {
            let rows = try await self.client.query(
                "DELETE FROM idempotency_keys WHERE created_at < \(StoredTime.micros(cutoff)) RETURNING 1",
                logger: logger
            ).collect()
            return rows.count
        }
    }

    // MARK: Signed-request replay

    package func rememberWebhookId(
        clientId: String, id: String, now: Date, expiresAt: Date
    ) async throws(StoreError) -> Bool {
        let logger = self.logger
        return try await Self.run("webhook id remember") {
            try await self.client.withTransaction(logger: logger) { connection in
                try await connection.query(
                    "DELETE FROM webhook_ids WHERE expires_at <= \(StoredTime.micros(now))", logger: logger)
                // The primary key decides races between replicas: exactly one INSERT returns a row.
                let rows = try await connection.query(
                    """
                    INSERT INTO webhook_ids (client_id, webhook_id, expires_at)
                    VALUES (\(clientId), \(id), \(StoredTime.micros(expiresAt)))
                    ON CONFLICT (client_id, webhook_id) DO NOTHING
                    RETURNING 1
                    """, logger: logger
                ).collect()
                return !rows.isEmpty
            }
        }
    }

    // MARK: Audit

    package func appendAudit(_ entry: AuditEntry, _ durability: Durability) async throws(StoreError) {
        let logger = self.logger
        try await Self.run("audit append") {
            try await self.client.withTransaction(logger: logger) { connection in
                // Committed without waiting for the WAL flush; a later synced commit flushes it with its own (the
                // WAL is one sequence), so the chain never depends on a record that could be lost alone.
                if durability == .written {
                    try await connection.query("SET LOCAL synchronous_commit TO OFF", logger: logger)
                }
                try await Self.append(entry, on: connection, logger: logger)
            }
        }
    }

    package func auditRecords(
        after: Int64,
        limit: Int,
        filter: AuditFilter
    ) async throws(StoreError) -> [AuditRecord] {
        guard limit > 0 else { return [] }
        let logger = self.logger
        return try await Self.run("audit records") {
            var binds = PostgresBindings()
            var conditions: [String] = []
            func condition(_ sql: String, _ value: some PostgresNonThrowingEncodable) {
                binds.append(value)
                conditions.append(sql.replacingOccurrences(of: "?", with: "$\(binds.count)"))
            }
            condition("sequence > ?", after)
            if let from = filter.from { condition("time_micros >= ?", StoredTime.micros(from)) }
            if let until = filter.until { condition("time_micros < ?", StoredTime.micros(until)) }
            if let clientId = filter.clientId { condition("client_id = ?", clientId) }
            if let instance = filter.instance?.condition { condition(instance.sql, instance.value) }
            if let outcome = filter.outcome { condition("outcome = ?", outcome) }
            if let operation = filter.operation { condition("operation = ?", operation) }
            binds.append(Int64(limit))
            let sql = """
                SELECT \(AuditColumns.list) FROM audit_log
                WHERE \(conditions.joined(separator: " AND ")) ORDER BY sequence LIMIT $\(binds.count)
                """
            let rows = try await self.client.query(PostgresQuery(unsafeSQL: sql, binds: binds), logger: logger)
                .collect()
            return try rows.map { try AuditRecord(row: $0.makeRandomAccess()) }
        }
    }

    package func close() async {
        runTask.cancel()
        await runTask.value
    }

    // MARK: Rows

    /// Appends inside the caller's transaction, serialized across replicas by the audit advisory lock.
    static func applyUpgrades(
        _ upgrades: [IdempotencyUpgrade], on connection: PostgresConnection, logger: Logger
    ) async throws {
        for upgrade in upgrades {
            let rows = try await connection.query(
                """
                UPDATE idempotency_keys
                SET response_status = \(Int32(upgrade.response.status)),
                    response_content_type = \(upgrade.response.contentType),
                    response_body = \(ByteBuffer(bytes: upgrade.response.body))
                WHERE client_id = \(upgrade.scope.clientId) AND key = \(upgrade.scope.key) AND state = 'completed'
                  AND response_status >= 500
                RETURNING 1
                """, logger: logger
            ).collect()
            if !rows.isEmpty { try await Self.append(upgrade.audit, on: connection, logger: logger) }
        }
    }

    private static func append(_ entry: AuditEntry, on connection: PostgresConnection, logger: Logger) async throws {
        try await connection.query("SELECT pg_advisory_xact_lock(\(auditLockKey))", logger: logger)
        let head = try await connection.query(
            "SELECT sequence, hash FROM audit_log ORDER BY sequence DESC LIMIT 1", logger: logger
        ).collect()
        var sequence: Int64 = 1
        var previousHash = AuditChain.genesisHash
        if let row = head.first?.makeRandomAccess() {
            sequence = try row[0].decode(Int64.self) + 1
            previousHash = try row[1].decode(String.self)
        }
        let hash = try AuditChain.hash(entry: entry, sequence: sequence, previousHash: previousHash)
        let upstreamStatus: Int32? = entry.upstreamStatus.map { Int32(clamping: $0) }
        try await connection.query(
            """
            INSERT INTO audit_log (\(unescaped: AuditColumns.list)) VALUES (
                \(sequence), \(StoredTime.micros(entry.time)), \(entry.clientId), \(entry.sourceAddress),
                \(entry.requestId), \(entry.traceparent), \(entry.idempotencyKey), \(entry.operation), \(entry.instance),
                \(entry.tokenProfile), \(entry.upstreamMethod), \(entry.upstreamURL), \(upstreamStatus),
                \(entry.latencyMicros), \(entry.outcome), \(entry.requestDigest), \(entry.responseDigest),
                \(previousHash), \(hash), \(entry.signedData))
            """, logger: logger)
    }

    /// Runs `body`, turning whatever it throws into a `StoreError` that names the operation and the server's
    /// SQLSTATE and message (which name constraints, never bound values), never the query's values.
    static func run<T: Sendable>(
        _ what: String,
        _ body: () async throws -> T
    ) async throws(StoreError) -> T {
        do {
            return try await body()
        } catch {
            throw PostgresErrorMapping.storeError(error, what: what)
        }
    }
}
