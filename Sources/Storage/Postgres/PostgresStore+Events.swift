package import Foundation
import Logging
import PostgresNIO

// The events seam on PostgreSQL, shared by every replica.
//
// Locks, always taken in this order so no two transactions wait on each other in a cycle:
// 1. the instance's advisory lock (`instanceLockClass`, `hashtext(instance)`), then its row `FOR UPDATE`: commits to
//    one instance run one after another even while the row does not exist yet;
// 2. `eventsLockKey`, around appending events: sequences are then assigned in commit order, so a pull-feed reader
//    that has seen sequence n never later finds a new event below n;
// 3. the audit chain's lock (`completeIdempotent` appends its record last).
// 2 and 3 are taken by one statement, the transaction's last before COMMIT (`appendTailAndCommit`), so each global lock is
// held for that statement and the commit, not for a round trip per statement.
// Claims never wait: `FOR UPDATE SKIP LOCKED`.
extension PostgresStore {
    /// Key of the transaction advisory lock that serializes event appends across replicas.
    static let eventsLockKey: Int64 = 0x5349_474E_4556_4E54  // "SIGNEVNT"
    /// First key of the two-key advisory locks per tracked instance (the second is `hashtext(instance)`; the
    /// two-key space never overlaps the one-key space of the audit and events locks).
    static let instanceLockClass: Int32 = 0x5349_4749  // "SIGI"

    // MARK: Tracking and the outbox

    package func commit(_ write: OutboxWrite) async throws(StoreError) -> OutboxCommit {
        return try await Self.run("outbox commit") {
            try await self.pool.tailTransaction { connection in
                let current = try await Self.lockInstance(write.instance, on: connection)
                let committed = try await Self.applyOutboxAndCommit(
                    write, current: current, audits: [], on: connection)
                return (committed, committed: true)
            }
        }
    }

    /// The instance's advisory lock and its row `FOR UPDATE`, in one round trip.
    static func lockInstance(
        _ instance: String, on connection: LiveConnection
    ) async throws -> TrackedInstance? {
        let rows = try await connection.query(
            """
            SELECT \(unescaped: EventColumns.list(EventColumns.tracked))
            FROM signing_gateway_lock_instance(\(instance))
            """)
        return try rows.first.map { try TrackedInstance(row: $0.makeRandomAccess()) }
    }

    /// Runs `write.apply` on `current` (the instance's row, read under its lock: `lockInstance`), stores the row it
    /// returns and appends its new events with their deliveries, then `audits` (after the audit records of the
    /// upgrades the write made), and commits the caller's transaction (`tailTransaction`, from `commit` or
    /// `completeIdempotent`): the events and audit records are appended by the last statement
    /// (`appendTailAndCommit`), so the global locks are held for it and the COMMIT only.
    static func applyOutboxAndCommit(
        _ write: OutboxWrite, current: TrackedInstance?, audits: [AuditEntry], on connection: LiveConnection
    ) async throws -> OutboxCommit {
        let update = write.apply(current)
        var tracked = current
        let started = current == nil && update.tracked != nil
        if let row = update.tracked { tracked = try await upsert(row, on: connection) }
        let upgradeAudits = try await Self.applyUpgrades(update.upgrades, on: connection)
        let tail = try await Self.appendTailAndCommit(
            events: update.events, audits: upgradeAudits + audits, on: connection)
        return OutboxCommit(
            tracked: tracked, appended: tail.appended, deliveriesCreated: tail.deliveriesCreated,
            trackingStarted: started)
    }

    private static func upsert(
        _ row: TrackedInstance, on connection: LiveConnection
    ) async throws -> TrackedInstance {
        var binds = PostgresBindings(capacity: EventColumns.tracked.count)
        appendTracked(row, to: &binds)
        guard let first = try await connection.rows(UpsertTracked.self, binds).first else {
            throw StoreError.failed("postgres: outbox commit: the stored row was not returned")
        }
        return try TrackedInstance(row: first.makeRandomAccess())
    }

    /// `row`'s columns in `EventColumns.tracked`'s order (all NULL when nil). A NULL on a connection's first call
    /// leaves its parameter's type to the server, which takes the column's.
    static func appendTracked(_ row: TrackedInstance?, to binds: inout PostgresBindings) {
        guard let row else {
            for _ in EventColumns.tracked { binds.appendNull() }
            return
        }
        let guardColumns = EventColumns.columns(row.processNext)
        binds.append(row.instance)
        binds.append(row.clientId)
        binds.append(row.tokenProfile)
        binds.append(row.taskId)
        binds.append(row.completeWhenAllSigned)
        binds.append(row.status.rawValue)
        binds.append(ByteBuffer(bytes: row.snapshot))
        binds.append(Int32(clamping: row.polls))
        binds.append(StoredTime.micros(row.nextPollAt))
        binds.append(StoredTime.micros(row.deadline))
        binds.append(guardColumns.state)
        binds.append(guardColumns.token)
        binds.append(guardColumns.claimedAtMicros)
        binds.append(row.traceparent)
        binds.append(row.lastError)
        binds.append(row.leaseOwner)
        binds.append(row.leaseUntil.map(StoredTime.micros))
        binds.append(StoredTime.micros(row.createdAt))
        binds.append(StoredTime.micros(row.updatedAt))
    }

    package func trackedInstance(_ instance: String) async throws(StoreError) -> TrackedInstance? {
        return try await Self.run("tracked instance") {
            let rows = try await self.pool.query(
                """
                SELECT \(unescaped: EventColumns.list(EventColumns.tracked)) FROM tracked_instances
                WHERE instance = \(instance)
                """)
            return try rows.first.map { try TrackedInstance(row: $0.makeRandomAccess()) }
        }
    }

    package func trackedInstances(after: String?, limit: Int, status: TrackingStatus?) async throws(StoreError)
        -> [TrackedInstance]
    {
        guard limit > 0 else { return [] }
        return try await Self.run("tracked instances") {
            try await self.page(
                of: "tracked_instances", EventColumns.tracked, after: after.map { ("instance", $0) },
                filters: [("status = ?", status?.rawValue)], limit: limit, TrackedInstance.init(row:))
        }
    }

    package func untrack(_ instance: String) async throws(StoreError) -> Bool {
        return try await Self.run("untrack") {
            let rows = try await self.pool.query(
                "DELETE FROM tracked_instances WHERE instance = \(instance) RETURNING 1")
            return !rows.isEmpty
        }
    }

    package func claimDueTrackedInstances(owner: String, now: Date, leaseUntil: Date, limit: Int)
        async throws(StoreError) -> [TrackedInstance]
    {
        guard limit > 0 else { return [] }
        let nowMicros = StoredTime.micros(now)
        return try await Self.run("claim tracked instances") {
            let rows = try await self.pool.query(
                """
                WITH due AS (
                    SELECT instance FROM tracked_instances
                    WHERE status = 'active' AND next_poll_at <= \(nowMicros)
                      AND (lease_until IS NULL OR lease_until <= \(nowMicros))
                    ORDER BY next_poll_at, instance
                    LIMIT \(Int64(limit))
                    FOR UPDATE SKIP LOCKED
                )
                UPDATE tracked_instances t SET lease_owner = \(owner), lease_until = \(StoredTime.micros(leaseUntil))
                FROM due WHERE t.instance = due.instance
                RETURNING \(unescaped: EventColumns.list(EventColumns.tracked, alias: "t"))
                """)
            return try rows.map { try TrackedInstance(row: $0.makeRandomAccess()) }
                .sorted { ($0.nextPollAt, $0.instance) < ($1.nextPollAt, $1.instance) }
        }
    }

    package func trackingCounts() async throws(StoreError) -> [TrackingCount] {
        return try await Self.run("tracking counts") {
            let rows = try await self.pool.query(
                "SELECT status, count(*) FROM tracked_instances GROUP BY status ORDER BY status")
            return try rows.map { row in
                let row = row.makeRandomAccess()
                return TrackingCount(
                    status: try EventColumns.status(try row[0].decode(String.self)),
                    count: Int(try row[1].decode(Int64.self)))
            }
        }
    }

    package func events(after: Int64, limit: Int, instance: InstanceMatch?) async throws(StoreError)
        -> [EventRecord]
    {
        guard limit > 0 else { return [] }
        return try await Self.run("events") {
            // The key form as one statement text and the suffix form as another, so each keeps its own plan.
            let condition = instance?.condition
            let sql = """
                SELECT \(EventColumns.list(EventColumns.event)) FROM events
                WHERE sequence > $1 AND \(condition.map { $0.sql.replacingOccurrences(of: "?", with: "$3") } ?? "TRUE")
                ORDER BY sequence LIMIT $2
                """
            var binds = PostgresBindings()
            binds.append(after)
            binds.append(Int64(limit))
            if let condition { binds.append(condition.value) }
            let rows = try await self.pool.query(PostgresQuery(unsafeSQL: sql, binds: binds))
            return try rows.map { row in
                let row = row.makeRandomAccess()
                return EventRecord(
                    sequence: try row[0].decode(Int64.self),
                    event: NewEvent(
                        id: try row[1].decode(String.self), type: try row[2].decode(String.self),
                        instance: try row[3].decode(String.self), app: try row[4].decode(String.self),
                        time: StoredTime.date(micros: try row[5].decode(Int64.self)),
                        body: Array(try row[6].decode(ByteBuffer.self).readableBytesView)))
            }
        }
    }

    // MARK: Subscriptions

    package func createSubscription(_ subscription: Subscription) async throws(StoreError) {
        let inserted: Bool = try await Self.run("create subscription") {
            // The primary key decides a race between replicas: exactly one INSERT returns a row.
            let rows = try await self.pool.query(
                """
                INSERT INTO subscriptions (\(unescaped: EventColumns.list(EventColumns.subscription))) VALUES (
                    \(subscription.id), \(subscription.url), \(EventColumns.joined(subscription.types)),
                    \(EventColumns.joined(subscription.apps)), \(subscription.enabled), \(subscription.disabledReason),
                    \(subscription.description), \(subscription.secret), \(subscription.previousSecret),
                    \(subscription.previousSecretExpiresAt.map(StoredTime.micros)),
                    \(StoredTime.micros(subscription.createdAt)), \(StoredTime.micros(subscription.updatedAt)),
                    \(subscription.owner))
                ON CONFLICT (id) DO NOTHING
                RETURNING 1
                """)
            return !rows.isEmpty
        }
        guard inserted else { throw .conflict }
    }

    package func subscription(id: String) async throws(StoreError) -> Subscription? {
        return try await Self.run("subscription") {
            let rows = try await self.pool.query(
                """
                SELECT \(unescaped: EventColumns.list(EventColumns.subscription)) FROM subscriptions WHERE id = \(id)
                """)
            return try rows.first.map { try Subscription(row: $0.makeRandomAccess()) }
        }
    }

    package func subscriptions() async throws(StoreError) -> [Subscription] {
        return try await Self.run("subscriptions") {
            let rows = try await self.pool.query(
                """
                SELECT \(unescaped: EventColumns.list(EventColumns.subscription)) FROM subscriptions
                ORDER BY created_at, id
                """)
            return try rows.map { try Subscription(row: $0.makeRandomAccess()) }
        }
    }

    package func updateSubscription(id: String, _ change: @escaping @Sendable (Subscription) -> Subscription)
        async throws(StoreError) -> Subscription?
    {
        return try await Self.run("update subscription") {
            try await self.pool.transaction { connection -> Subscription? in
                let rows = try await connection.query(
                    """
                    SELECT \(unescaped: EventColumns.list(EventColumns.subscription)) FROM subscriptions
                    WHERE id = \(id) FOR UPDATE
                    """)
                guard let row = rows.first else { return nil }
                let changed = change(try Subscription(row: row.makeRandomAccess()))
                // The id is the key and the owner never changes: neither is written.
                let updated = try await connection.query(
                    """
                    UPDATE subscriptions SET
                        url = \(changed.url), types = \(EventColumns.joined(changed.types)),
                        apps = \(EventColumns.joined(changed.apps)), enabled = \(changed.enabled),
                        disabled_reason = \(changed.disabledReason), description = \(changed.description),
                        secret = \(changed.secret), previous_secret = \(changed.previousSecret),
                        previous_secret_expires_at = \(changed.previousSecretExpiresAt.map(StoredTime.micros)),
                        created_at = \(StoredTime.micros(changed.createdAt)),
                        updated_at = \(StoredTime.micros(changed.updatedAt))
                    WHERE id = \(id)
                    RETURNING \(unescaped: EventColumns.list(EventColumns.subscription))
                    """)
                return try updated.first.map { try Subscription(row: $0.makeRandomAccess()) }
            }
        }
    }

    package func deleteSubscription(id: String) async throws(StoreError) -> Bool {
        return try await Self.run("delete subscription") {
            try await self.pool.transaction { connection in
                try await connection.query(
                    """
                    DELETE FROM delivery_attempts
                    WHERE delivery_id IN (SELECT id FROM deliveries WHERE subscription_id = \(id))
                    """)
                try await connection.query("DELETE FROM deliveries WHERE subscription_id = \(id)")
                let rows = try await connection.query(
                    "DELETE FROM subscriptions WHERE id = \(id) RETURNING 1")
                return !rows.isEmpty
            }
        }
    }

    // MARK: Deliveries

    package func claimDeliveries(
        owner: String, now: Date, leaseUntil: Date, limit: Int, subscriptionId: String?
    ) async throws(StoreError) -> [ClaimedDelivery] {
        guard limit > 0 else { return [] }
        let nowMicros = StoredTime.micros(now)
        // Bound by hand so the one-subscription claim has a plain `subscription_id = $n` the planner can walk
        // its index with (a `$n IS NULL OR …` condition would not).
        var binds = PostgresBindings()
        func bind(_ value: some PostgresNonThrowingEncodable) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        let nowBind = bind(nowMicros)
        let subscriptionCondition = subscriptionId.map { "AND d.subscription_id = \(bind($0))" } ?? ""
        let sql = """
            WITH due AS (
                SELECT d.id FROM deliveries d JOIN subscriptions s ON s.id = d.subscription_id
                WHERE d.state = 'pending' AND d.next_attempt_at <= \(nowBind)
                  AND (d.lease_until IS NULL OR d.lease_until <= \(nowBind)) \(subscriptionCondition)
                  AND s.enabled AND \(EventColumns.noEarlierPending("d"))
                ORDER BY d.event_sequence, d.id
                LIMIT \(bind(Int64(limit)))
                FOR UPDATE OF d SKIP LOCKED
            )
            UPDATE deliveries d SET lease_owner = \(bind(owner)), lease_until = \(bind(StoredTime.micros(leaseUntil)))
            FROM due, events ev, subscriptions s
            WHERE d.id = due.id AND ev.sequence = d.event_sequence AND s.id = d.subscription_id
            RETURNING \(EventColumns.list(EventColumns.delivery, alias: "d")), ev.body,
                      \(EventColumns.list(EventColumns.subscription, alias: "s"))
            """
        let query = PostgresQuery(unsafeSQL: sql, binds: binds)
        return try await Self.run("claim deliveries") {
            let rows = try await self.pool.query(query)
            let first = EventColumns.delivery.count
            return try rows.map { row in
                let row = row.makeRandomAccess()
                return ClaimedDelivery(
                    delivery: try DeliveryRecord(row: row),
                    body: Array(try row[first].decode(ByteBuffer.self).readableBytesView),
                    subscription: try Subscription(row: row, from: first + 1))
            }
            .sorted { ($0.delivery.eventSequence, $0.delivery.id) < ($1.delivery.eventSequence, $1.delivery.id) }
        }
    }

    package func finishDeliveries(_ outcomes: [DeliveryOutcome]) async throws(StoreError) {
        guard !outcomes.isEmpty else { return }
        // The whole batch in one statement: one array per column, unnested into rows. Arrays of optionals do not
        // encode, so absent values travel as sentinels (-1, "") turned back into NULL by NULLIF.
        var ids: [Int64] = []
        var numbers: [Int32] = []
        var times: [Int64] = []
        var statuses: [Int32] = []
        var verdicts: [String] = []
        var states: [String] = []
        var nextAttempts: [Int64] = []
        var failed: [Int32] = []
        var latencies: [Int64] = []
        var excerpts: [String] = []
        var disableReasons: [String] = []
        for outcome in outcomes {
            let attempt = outcome.attempt
            let after = EventColumns.after(outcome.next)
            ids.append(attempt.deliveryId)
            numbers.append(Int32(clamping: attempt.number))
            times.append(StoredTime.micros(attempt.time))
            statuses.append(attempt.status.map { Int32(clamping: $0) } ?? -1)
            verdicts.append(attempt.verdict)
            states.append(after.state.rawValue)
            nextAttempts.append(after.nextAttemptAt ?? -1)
            failed.append(after.failed ? 1 : 0)
            latencies.append(attempt.latencyMicros)
            excerpts.append(attempt.responseExcerpt ?? "")
            disableReasons.append(outcome.disableSubscription ?? "")
        }
        try await Self.run("finish deliveries") {
            // An outcome for a delivery deleted meanwhile updates nothing and records nothing; a repeated attempt
            // number (a stale outcome) is ignored rather than failing the batch.
            _ = try await self.pool.query(
                """
                WITH input AS (
                    SELECT * FROM unnest(
                        \(ids)::bigint[], \(numbers)::int[], \(times)::bigint[], \(statuses)::int[], \(verdicts)::text[],
                        \(states)::text[], \(nextAttempts)::bigint[], \(failed)::int[], \(latencies)::bigint[],
                        \(excerpts)::text[], \(disableReasons)::text[])
                    AS i(id, number, time, status, verdict, state, next_attempt_at, failed, latency, excerpt, reason)
                ), updated AS (
                    UPDATE deliveries d
                    SET attempts = i.number, last_status = NULLIF(i.status, -1), last_verdict = i.verdict,
                        state = i.state, next_attempt_at = NULLIF(i.next_attempt_at, -1),
                        failures_since_armed = d.failures_since_armed + i.failed,
                        lease_owner = NULL, lease_until = NULL, updated_at = i.time
                    FROM input i WHERE d.id = i.id
                    RETURNING d.id, d.subscription_id
                ), recorded AS (
                    INSERT INTO delivery_attempts (\(unescaped: EventColumns.list(EventColumns.attempt)))
                    SELECT i.id, i.number, i.time, NULLIF(i.status, -1), i.latency, i.verdict, NULLIF(i.excerpt, '')
                    FROM input i JOIN updated u ON u.id = i.id
                    ON CONFLICT (delivery_id, number) DO NOTHING
                )
                UPDATE subscriptions s SET enabled = FALSE, disabled_reason = i.reason, updated_at = i.time
                FROM input i JOIN updated u ON u.id = i.id
                WHERE s.id = u.subscription_id AND i.reason <> ''
                """)
        }
    }

    package func deliveries(after: Int64, limit: Int, filter: DeliveryFilter) async throws(StoreError)
        -> [DeliveryRecord]
    {
        guard limit > 0 else { return [] }
        return try await Self.run("deliveries") {
            try await self.page(
                of: "deliveries", EventColumns.delivery, after: ("id", after),
                filters: [
                    ("state = ?", filter.state?.rawValue), ("subscription_id = ?", filter.subscriptionId),
                    filter.instance?.condition ?? ("", nil),
                ], limit: limit, DeliveryRecord.init(row:))
        }
    }

    package func delivery(id: Int64) async throws(StoreError) -> DeliveryRecord? {
        return try await Self.run("delivery") {
            let rows = try await self.pool.query(
                "SELECT \(unescaped: EventColumns.list(EventColumns.delivery)) FROM deliveries WHERE id = \(id)")
            return try rows.first.map { try DeliveryRecord(row: $0.makeRandomAccess()) }
        }
    }

    package func deliveryAttempts(deliveryId: Int64) async throws(StoreError) -> [DeliveryAttempt] {
        return try await Self.run("delivery attempts") {
            let rows = try await self.pool.query(
                """
                SELECT \(unescaped: EventColumns.list(EventColumns.attempt)) FROM delivery_attempts
                WHERE delivery_id = \(deliveryId) ORDER BY number
                """)
            return try rows.map { row in
                let row = row.makeRandomAccess()
                return DeliveryAttempt(
                    deliveryId: try row[0].decode(Int64.self),
                    number: Int(try row[1].decode(Int32.self)),
                    time: StoredTime.date(micros: try row[2].decode(Int64.self)),
                    status: try row[3].decode(Int32?.self).map(Int.init),
                    latencyMicros: try row[4].decode(Int64.self),
                    verdict: try row[5].decode(String.self),
                    responseExcerpt: try row[6].decode(String?.self))
            }
        }
    }

    package func retryDelivery(id: Int64, now: Date) async throws(StoreError) -> DeliveryRecord? {
        let nowMicros = StoredTime.micros(now)
        return try await Self.run("retry delivery") {
            let rows = try await self.pool.query(
                """
                UPDATE deliveries
                SET state = 'pending', next_attempt_at = \(nowMicros), failures_since_armed = 0, lease_owner = NULL,
                    lease_until = NULL, updated_at = \(nowMicros)
                WHERE id = \(id)
                RETURNING \(unescaped: EventColumns.list(EventColumns.delivery))
                """)
            return try rows.first.map { try DeliveryRecord(row: $0.makeRandomAccess()) }
        }
    }

    package func replay(subscriptionId: String, since: Date, now: Date) async throws(StoreError) -> Int? {
        let nowMicros = StoredTime.micros(now)
        let matches = EventColumns.matches(subscription: "s", type: "ev.type", app: "ev.app", position: "strpos")
        let count: Int? = try await Self.run("replay") {
            try await self.pool.transaction { connection -> Int? in
                let found = try await connection.query(
                    "SELECT 1 FROM subscriptions WHERE id = \(subscriptionId) FOR SHARE")
                guard !found.isEmpty else { return nil }
                let rows = try await connection.query(
                    """
                    WITH replayed AS (
                        INSERT INTO deliveries (subscription_id, event_sequence, event_id, event_type, instance, state,
                                                next_attempt_at, created_at, updated_at)
                        SELECT s.id, ev.sequence, ev.id, ev.type, ev.instance, 'pending', \(nowMicros), \(nowMicros),
                               \(nowMicros)
                        FROM subscriptions s CROSS JOIN events ev
                        WHERE s.id = \(subscriptionId) AND ev.time_micros >= \(StoredTime.micros(since))
                          AND \(unescaped: matches)
                          AND \(unescaped: EventColumns.noPendingDelivery(subscription: "s", event: "ev"))
                        ORDER BY ev.sequence
                        RETURNING 1
                    )
                    SELECT count(*) FROM replayed
                    """)
                return Int(try rows.first?.makeRandomAccess()[0].decode(Int64.self) ?? 0)
            }
        }
        // A large replay is a burst autovacuum notices only within a minute; the claims' plans need its
        // statistics now. Best effort: the replay itself is committed either way.
        if let count, count >= Self.replayAnalyzeThreshold {
            _ = try? await self.pool.query("ANALYZE deliveries")
        }
        return count
    }

    static let replayAnalyzeThreshold = 1000

    package func attemptSummary(since: Date) async throws(StoreError) -> [AttemptSummary] {
        return try await Self.run("attempt summary") {
            var binds = PostgresBindings()
            binds.append(StoredTime.micros(since))
            let query = PostgresQuery(unsafeSQL: EventColumns.attemptSummary(since: "$1"), binds: binds)
            let rows = try await self.pool.query(query)
            return try rows.map { row in
                let row = row.makeRandomAccess()
                return AttemptSummary(
                    subscriptionId: try row[0].decode(String.self), verdict: try row[1].decode(String.self),
                    count: Int(try row[2].decode(Int64.self)),
                    lastAt: StoredTime.date(micros: try row[3].decode(Int64.self)))
            }
        }
    }

    package func deliveryCounts() async throws(StoreError) -> [DeliveryCount] {
        return try await Self.run("delivery counts") {
            let rows = try await self.pool.query(
                """
                SELECT subscription_id, state, count(*), min(created_at) FROM deliveries
                GROUP BY subscription_id, state ORDER BY subscription_id, state
                """)
            return try rows.map { row in
                let row = row.makeRandomAccess()
                return DeliveryCount(
                    subscriptionId: try row[0].decode(String.self),
                    state: try EventColumns.state(try row[1].decode(String.self)),
                    count: Int(try row[2].decode(Int64.self)),
                    oldestCreatedAt: StoredTime.date(micros: try row[3].decode(Int64.self)))
            }
        }
    }

    package func pruneDeliveries(before cutoff: Date) async throws(StoreError) -> PrunedDeliveries {
        return try await Self.run("prune deliveries") {
            try await self.pool.transaction { connection -> PrunedDeliveries in
                var counts: [Int] = []
                for sql in EventColumns.prune(cutoff: "$1") {
                    var binds = PostgresBindings()
                    binds.append(StoredTime.micros(cutoff))
                    let rows = try await connection.query(
                        PostgresQuery(unsafeSQL: sql + " RETURNING 1", binds: binds))
                    counts.append(rows.count)
                }
                return PrunedDeliveries(attempts: counts[0], deliveries: counts[1], events: counts[2])
            }
        }
    }

    // MARK: Rows

    /// A listing page: rows whose first column (the order) is after the cursor, matching every set filter.
    private func page<Row>(
        of table: String, _ columns: [String], after cursor: (column: String, value: any PostgresNonThrowingEncodable)?,
        filters: [(condition: String, value: String?)], limit: Int,
        _ decode: (PostgresRandomAccessRow) throws -> Row
    ) async throws -> [Row] {
        var binds = PostgresBindings()
        var conditions = ["TRUE"]
        if let cursor {
            binds.append(cursor.value)
            conditions.append("\(cursor.column) > $\(binds.count)")
        }
        for filter in filters {
            guard let value = filter.value else { continue }
            binds.append(value)
            conditions.append(filter.condition.replacingOccurrences(of: "?", with: "$\(binds.count)"))
        }
        binds.append(Int64(limit))
        let sql = """
            SELECT \(EventColumns.list(columns)) FROM \(table)
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(columns[0]) LIMIT $\(binds.count)
            """
        let rows = try await pool.query(PostgresQuery(unsafeSQL: sql, binds: binds))
        return try rows.map { try decode($0.makeRandomAccess()) }
    }

}

/// The tracked row's insert or update, every column bound in `EventColumns.tracked`'s order.
private enum UpsertTracked: PreparedSQL {
    static let name = "sg_tracked_upsert"
    static let sql: String = {
        let names = EventColumns.tracked
        let values = names.indices.map { "$\($0 + 1)" }.joined(separator: ", ")
        let assignments = names.dropFirst().map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        return """
            INSERT INTO tracked_instances (\(EventColumns.list(names))) VALUES (\(values))
            ON CONFLICT (instance) DO UPDATE SET \(assignments)
            RETURNING \(EventColumns.list(names))
            """
    }()
}
