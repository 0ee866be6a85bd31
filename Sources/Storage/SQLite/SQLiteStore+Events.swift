package import Foundation

// The events seam on SQLite. Every write runs on the store's thread inside `db.transaction` (BEGIN IMMEDIATE, or a
// savepoint of a group commit), so a read-modify-write is never interleaved with another writer, in this process
// or another one on the same file.
extension SQLiteStore {
    private typealias Value = SQLiteStatement.Value

    // MARK: Tracking and the outbox

    package func commit(_ write: OutboxWrite) async throws(StoreError) -> OutboxCommit {
        try await thread.run { db throws(StoreError) in
            try db.transaction("outbox commit") { () throws(StoreError) -> OutboxCommit in
                try Self.applyOutbox(write, on: db)
            }
        }
    }

    // The hot path's SQL, built once (the statement cache is keyed by the text; building it for every call cost
    // more than the lookup saved).
    private static let readTrackedSQL =
        "SELECT \(EventColumns.list(EventColumns.tracked)) FROM tracked_instances WHERE instance = ?"

    private static func trackedRow(
        _ instance: String, on db: SQLiteConnection, _ what: String
    ) throws(StoreError) -> TrackedInstance? {
        let read = try db.prepare(Self.readTrackedSQL, what)
        try read.bind(.text(instance))
        return try read.step() ? try TrackedInstance(row: read) : nil
    }
    private static let fanOutSQL = """
        INSERT INTO deliveries (subscription_id, event_sequence, event_id, event_type, instance, state,
                                next_attempt_at, created_at, updated_at)
        SELECT s.id, ?1, ?2, ?3, ?4, 'pending', ?6, ?6, ?6 FROM subscriptions s
        WHERE s.enabled = 1 AND \(EventColumns.matches(subscription: "s", type: "?3", app: "?5", position: "instr"))
        ORDER BY s.created_at, s.id
        """

    /// Reads the instance's row, runs `write.apply`, stores the row it returns and appends its new events with
    /// their deliveries. The caller holds the transaction (`commit`, `completeIdempotent`).
    static func applyOutbox(_ write: OutboxWrite, on db: SQLiteConnection) throws(StoreError) -> OutboxCommit {
        let current = try Self.trackedRow(write.instance, on: db, "outbox commit: read row")
        let update = write.apply(current)
        var tracked = current
        let started = current == nil && update.tracked != nil
        if let row = update.tracked { tracked = try store(row, over: current, on: db) }
        try Self.applyUpgrades(update.upgrades, on: db)

        var appended: [EventRecord] = []
        var deliveriesCreated = 0
        guard !update.events.isEmpty else {
            return OutboxCommit(
                tracked: tracked, appended: appended, deliveriesCreated: deliveriesCreated, trackingStarted: started)
        }
        // No `RETURNING sequence` (an ephemeral table per statement, see `store`): `sequence` is the rowid.
        let insert = try db.prepare(
            """
            INSERT INTO events (id, type, instance, app, time_micros, body) VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (id) DO NOTHING
            """, "outbox commit: insert event")
        let fanOut = try db.prepare(Self.fanOutSQL, "outbox commit: fan out")
        for event in update.events {
            insert.reset()
            try insert.bind(
                .text(event.id), .text(event.type), .text(event.instance), .text(event.app),
                .integer(StoredTime.micros(event.time)), .blob(event.body))
            try insert.run()
            guard db.changes == 1 else { continue }  // the id exists: nothing appended, nothing fanned out
            let sequence = db.lastInsertRowID
            appended.append(EventRecord(sequence: sequence, event: event))
            fanOut.reset()
            try fanOut.bind(
                .integer(sequence), .text(event.id), .text(event.type), .text(event.instance), .text(event.app),
                .integer(StoredTime.micros(event.time)))
            try fanOut.run()
            deliveriesCreated += db.changes
        }
        return OutboxCommit(
            tracked: tracked, appended: appended, deliveriesCreated: deliveriesCreated, trackingStarted: started)
    }

    private static let upsertSQL: String = {
        let names = EventColumns.tracked
        let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
        let assignments = names.dropFirst().map { "\($0) = excluded.\($0)" }.joined(separator: ", ")
        return """
            INSERT INTO tracked_instances (\(EventColumns.list(names))) VALUES (\(placeholders))
            ON CONFLICT (instance) DO UPDATE SET \(assignments)
            """
    }()

    /// Columns (indexes into `EventColumns.tracked`) an UPDATE of an existing row sets: all but the key, or all but
    /// the key and the two columns whose CHECK is `IN` a list of three or more. SQLite (3.40) checks such a
    /// constraint with an ephemeral table (a B-tree, a pager, zeroed pages) built by every statement that sets the
    /// column, and skips the check when the column is left out; `status` and `process_next_state` rarely change.
    /// Together with no `RETURNING`: a sign's work on the writer thread 0.87 M → 0.71 M instructions.
    private static let updatedColumns = Array(EventColumns.tracked.indices.dropFirst())
    private static let steadyColumns = updatedColumns.filter {
        !["status", "process_next_state"].contains(EventColumns.tracked[$0])
    }
    private static func updateStatement(_ columns: [Int]) -> String {
        "UPDATE tracked_instances SET "
            + columns.map { "\(EventColumns.tracked[$0]) = ?" }.joined(separator: ", ") + " WHERE instance = ?"
    }
    private static let updateSQL = updateStatement(updatedColumns)
    private static let steadyUpdateSQL = updateStatement(steadyColumns)

    /// Stores `row` over `current`, the instance's row as read in this transaction. Nothing is read back: the
    /// stored row is computed (`asStored`), as `RETURNING` would gather it in an ephemeral table too.
    private static func store(
        _ row: TrackedInstance, over current: TrackedInstance?, on db: SQLiteConnection
    ) throws(StoreError) -> TrackedInstance {
        let guardColumns = EventColumns.columns(row.processNext)
        let values: [Value] = [
            .text(row.instance), text(row.clientId), text(row.tokenProfile), text(row.taskId),
            .integer(row.completeWhenAllSigned ? 1 : 0), .text(row.status.rawValue), .blob(row.snapshot),
            .integer(Int64(row.polls)), .integer(StoredTime.micros(row.nextPollAt)),
            .integer(StoredTime.micros(row.deadline)), .text(guardColumns.state), text(guardColumns.token),
            integer(guardColumns.claimedAtMicros), text(row.traceparent), text(row.lastError), text(row.leaseOwner),
            micros(row.leaseUntil), .integer(StoredTime.micros(row.createdAt)),
            .integer(StoredTime.micros(row.updatedAt)),
        ]
        guard let current, current.instance == row.instance else {
            let upsert = try db.prepare(Self.upsertSQL, "outbox commit: store row")
            try upsert.bind(values)
            try upsert.run()
            return try row.asStored
        }
        let steady =
            current.status == row.status
            && EventColumns.columns(current.processNext).state == guardColumns.state
        let columns = steady ? Self.steadyColumns : Self.updatedColumns
        let update = try db.prepare(steady ? Self.steadyUpdateSQL : Self.updateSQL, "outbox commit: update row")
        try update.bind(columns.map { values[$0] } + [values[0]])
        try update.run()
        guard db.changes == 1 else { throw .failed("sqlite: outbox commit: the row read is gone") }
        return try row.asStored
    }

    package func trackedInstance(_ instance: String) async throws(StoreError) -> TrackedInstance? {
        try await thread.run { db throws(StoreError) in
            try Self.trackedRow(instance, on: db, "tracked instance")
        }
    }

    package func trackedInstances(after: String?, limit: Int, status: TrackingStatus?) async throws(StoreError)
        -> [TrackedInstance]
    {
        guard limit > 0 else { return [] }
        return try await thread.run { db throws(StoreError) in
            try Self.page(
                of: "tracked_instances", EventColumns.tracked, after: after.map { ("instance", .text($0)) },
                filters: [("status = ?", status?.rawValue)], limit: limit, on: db, TrackedInstance.init(row:))
        }
    }

    package func untrack(_ instance: String) async throws(StoreError) -> Bool {
        try await thread.run { db throws(StoreError) in
            let delete = try db.prepare("DELETE FROM tracked_instances WHERE instance = ?", "untrack")
            try delete.bind(.text(instance))
            try delete.run()
            return db.changes == 1
        }
    }

    package func claimDueTrackedInstances(owner: String, now: Date, leaseUntil: Date, limit: Int)
        async throws(StoreError) -> [TrackedInstance]
    {
        guard limit > 0 else { return [] }
        return try await thread.run { db throws(StoreError) in
            try db.transaction("claim tracked instances") { () throws(StoreError) -> [TrackedInstance] in
                let select = try db.prepare(
                    """
                    SELECT \(EventColumns.list(EventColumns.tracked)) FROM tracked_instances
                    WHERE status = 'active' AND next_poll_at <= ?1 AND (lease_until IS NULL OR lease_until <= ?1)
                    ORDER BY next_poll_at, instance LIMIT ?2
                    """, "claim tracked instances: select")
                try select.bind(.integer(StoredTime.micros(now)), .integer(Int64(limit)))
                var rows: [TrackedInstance] = []
                while try select.step() { rows.append(try TrackedInstance(row: select)) }
                let lease = try db.prepare(
                    "UPDATE tracked_instances SET lease_owner = ?, lease_until = ? WHERE instance = ?",
                    "claim tracked instances: lease")
                for index in rows.indices {
                    lease.reset()
                    try lease.bind(.text(owner), .integer(StoredTime.micros(leaseUntil)), .text(rows[index].instance))
                    try lease.run()
                    rows[index].leaseOwner = owner
                    rows[index].leaseUntil = StoredTime.date(micros: StoredTime.micros(leaseUntil))
                }
                return rows
            }
        }
    }

    package func trackingCounts() async throws(StoreError) -> [TrackingCount] {
        try await thread.run { db throws(StoreError) in
            let select = try db.prepare(
                "SELECT status, count(*) FROM tracked_instances GROUP BY status ORDER BY status", "tracking counts")
            var counts: [TrackingCount] = []
            while try select.step() {
                counts.append(
                    TrackingCount(status: try EventColumns.status(select.text(0)), count: Int(select.int64(1))))
            }
            return counts
        }
    }

    package func events(after: Int64, limit: Int, instance: InstanceMatch?) async throws(StoreError)
        -> [EventRecord]
    {
        guard limit > 0 else { return [] }
        return try await thread.run { db throws(StoreError) in
            let condition = instance?.condition
            let select = try db.prepare(
                """
                SELECT \(EventColumns.list(EventColumns.event)) FROM events
                WHERE sequence > ? AND \(condition?.sql ?? "1 = 1") ORDER BY sequence LIMIT ?
                """, "events")
            try select.bind([.integer(after)] + (condition.map { [.text($0.value)] } ?? []) + [.integer(Int64(limit))])
            var records: [EventRecord] = []
            while try select.step() {
                records.append(
                    EventRecord(
                        sequence: select.int64(0),
                        event: NewEvent(
                            id: select.text(1), type: select.text(2), instance: select.text(3), app: select.text(4),
                            time: StoredTime.date(micros: select.int64(5)), body: select.blob(6))))
            }
            return records
        }
    }

    // MARK: Subscriptions

    package func createSubscription(_ subscription: Subscription) async throws(StoreError) {
        try await thread.run { db throws(StoreError) in
            let names = EventColumns.subscription
            let placeholders = Array(repeating: "?", count: names.count).joined(separator: ", ")
            let insert = try db.prepare(
                """
                INSERT INTO subscriptions (\(EventColumns.list(names))) VALUES (\(placeholders))
                ON CONFLICT (id) DO NOTHING
                """, "create subscription")
            try insert.bind(Self.values(subscription))
            try insert.run()
            guard db.changes == 1 else { throw .conflict }
        }
    }

    package func subscription(id: String) async throws(StoreError) -> Subscription? {
        try await thread.run { db throws(StoreError) in try Self.readSubscription(id, on: db) }
    }

    package func subscriptions() async throws(StoreError) -> [Subscription] {
        try await thread.run { db throws(StoreError) in
            let select = try db.prepare(
                "SELECT \(EventColumns.list(EventColumns.subscription)) FROM subscriptions ORDER BY created_at, id",
                "subscriptions")
            var subscriptions: [Subscription] = []
            while try select.step() { subscriptions.append(try Subscription(row: select)) }
            return subscriptions
        }
    }

    package func updateSubscription(id: String, _ change: @escaping @Sendable (Subscription) -> Subscription)
        async throws(StoreError) -> Subscription?
    {
        try await thread.run { db throws(StoreError) in
            try db.transaction("update subscription") { () throws(StoreError) -> Subscription? in
                guard let current = try Self.readSubscription(id, on: db) else { return nil }
                var changed = change(current)
                changed.id = id  // the id is the key: a change never moves the row
                changed.owner = current.owner
                let names = EventColumns.subscription
                let update = try db.prepare(
                    """
                    UPDATE subscriptions SET \(names.dropFirst().map { "\($0) = ?" }.joined(separator: ", "))
                    WHERE id = ?
                    """, "update subscription")
                try update.bind(Array(Self.values(changed).dropFirst()) + [.text(id)])
                try update.run()
                return try Self.readSubscription(id, on: db)
            }
        }
    }

    package func deleteSubscription(id: String) async throws(StoreError) -> Bool {
        try await thread.run { db throws(StoreError) in
            try db.transaction("delete subscription") { () throws(StoreError) -> Bool in
                for (sql, what) in [
                    (
                        """
                        DELETE FROM delivery_attempts
                        WHERE delivery_id IN (SELECT id FROM deliveries WHERE subscription_id = ?)
                        """, "delete subscription: attempts"
                    ),
                    ("DELETE FROM deliveries WHERE subscription_id = ?", "delete subscription: deliveries"),
                    ("DELETE FROM subscriptions WHERE id = ?", "delete subscription"),
                ] {
                    let delete = try db.prepare(sql, what)
                    try delete.bind(.text(id))
                    try delete.run()
                }
                return db.changes == 1
            }
        }
    }

    // MARK: Deliveries

    package func claimDeliveries(
        owner: String, now: Date, leaseUntil: Date, limit: Int, subscriptionId: String?
    ) async throws(StoreError) -> [ClaimedDelivery] {
        guard limit > 0 else { return [] }
        return try await thread.run { db throws(StoreError) in
            try db.transaction("claim deliveries") { () throws(StoreError) -> [ClaimedDelivery] in
                let deliveryCount = Int32(EventColumns.delivery.count)
                // Walks pending deliveries in event order (a partial index) and stops at `limit`: the rows it
                // passes over are only leased, not yet due or blocked ones, not the whole history.
                let select: SQLiteStatement
                if let subscriptionId {
                    select = try db.prepare(Self.claimOneSubscriptionSQL, "claim deliveries: select")
                    try select.bind(.integer(StoredTime.micros(now)), .integer(Int64(limit)), .text(subscriptionId))
                } else {
                    select = try db.prepare(Self.claimSQL, "claim deliveries: select")
                    try select.bind(.integer(StoredTime.micros(now)), .integer(Int64(limit)))
                }
                var claimed: [ClaimedDelivery] = []
                while try select.step() {
                    claimed.append(
                        ClaimedDelivery(
                            delivery: try DeliveryRecord(row: select),
                            body: select.blob(deliveryCount),
                            subscription: try Subscription(row: select, from: Int(deliveryCount) + 1)))
                }
                let lease = try db.prepare(
                    "UPDATE deliveries SET lease_owner = ?, lease_until = ? WHERE id = ?", "claim deliveries: lease")
                for item in claimed {
                    lease.reset()
                    try lease.bind(.text(owner), .integer(StoredTime.micros(leaseUntil)), .integer(item.delivery.id))
                    try lease.run()
                }
                return claimed
            }
        }
    }

    static let claimSQL = """
        SELECT \(EventColumns.list(EventColumns.delivery, alias: "d")), ev.body,
               \(EventColumns.list(EventColumns.subscription, alias: "s"))
        FROM deliveries d INDEXED BY deliveries_pending_order
        CROSS JOIN subscriptions s ON s.id = d.subscription_id
        CROSS JOIN events ev ON ev.sequence = d.event_sequence
        WHERE d.state = 'pending' AND d.next_attempt_at <= ?1 AND (d.lease_until IS NULL OR d.lease_until <= ?1)
          AND s.enabled = 1 AND \(EventColumns.noEarlierPending("d"))
        ORDER BY d.event_sequence, d.id LIMIT ?2
        """

    /// The same for one subscription, walking only its pending deliveries in event order.
    static let claimOneSubscriptionSQL = """
        SELECT \(EventColumns.list(EventColumns.delivery, alias: "d")), ev.body,
               \(EventColumns.list(EventColumns.subscription, alias: "s"))
        FROM deliveries d INDEXED BY deliveries_pending_subscription
        CROSS JOIN subscriptions s ON s.id = d.subscription_id
        CROSS JOIN events ev ON ev.sequence = d.event_sequence
        WHERE d.subscription_id = ?3 AND d.state = 'pending' AND d.next_attempt_at <= ?1
          AND (d.lease_until IS NULL OR d.lease_until <= ?1)
          AND s.enabled = 1 AND \(EventColumns.noEarlierPending("d"))
        ORDER BY d.event_sequence, d.id LIMIT ?2
        """

    package func finishDeliveries(_ outcomes: [DeliveryOutcome]) async throws(StoreError) {
        guard !outcomes.isEmpty else { return }
        try await thread.run { db throws(StoreError) in
            try db.transaction("finish deliveries") { () throws(StoreError) in
                let update = try db.prepare(
                    """
                    UPDATE deliveries
                    SET attempts = ?, last_status = ?, last_verdict = ?, state = ?, next_attempt_at = ?,
                        failures_since_armed = failures_since_armed + ?, lease_owner = NULL, lease_until = NULL,
                        updated_at = ?
                    WHERE id = ?
                    """, "finish deliveries: update")
                let record = try db.prepare(
                    """
                    INSERT INTO delivery_attempts (\(EventColumns.list(EventColumns.attempt))) VALUES (?, ?, ?, ?, ?, ?, ?)
                    ON CONFLICT (delivery_id, number) DO NOTHING
                    """, "finish deliveries: attempt")
                let disable = try db.prepare(
                    """
                    UPDATE subscriptions SET enabled = 0, disabled_reason = ?, updated_at = ?
                    WHERE id = (SELECT subscription_id FROM deliveries WHERE id = ?)
                    """, "finish deliveries: disable subscription")
                for outcome in outcomes {
                    let attempt = outcome.attempt
                    let after = EventColumns.after(outcome.next)
                    update.reset()
                    try update.bind(
                        .integer(Int64(attempt.number)), Self.integer(attempt.status.map(Int64.init)),
                        .text(attempt.verdict), .text(after.state.rawValue), Self.integer(after.nextAttemptAt),
                        .integer(after.failed ? 1 : 0), .integer(StoredTime.micros(attempt.time)),
                        .integer(attempt.deliveryId))
                    try update.run()
                    guard db.changes == 1 else { continue }  // deleted with its subscription meanwhile
                    record.reset()
                    try record.bind(
                        .integer(attempt.deliveryId), .integer(Int64(attempt.number)),
                        .integer(StoredTime.micros(attempt.time)), Self.integer(attempt.status.map(Int64.init)),
                        .integer(attempt.latencyMicros), .text(attempt.verdict), Self.text(attempt.responseExcerpt))
                    try record.run()
                    if let reason = outcome.disableSubscription {
                        disable.reset()
                        try disable.bind(
                            .text(reason), .integer(StoredTime.micros(attempt.time)), .integer(attempt.deliveryId))
                        try disable.run()
                    }
                }
            }
        }
    }

    package func deliveries(after: Int64, limit: Int, filter: DeliveryFilter) async throws(StoreError)
        -> [DeliveryRecord]
    {
        guard limit > 0 else { return [] }
        return try await thread.run { db throws(StoreError) in
            try Self.page(
                of: "deliveries", EventColumns.delivery, after: ("id", .integer(after)),
                filters: [
                    ("state = ?", filter.state?.rawValue), ("subscription_id = ?", filter.subscriptionId),
                    filter.instance?.condition ?? ("", nil),
                ], limit: limit, on: db, DeliveryRecord.init(row:))
        }
    }

    package func delivery(id: Int64) async throws(StoreError) -> DeliveryRecord? {
        try await thread.run { db throws(StoreError) in
            let select = try db.prepare(
                "SELECT \(EventColumns.list(EventColumns.delivery)) FROM deliveries WHERE id = ?", "delivery")
            try select.bind(.integer(id))
            return try select.step() ? try DeliveryRecord(row: select) : nil
        }
    }

    package func deliveryAttempts(deliveryId: Int64) async throws(StoreError) -> [DeliveryAttempt] {
        try await thread.run { db throws(StoreError) in
            let select = try db.prepare(
                """
                SELECT \(EventColumns.list(EventColumns.attempt)) FROM delivery_attempts
                WHERE delivery_id = ? ORDER BY number
                """, "delivery attempts")
            try select.bind(.integer(deliveryId))
            var attempts: [DeliveryAttempt] = []
            while try select.step() {
                attempts.append(
                    DeliveryAttempt(
                        deliveryId: select.int64(0), number: Int(select.int64(1)),
                        time: StoredTime.date(micros: select.int64(2)), status: select.optionalInt64(3).map(Int.init),
                        latencyMicros: select.int64(4), verdict: select.text(5), responseExcerpt: select.optionalText(6)
                    ))
            }
            return attempts
        }
    }

    package func retryDelivery(id: Int64, now: Date) async throws(StoreError) -> DeliveryRecord? {
        try await thread.run { db throws(StoreError) in
            let update = try db.prepare(
                """
                UPDATE deliveries
                SET state = 'pending', next_attempt_at = ?1, failures_since_armed = 0, lease_owner = NULL,
                    lease_until = NULL, updated_at = ?1
                WHERE id = ?2 RETURNING \(EventColumns.list(EventColumns.delivery))
                """, "retry delivery")
            try update.bind(.integer(StoredTime.micros(now)), .integer(id))
            guard try update.step() else { return nil }
            let record = try DeliveryRecord(row: update)
            try update.run()
            return record
        }
    }

    package func replay(subscriptionId: String, since: Date, now: Date) async throws(StoreError) -> Int? {
        try await thread.run { db throws(StoreError) in
            try db.transaction("replay") { () throws(StoreError) -> Int? in
                guard try Self.readSubscription(subscriptionId, on: db) != nil else { return nil }
                let insert = try db.prepare(
                    """
                    INSERT INTO deliveries (subscription_id, event_sequence, event_id, event_type, instance, state,
                                            next_attempt_at, created_at, updated_at)
                    SELECT s.id, ev.sequence, ev.id, ev.type, ev.instance, 'pending', ?3, ?3, ?3
                    FROM subscriptions s CROSS JOIN events ev
                    WHERE s.id = ?1 AND ev.time_micros >= ?2
                      AND \(EventColumns.matches(subscription: "s", type: "ev.type", app: "ev.app", position: "instr"))
                      AND \(EventColumns.noPendingDelivery(subscription: "s", event: "ev"))
                    ORDER BY ev.sequence
                    """, "replay")
                try insert.bind(
                    .text(subscriptionId), .integer(StoredTime.micros(since)), .integer(StoredTime.micros(now)))
                try insert.run()
                return db.changes
            }
        }
    }

    package func attemptSummary(since: Date) async throws(StoreError) -> [AttemptSummary] {
        try await thread.run { db throws(StoreError) in
            let select = try db.prepare(EventColumns.attemptSummary(since: "?"), "attempt summary")
            try select.bind(.integer(StoredTime.micros(since)))
            var rows: [AttemptSummary] = []
            while try select.step() {
                rows.append(
                    AttemptSummary(
                        subscriptionId: select.text(0), verdict: select.text(1), count: Int(select.int64(2)),
                        lastAt: StoredTime.date(micros: select.int64(3))))
            }
            return rows
        }
    }

    package func deliveryCounts() async throws(StoreError) -> [DeliveryCount] {
        try await thread.run { db throws(StoreError) in
            let select = try db.prepare(
                """
                SELECT subscription_id, state, count(*), min(created_at) FROM deliveries
                GROUP BY subscription_id, state ORDER BY subscription_id, state
                """, "delivery counts")
            var counts: [DeliveryCount] = []
            while try select.step() {
                counts.append(
                    DeliveryCount(
                        subscriptionId: select.text(0), state: try EventColumns.state(select.text(1)),
                        count: Int(select.int64(2)), oldestCreatedAt: StoredTime.date(micros: select.int64(3))))
            }
            return counts
        }
    }

    package func pruneDeliveries(before cutoff: Date) async throws(StoreError) -> PrunedDeliveries {
        try await thread.run { db throws(StoreError) in
            try db.transaction("prune deliveries") { () throws(StoreError) -> PrunedDeliveries in
                var counts: [Int] = []
                for sql in EventColumns.prune(cutoff: "?1") {
                    let delete = try db.prepare(sql, "prune deliveries")
                    try delete.bind(.integer(StoredTime.micros(cutoff)))
                    try delete.run()
                    counts.append(db.changes)
                }
                return PrunedDeliveries(attempts: counts[0], deliveries: counts[1], events: counts[2])
            }
        }
    }

    // MARK: Rows

    /// A listing page: rows whose first column (the order) is after the cursor, matching every set filter.
    private static func page<Row>(
        of table: String, _ columns: [String], after cursor: (column: String, value: Value)?,
        filters: [(condition: String, value: String?)], limit: Int, on db: SQLiteConnection,
        _ decode: (SQLiteStatement) throws(StoreError) -> Row
    ) throws(StoreError) -> [Row] {
        var conditions = ["1 = 1"]
        var values: [Value] = []
        if let cursor {
            conditions.append("\(cursor.column) > ?")
            values.append(cursor.value)
        }
        for filter in filters {
            guard let value = filter.value else { continue }
            conditions.append(filter.condition)
            values.append(.text(value))
        }
        values.append(.integer(Int64(limit)))
        let select = try db.prepare(
            """
            SELECT \(EventColumns.list(columns)) FROM \(table)
            WHERE \(conditions.joined(separator: " AND ")) ORDER BY \(columns[0]) LIMIT ?
            """, "list \(table)")
        try select.bind(values)
        var rows: [Row] = []
        while try select.step() { rows.append(try decode(select)) }
        return rows
    }

    private static func text(_ value: String?) -> Value { value.map { .text($0) } ?? .null }
    private static func integer(_ value: Int64?) -> Value { value.map { .integer($0) } ?? .null }
    private static func micros(_ value: Date?) -> Value { integer(value.map(StoredTime.micros)) }

    private static func values(_ subscription: Subscription) -> [Value] {
        [
            .text(subscription.id), .text(subscription.url), .text(EventColumns.joined(subscription.types)),
            .text(EventColumns.joined(subscription.apps)), .integer(subscription.enabled ? 1 : 0),
            text(subscription.disabledReason), text(subscription.description), .text(subscription.secret),
            text(subscription.previousSecret), micros(subscription.previousSecretExpiresAt),
            .integer(StoredTime.micros(subscription.createdAt)), .integer(StoredTime.micros(subscription.updatedAt)),
            .text(subscription.owner),
        ]
    }

    private static func readSubscription(_ id: String, on db: SQLiteConnection) throws(StoreError) -> Subscription? {
        let select = try db.prepare(
            "SELECT \(EventColumns.list(EventColumns.subscription)) FROM subscriptions WHERE id = ?", "subscription")
        try select.bind(.text(id))
        return try select.step() ? try Subscription(row: select) : nil
    }

}
