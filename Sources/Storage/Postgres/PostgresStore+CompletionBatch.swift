import PostgresNIO

// Calls' completions that come at the same time, as one statement (`StatementBatcher`, `completions`): one round
// trip, one transaction, one take of the events and audit locks and one WAL flush for all of them, where each
// completion alone was each of these. A completion that comes alone is sent as before (`FinishCall`).
//
// What a batch may not do for a call, the call then does alone (`finishGivingBack`): a row that changed since the
// call read it (`stale`: nothing written, the lease given back), or a batch the server refused (`alone`: rolled back
// as a whole, so nothing of it was written, not even the leases' give-back).
extension PostgresStore {
    /// At most this many completions in one statement.
    static let completionBatchLimit = 32

    /// A completion in its first form: the row the call's lease read, the update computed from it, no upgrades.
    struct PendingFinish: Sendable {
        let scope: IdempotencyScope
        let key: KeyFinish
        let audit: AuditEntry
        /// The instance whose row is checked and written (nil: the call wrote no outbox).
        let target: String?
        let read: TrackedRead
        let update: InstanceUpdate
        let lease: WriteLease?

        /// Nil when the completion cannot go in a batch: no row was read with the lease, or the update replaces
        /// stored answers (`finishLocked`).
        init?(_ scope: IdempotencyScope, _ key: KeyFinish, audit: AuditEntry, outbox: OutboxWrite?, lease: WriteLease?)
        {
            self.scope = scope
            self.key = key
            self.audit = audit
            self.lease = lease
            guard let outbox else {
                self.target = nil
                self.read = TrackedRead()
                self.update = .none
                return
            }
            guard let read = lease?.read, lease?.instance == outbox.instance else { return nil }
            let update = outbox.apply(read.row)
            guard update.upgrades.isEmpty else { return nil }
            self.target = outbox.instance
            self.read = read
            self.update = update
        }
    }

    enum BatchedFinish: Sendable {
        case finished(Finished)
        /// The row changed since it was read: nothing written; the lease was given back.
        case stale
        /// The server refused the batch: nothing of it was written. The call completes alone.
        case alone
        case failed(StoreError)
    }

    /// One statement for `items`: `FinishCall` for one, `FinishCalls` for more.
    static func finishBatch(_ items: [PendingFinish], on pool: PostgresPool) async -> [BatchedFinish] {
        do {
            if items.count == 1 { return [try await finishOne(items[0], on: pool)] }
            let binds = batchBindings(items)
            let rows = try await pool.withConnection(followingCancellation: false) {
                try await $0.rows(FinishCalls.self, binds)
            }
            return try batchAnswers(rows, items)
        } catch {
            let what = items.count == 1 ? "call completion" : "call completions"
            return batchFailed(error, count: items.count, what: what, alone: .alone) { .failed($0) }
        }
    }

    private static func finishOne(_ item: PendingFinish, on pool: PostgresPool) async throws -> BatchedFinish {
        let binds = try finishBindings(
            item.scope, item.key, audit: item.audit, target: item.target.map { ($0, item.read.digest) },
            update: item.update, lease: item.lease)
        let rows = try await pool.withConnection(followingCancellation: false) {
            try await $0.rows(FinishCall.self, binds)
        }
        switch try status(rows) {
        case .notInFlight: return .finished(.notInFlight)
        case .stale:
            guard item.target != nil else {
                throw StoreError.failed("postgres: call completion: stale without an instance")
            }
            return .stale
        case .done:
            guard item.target != nil else { return .finished(.done(nil)) }
            let tail = try appendedEvents(rows.dropFirst(), events: item.update.events)
            return .finished(.done(try commit(tail, read: item.read, update: item.update)))
        }
    }

    /// `signing_gateway_finish_calls`'s rows, per call.
    private static func batchAnswers(_ rows: [PostgresRow], _ items: [PendingFinish]) throws -> [BatchedFinish] {
        // Each sent event's call and its place among that call's events.
        var owners: [(item: Int, index: Int)] = []
        for (item, pending) in items.enumerated() {
            owners.append(contentsOf: pending.update.events.indices.map { (item, $0) })
        }
        var codes = [Int64?](repeating: nil, count: items.count)
        var tails = [(appended: [EventRecord], deliveriesCreated: Int)](repeating: ([], 0), count: items.count)
        for row in rows {
            let row = row.makeRandomAccess()
            let item = Int(try row[0].decode(Int32.self)) - 1
            let index = Int(try row[1].decode(Int32.self))
            guard items.indices.contains(item) else {
                throw StoreError.failed("postgres: call completions: the server named a call that was not sent")
            }
            guard index > 0 else {
                codes[item] = try row[2].decode(Int64.self)
                continue
            }
            guard owners.indices.contains(index - 1), owners[index - 1].item == item else {
                throw StoreError.failed("postgres: call completions: the server named an event that was not sent")
            }
            let event = items[item].update.events[owners[index - 1].index]
            tails[item].appended.append(EventRecord(sequence: try row[2].decode(Int64.self), event: event))
            tails[item].deliveriesCreated += Int(try row[3].decode(Int64.self))
        }
        return try items.indices.map { item in
            guard let code = codes[item] else {
                throw StoreError.failed("postgres: call completions: no status row for a call")
            }
            let pending = items[item]
            switch try status(code: code) {
            case .notInFlight: return .finished(.notInFlight)
            case .stale:
                return pending.target == nil
                    ? .failed(.failed("postgres: call completion: stale without an instance")) : .stale
            case .done:
                guard pending.target != nil else { return .finished(.done(nil)) }
                return .finished(.done(try commit(tails[item], read: pending.read, update: pending.update)))
            }
        }
    }

    /// `FinishCalls`' parameters: `FinishCall`'s, each an array with an element per call (the events flattened,
    /// with the call each belongs to).
    private static func batchBindings(_ items: [PendingFinish]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 40)
        binds.append(items.map(\.scope.clientId))
        binds.append(items.map(\.scope.key))
        binds.append(items.map { if case .keep = $0.key { true } else { false } })
        let kept = items.map { item -> StoredResponse? in
            if case .keep(let response) = item.key { response } else { nil }
        }
        binds.append(NullableArray(kept.map { $0.map { Int32($0.status) } }))
        binds.append(NullableArray(kept.map { $0?.contentType }))
        binds.append(NullableArray(kept.map { $0.map { ByteBuffer(bytes: $0.body) } }))
        binds.append(NullableArray(items.map(\.target)))
        binds.append(NullableArray(items.map { $0.target == nil ? nil : $0.read.digest }))
        binds.append(items.map { $0.update.tracked != nil })
        appendTrackedColumns(items.map(\.update.tracked), to: &binds)
        let events = items.flatMap(\.update.events)
        binds.append(items.enumerated().flatMap { item, pending in pending.update.events.map { _ in Int32(item + 1) } })
        TailArguments(events: events, audits: items.map(\.audit)).append(to: &binds)
        binds.append(NullableArray(items.map { $0.lease?.instance }))
        binds.append(NullableArray(items.map { $0.lease?.holder }))
        return binds
    }

    /// `appendTracked`'s columns, each as an array with an element per row (NULL for none).
    private static func appendTrackedColumns(_ rows: [TrackedInstance?], to binds: inout PostgresBindings) {
        func column<Value>(_ value: (TrackedInstance) -> Value?) -> NullableArray<Value> {
            NullableArray(rows.map { $0.flatMap(value) })
        }
        binds.append(column { $0.instance })
        binds.append(column { $0.clientId })
        binds.append(column { $0.tokenProfile })
        binds.append(column { $0.taskId })
        binds.append(column { $0.completeWhenAllSigned })
        binds.append(column { $0.status.rawValue })
        binds.append(column { ByteBuffer(bytes: $0.snapshot) })
        binds.append(column { Int32(clamping: $0.polls) })
        binds.append(column { StoredTime.micros($0.nextPollAt) })
        binds.append(column { StoredTime.micros($0.deadline) })
        binds.append(column { EventColumns.columns($0.processNext).state })
        binds.append(column { EventColumns.columns($0.processNext).token })
        binds.append(column { EventColumns.columns($0.processNext).claimedAtMicros })
        binds.append(column { $0.traceparent })
        binds.append(column { $0.lastError })
        binds.append(column { $0.leaseOwner })
        binds.append(column { $0.leaseUntil.map(StoredTime.micros) })
        binds.append(column { StoredTime.micros($0.createdAt) })
        binds.append(column { StoredTime.micros($0.updatedAt) })
    }
}

/// `FinishCall`'s parameters as arrays ($1–$28, in its order), then the events' calls ($29), the tail
/// (`TailArguments`, $30–$38) and the leases to give back ($39 instances, $40 holders; NULL: none). The leases'
/// DELETE runs whatever the function answers and commits with it.
private enum FinishCalls: PreparedSQL {
    static let name = "sg_calls_finish_lease"
    static let sql = """
        WITH given_back AS (
            DELETE FROM instance_write_leases l USING unnest($39::text[], $40::text[]) AS g(instance, holder)
            WHERE l.instance = g.instance AND l.holder = g.holder
        )
        SELECT o_item, o_index, o_sequence, o_deliveries FROM signing_gateway_finish_calls(
            $1::text[], $2::text[], $3::boolean[], $4::integer[], $5::text[], $6::bytea[], $7::text[], $8::text[],
            $9::boolean[], $10::text[], $11::text[], $12::text[], $13::text[], $14::boolean[], $15::text[],
            $16::bytea[], $17::integer[], $18::bigint[], $19::bigint[], $20::text[], $21::text[], $22::bigint[],
            $23::text[], $24::text[], $25::text[], $26::bigint[], $27::bigint[], $28::bigint[], $29::integer[],
            \(PostgresStore.TailArguments.placeholders(from: 30)))
        """
}
