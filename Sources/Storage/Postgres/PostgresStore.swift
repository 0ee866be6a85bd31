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
///   therefore serialized cluster-wide, and the chain never forks — simpler to verify than per-replica chains.
///   All of it is one server-side statement, the transaction's last (`appendTailAndCommit`), so the lock is held for that
///   statement and the commit's WAL flush, not across round trips.
package final class PostgresStore: Store {
    /// Key of the transaction advisory lock that serializes audit appends across replicas.
    static let auditLockKey: Int64 = 0x5349_474E_4155_4454  // "SIGNAUDT"

    let pool: PostgresPool
    private let runTask: Task<Void, Never>
    /// Calls' completions that come at once, sent together (`finishBatch`).
    let completions: StatementBatcher<PendingFinish, BatchedFinish>
    /// Writes' claims that come at once, sent together (`claimBatch`).
    let claims: StatementBatcher<PendingClaim, BatchedClaim>
    var logger: Logger { pool.logger }

    private init(pool: PostgresPool, runTask: Task<Void, Never>) {
        self.pool = pool
        self.runTask = runTask
        self.completions = StatementBatcher(limit: Self.completionBatchLimit) { items in
            await Self.finishBatch(items, on: pool)
        }
        self.claims = StatementBatcher(limit: Self.claimBatchLimit) { items in await Self.claimBatch(items, on: pool) }
    }

    /// Starts a pool for `url` (`postgres://user@host:port/db`, optional `?sslmode=`) and checks the server
    /// answers. The password comes from `passwordFile` when given. Call `migrate()` next (`StoreFactory.open`
    /// does both).
    package static func open(
        url: String,
        passwordFile: String?,
        caFile: String? = nil,
        maximumConnections: Int = 10,
        statementTimeout: Duration = PostgresPool.defaultStatementTimeout,
        connectionWait: Duration = StoreConfiguration.defaultPostgresConnectionWait,
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
        configuration.options.additionalStartupParameters = PostgresPool.sessionSettings(statementTimeout)
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let runTask = Task { await client.run() }
        let pool = PostgresPool(
            client: client, logger: logger, leaseTimeout: connectionWait, statementTimeout: statementTimeout)
        let store = PostgresStore(pool: pool, runTask: runTask)
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

    /// How long a TLS close waits for the server's close_notify (NIOSSL's default is 5 s). A connection closed
    /// because the server stopped answering would otherwise linger that long (`ConnectionWatch`).
    static let tlsShutdownTimeout: TimeAmount = .seconds(1)

    /// The TLS settings for the DSN's `sslmode`, as libpq reads them.
    static func tls(_ dsn: PostgresDSN) throws(StoreError) -> PostgresClient.Configuration.TLS {
        var settings = TLSConfiguration.makeClientConfiguration()
        settings.shutdownTimeout = Self.tlsShutdownTimeout
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

    /// How long start-up waits for its first connection: one whole connect attempt (`connectTimeout`, 10 s) and
    /// then some. Longer than a call waits (`PostgresPool.leaseTimeout`, whose caller should hear 503 soon): a
    /// server just started, or a host busy starting many things at once, may take seconds to answer, and giving
    /// up then fails the whole start.
    static let startupWait: Duration = .seconds(15)

    /// One round trip. Bounded (`startupWait` while no connection can be made, then the statement limit), so an
    /// unreachable server fails start-up within seconds instead of hanging it.
    private func ping() async throws(StoreError) {
        _ = try await Self.run("connect") {
            try await self.pool.withConnection(within: Self.startupWait) { try await $0.query("SELECT 1") }
        }
    }

    package func migrate() async throws(StoreError) {
        try await Self.run("migrate") {
            // A step may rewrite a large table: no time limit while migrating.
            try await self.pool.withConnection {
                try await $0.withoutTimeLimit { connection in
                    // A session lock on this one connection: replicas starting together migrate one after another,
                    // and the later ones find every step recorded.
                    try await connection.query(
                        "SELECT pg_advisory_lock(\(PostgresMigrations.migrationLockKey))")
                    do {
                        try await Self.applyMigrations(on: connection)
                    } catch {
                        _ = try? await connection.query(
                            "SELECT pg_advisory_unlock(\(PostgresMigrations.migrationLockKey))")
                        throw error
                    }
                    try await connection.query(
                        "SELECT pg_advisory_unlock(\(PostgresMigrations.migrationLockKey))")
                }
            }
        }
    }

    private static func applyMigrations(on connection: LiveConnection) async throws {
        try await connection.query(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY)")
        for (index, statements) in PostgresMigrations.steps.enumerated() {
            let version = index + 1
            try await connection.transaction { connection in
                let rows = try await connection.query(
                    "SELECT 1 FROM schema_version WHERE version = \(version)")
                guard rows.isEmpty else { return }
                for sql in statements {
                    try await connection.query(PostgresQuery(unsafeSQL: sql))
                }
                try await connection.query("INSERT INTO schema_version (version) VALUES (\(version))")
            }
        }
    }

    // MARK: Idempotency

    package func beginIdempotent(_ claim: IdempotencyClaim) async throws(StoreError) -> IdempotencyBegin {
        return try await Self.run("idempotency begin") {
            // A key may vanish between the conflicting INSERT and the SELECT (released or pruned); then the
            // INSERT is simply tried again.
            for _ in 0..<5 {
                let inserted = try await self.pool.rows(ClaimKey.self, Self.claimBindings(claim))
                if !inserted.isEmpty { return .acquired }
                if let existing = try await self.existingKey(claim) { return existing }
            }
            throw StoreError.failed("postgres: idempotency begin: the key kept changing under contention")
        }
    }

    /// `ClaimKey`'s parameters, $1–$5.
    static func claimBindings(_ claim: IdempotencyClaim) -> PostgresBindings {
        var binds = PostgresBindings()
        binds.append(claim.scope.clientId)
        binds.append(claim.scope.key)
        binds.append(claim.fingerprint)
        binds.append(StoredTime.micros(claim.leaseUntil))
        binds.append(StoredTime.micros(claim.now))
        return binds
    }

    /// What the key a claim found already there means for it; nil when the key is gone meanwhile.
    func existingKey(_ claim: IdempotencyClaim) async throws -> IdempotencyBegin? {
        let rows = try await self.pool.query(
            """
            SELECT fingerprint, state, lease_until, response_status, response_content_type, response_body
            FROM idempotency_keys WHERE client_id = \(claim.scope.clientId) AND key = \(claim.scope.key)
            """)
        guard let row = rows.first?.makeRandomAccess() else { return nil }
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

    package func pruneIdempotency(createdBefore cutoff: Date) async throws(StoreError) -> Int {
        return try await Self.run("idempotency prune") {
            let rows = try await self.pool.query(
                "DELETE FROM idempotency_keys WHERE created_at < \(StoredTime.micros(cutoff)) RETURNING 1")
            return rows.count
        }
    }

    // MARK: Signed-request replay

    package func rememberWebhookId(
        clientId: String, id: String, now: Date, expiresAt: Date
    ) async throws(StoreError) -> Bool {
        return try await Self.run("webhook id remember") {
            try await self.pool.transaction { connection in
                try await connection.query(
                    "DELETE FROM webhook_ids WHERE expires_at <= \(StoredTime.micros(now))")
                // The primary key decides races between replicas: exactly one INSERT returns a row.
                let rows = try await connection.query(
                    """
                    INSERT INTO webhook_ids (client_id, webhook_id, expires_at)
                    VALUES (\(clientId), \(id), \(StoredTime.micros(expiresAt)))
                    ON CONFLICT (client_id, webhook_id) DO NOTHING
                    RETURNING 1
                    """)
                return !rows.isEmpty
            }
        }
    }

    // MARK: Audit

    package func appendAudit(_ entry: AuditEntry, _ durability: Durability) async throws(StoreError) {
        try await Self.run("audit append") {
            // One statement in its own implicit transaction: no BEGIN or COMMIT round trip, so the audit lock is
            // held for the statement and its commit only.
            guard durability == .written else {
                _ = try await self.pool.query(try Self.tailQuery(events: [], audits: [entry]))
                return
            }
            // Committed without waiting for the WAL flush (migration 13); a later synced commit flushes it with its
            // own, so the chain never depends on a record that could be lost alone.
            var binds = PostgresBindings(capacity: 3)
            TailArguments(events: [], audits: [entry]).appendAudits(to: &binds)
            _ = try await self.pool.rows(AppendAuditsWritten.self, binds)
        }
    }

    package func auditRecords(
        after: Int64,
        limit: Int,
        filter: AuditFilter
    ) async throws(StoreError) -> [AuditRecord] {
        guard limit > 0 else { return [] }
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
            let rows = try await self.pool.query(PostgresQuery(unsafeSQL: sql, binds: binds))
            return try rows.map { try AuditRecord(row: $0.makeRandomAccess()) }
        }
    }

    package func close() async {
        runTask.cancel()
        await runTask.value
    }

    // MARK: Rows

    /// Stores the upgrades (a completed key's 5xx answer replaced by a later, better one) and returns the audit
    /// records of those that applied, for the caller's `appendTailAndCommit`.
    static func applyUpgrades(
        _ upgrades: [IdempotencyUpgrade], on connection: LiveConnection
    ) async throws -> [AuditEntry] {
        var audits: [AuditEntry] = []
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
                """)
            if !rows.isEmpty { audits.append(upgrade.audit) }
        }
        return audits
    }

    /// Appends `events` (ids that exist are skipped; each new one fanned out to the matching subscriptions) and
    /// then the `audits` records to the chain, inside the caller's transaction (`tailTransaction`), and commits it.
    /// The appends are one statement: the server-side `signing_gateway_append_tail` (migration 10) takes the events
    /// lock, numbers the events, takes the audit lock, reads the chain's head and inserts each record with its hash.
    /// The COMMIT is queued on the connection right behind it, so the server gets it as soon as the statement ends
    /// (no wake-up of this task in between): both global locks are held for that statement and the commit only.
    static func appendTailAndCommit(
        events: [NewEvent], audits: [AuditEntry], on connection: LiveConnection
    ) async throws -> (appended: [EventRecord], deliveriesCreated: Int) {
        guard !events.isEmpty || !audits.isEmpty else {
            try await connection.query("COMMIT")
            return ([], 0)
        }
        // Both written now, in this order; awaiting the first answer would hold the COMMIT back by a round trip.
        let tail = try connection.send(try tailQuery(events: events, audits: audits))
        let commit = try connection.send("COMMIT")
        let result: PostgresQueryResult
        do {
            result = try await tail.get()
        } catch {
            // The transaction is aborted: the queued COMMIT ends it as a rollback.
            _ = try? await commit.get()
            throw error
        }
        _ = try await commit.get()
        return try appendedEvents(result.rows, events: events)
    }

    /// The events `signing_gateway_append_tail` says it appended (one row each: its index in `events`, its sequence
    /// and its deliveries), in order.
    static func appendedEvents(
        _ rows: some Sequence<PostgresRow>, events: [NewEvent]
    ) throws -> (appended: [EventRecord], deliveriesCreated: Int) {
        var appended: [EventRecord] = []
        var deliveriesCreated = 0
        for row in rows {
            let row = row.makeRandomAccess()
            let index = Int(try row[0].decode(Int32.self)) - 1
            guard events.indices.contains(index) else {
                throw StoreError.failed("postgres: append: the server named an event that was not sent")
            }
            appended.append(EventRecord(sequence: try row[1].decode(Int64.self), event: events[index]))
            deliveriesCreated += Int(try row[2].decode(Int64.self))
        }
        return (appended, deliveriesCreated)
    }

    /// The `signing_gateway_append_tail` call for `events` and `audits`.
    static func tailQuery(events: [NewEvent], audits: [AuditEntry]) throws -> PostgresQuery {
        var binds = PostgresBindings(capacity: TailArguments.count)
        TailArguments(events: events, audits: audits).append(to: &binds)
        return PostgresQuery(
            unsafeSQL: """
                SELECT o_index, o_sequence, o_deliveries FROM signing_gateway_append_tail(
                    \(TailArguments.placeholders(from: 1)))
                """, binds: binds)
    }

    /// The arguments of `signing_gateway_append_tail`, which `signing_gateway_finish_call` ends with. Columns
    /// travel as arrays; the audit records as a JSON array (arrays of optionals do not encode; an absent member
    /// reads as NULL), with the canonical bytes around each record's sequence, which only the server knows.
    struct TailArguments {
        static let count = 9

        /// `$from…` typed, in the functions' order.
        static func placeholders(from first: Int) -> String {
            let types = ["text[]", "text[]", "text[]", "text[]", "bigint[]", "bytea[]", "text", "bytea[]", "bytea[]"]
            return types.enumerated().map { offset, type in
                // The audit records are sent as text (a binary jsonb value would need its version byte).
                "$\(first + offset)::\(type)" + (type == "text" ? "::jsonb" : "")
            }.joined(separator: ", ")
        }

        private let events: [NewEvent]
        private let auditJSON: String
        private let parts: [(head: [UInt8], tail: [UInt8])]

        init(events: [NewEvent], audits: [AuditEntry]) {
            self.events = events
            self.auditJSON = PostgresStore.auditRowsJSON(audits)
            self.parts = audits.map(AuditChain.canonicalParts(entry:))
        }

        func append(to binds: inout PostgresBindings) {
            binds.append(events.map(\.id))
            binds.append(events.map(\.type))
            binds.append(events.map(\.instance))
            binds.append(events.map(\.app))
            binds.append(events.map { StoredTime.micros($0.time) })
            binds.append(events.map { ByteBuffer(bytes: $0.body) })
            self.appendAudits(to: &binds)
        }

        /// The last three: the audit records alone (`signing_gateway_append_audits_written`).
        func appendAudits(to binds: inout PostgresBindings) {
            binds.append(auditJSON)
            binds.append(parts.map { ByteBuffer(bytes: $0.head) })
            binds.append(parts.map { ByteBuffer(bytes: $0.tail) })
        }
    }

    /// The audit records' stored columns as `signing_gateway_append_tail` reads them (`jsonb_to_record`), a JSON
    /// array of objects; nil members are left out and read as NULL. Written directly: Foundation's encoder was a
    /// tenth of the completion's cost in the gateway.
    static func auditRowsJSON(_ audits: [AuditEntry]) -> String {
        var out: [UInt8] = [UInt8(ascii: "[")]
        out.reserveCapacity(512 * audits.count)
        for (index, entry) in audits.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            var object = JSONObjectWriter(into: out)
            object.integer("time_micros", StoredTime.micros(entry.time))
            object.string("client_id", entry.clientId)
            object.string("source_address", entry.sourceAddress)
            object.string("request_id", entry.requestId)
            object.string("traceparent", entry.traceparent)
            object.string("idempotency_key", entry.idempotencyKey)
            object.string("operation", entry.operation)
            object.string("instance", entry.instance)
            object.string("token_profile", entry.tokenProfile)
            object.string("upstream_method", entry.upstreamMethod)
            object.string("upstream_url", entry.upstreamURL)
            object.integer("upstream_status", entry.upstreamStatus.map { Int64(Int32(clamping: $0)) })
            object.integer("latency_micros", entry.latencyMicros)
            object.string("outcome", entry.outcome)
            object.string("request_digest", entry.requestDigest)
            object.string("response_digest", entry.responseDigest)
            object.string("signed_data", entry.signedData)
            out = object.finish()
        }
        out.append(UInt8(ascii: "]"))
        return String(decoding: out, as: UTF8.self)
    }

    /// One JSON object, member by member; a nil value leaves its member out.
    private struct JSONObjectWriter {
        private var out: [UInt8]
        private var first = true

        init(into out: [UInt8]) {
            self.out = out
            self.out.append(UInt8(ascii: "{"))
        }

        mutating func string(_ name: String, _ value: String?) {
            guard let value else { return }
            self.name(name)
            AuditChain.appendJSONString(value, to: &self.out)
        }

        mutating func integer(_ name: String, _ value: Int64?) {
            guard let value else { return }
            self.name(name)
            self.out.append(contentsOf: String(value).utf8)
        }

        private mutating func name(_ name: String) {
            if !self.first { self.out.append(UInt8(ascii: ",")) }
            self.first = false
            AuditChain.appendJSONString(name, to: &self.out)
            self.out.append(UInt8(ascii: ":"))
        }

        consuming func finish() -> [UInt8] {
            self.out.append(UInt8(ascii: "}"))
            return self.out
        }
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

// MARK: - A call's prepared statements (see `PreparedSQL`)

/// The audit records as `TailArguments.appendAudits` binds them.
private enum AppendAuditsWritten: PreparedSQL {
    static let name = "sg_audits_written"
    static let sql = """
        SELECT o_index, o_sequence, o_deliveries FROM signing_gateway_append_audits_written($1::text::jsonb, $2::bytea[],
            $3::bytea[])
        """
}

/// $1 client, $2 key, $3 fingerprint, $4 lease until, $5 now.
private enum ClaimKey: PreparedSQL {
    static let name = "sg_key_claim"
    static let sql = """
        INSERT INTO idempotency_keys (client_id, key, fingerprint, state, lease_until, created_at)
        VALUES ($1, $2, $3, 'in_flight', $4, $5)
        ON CONFLICT (client_id, key) DO NOTHING
        RETURNING 1
        """
}
