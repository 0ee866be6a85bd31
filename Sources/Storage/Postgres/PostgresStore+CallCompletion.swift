import Foundation
import Logging
import PostgresNIO

// A call's completion: its key kept with the answer (or released), its audit record, and its outbox write's row and
// events, committed together; and the call's instance write lease given back in the same statement, when the call
// handed it on (`WriteLease`), instead of a round trip of its own before the answer.
//
// Usually one round trip (`finishOptimistically`): the instance's row is the one the call's write lease read
// without a lock (`WriteLease.read`; else it is read now, a second round trip), the update is computed from it, and
// everything is sent as one statement (`signing_gateway_finish_call`, migration 12) that takes the instance's lock,
// checks that the row is still the one read (its md5) and writes only then. A row rarely changes under a call (a
// tracker's commit, another replica's), so this replaces BEGIN, guard, upsert, tail and COMMIT.
// A changed row is read again. After `optimisticAttempts` changes, or when the update replaces stored answers
// (`IdempotencyUpgrade`, rare), the call takes the locked transaction instead (`finishLocked`), which reads the row
// under the lock and cannot go stale.
extension PostgresStore {
    static let optimisticAttempts = 3

    /// What becomes of the call's key.
    enum KeyFinish: Sendable {
        /// Completed, its answer kept for replays.
        case keep(StoredResponse)
        /// Deleted: Altinn was provably not reached, so the key may be used again.
        case release
    }

    enum Finished: Sendable {
        case done(OutboxCommit?)
        case notInFlight
    }

    /// An instance's row as a call read it, without a lock, and the row's md5 as the server computes it (nil: no row).
    struct TrackedRead: Sendable, Equatable {
        var row: TrackedInstance?
        var digest: String?
    }

    @discardableResult
    package func completeIdempotent(
        _ scope: IdempotencyScope,
        response: StoredResponse,
        audit: AuditEntry,
        outbox: OutboxWrite?,
        givingBack lease: WriteLease?
    ) async throws(StoreError) -> OutboxCommit? {
        try await self.finish(scope, .keep(response), audit: audit, outbox: outbox, lease, "idempotency complete")
    }

    @discardableResult
    package func releaseIdempotent(
        _ scope: IdempotencyScope, audit: AuditEntry, outbox: OutboxWrite?, givingBack lease: WriteLease?
    ) async throws(StoreError) -> OutboxCommit? {
        try await self.finish(scope, .release, audit: audit, outbox: outbox, lease, "idempotency release")
    }

    private func finish(
        _ scope: IdempotencyScope, _ key: KeyFinish, audit: AuditEntry, outbox: OutboxWrite?, _ lease: WriteLease?,
        _ what: String
    ) async throws(StoreError) -> OutboxCommit? {
        do {
            return try await self.finishGivingBack(scope, key, audit: audit, outbox: outbox, lease, what)
        } catch .failed(let why) {
            // The server refused a statement, so the one that carried the lease rolled back: give it back alone,
            // so that other replicas need not wait for it to expire. (A taking given back already, or taken over,
            // is not there.) Not when the server is unreachable: the statement may have committed, and a second
            // wait for an answer would double the caller's; the lease then expires.
            if let lease { try? await self.releaseWriteLease(lease) }
            throw .failed(why)
        }
    }

    private func finishGivingBack(
        _ scope: IdempotencyScope, _ key: KeyFinish, audit: AuditEntry, outbox: OutboxWrite?, _ lease: WriteLease?,
        _ what: String
    ) async throws(StoreError) -> OutboxCommit? {
        // Usually with the completions that come at the same time (`finishBatch`); else, or when the batch could
        // not write it, alone.
        guard let pending = PendingFinish(scope, key, audit: audit, outbox: outbox, lease: lease) else {
            return try await self.finishAlone(scope, key, audit: audit, outbox: outbox, lease, what)
        }
        switch await self.completions.submit(pending) {
        case .finished(.done(let committed)): return committed
        case .finished(.notInFlight): throw .notInFlight
        case .failed(let error): throw error
        // The lease went back with the batch; the row is read again.
        case .stale: return try await self.finishAlone(scope, key, audit: audit, outbox: outbox, nil, what)
        case .alone: return try await self.finishAlone(scope, key, audit: audit, outbox: outbox, lease, what)
        }
    }

    private func finishAlone(
        _ scope: IdempotencyScope, _ key: KeyFinish, audit: AuditEntry, outbox: OutboxWrite?, _ lease: WriteLease?,
        _ what: String
    ) async throws(StoreError) -> OutboxCommit? {
        let pool = self.pool
        let finished = try await Self.run(what) {
            // Read, check and write on one connection: one lease for the whole completion.
            try await pool.withConnection { connection in
                guard let outbox else {
                    // No row to read or check: one statement.
                    let rows = try await connection.rows(
                        FinishCall.self,
                        try Self.finishBindings(scope, key, audit: audit, target: nil, update: .none, lease: lease))
                    switch try Self.status(rows) {
                    case .done: return Finished.done(nil)
                    case .notInFlight: return Finished.notInFlight
                    case .stale: throw StoreError.failed("postgres: call completion: stale without an instance")
                    }
                }
                // The row the call's write lease read, when it took one; else read now.
                let read: TrackedRead
                if let kept = lease?.read, lease?.instance == outbox.instance {
                    read = kept
                } else {
                    read = try await Self.readTracked(outbox.instance, on: connection)
                }
                return try await Self.finishOptimistically(
                    scope, key, audit: audit, outbox: outbox, from: read, givingBack: lease, on: connection)
            }
        }
        switch finished {
        case .done(let committed): return committed
        case .notInFlight: throw .notInFlight
        }
    }

    /// The call's completion computed from `first`, sent as one statement, again from a fresh read while the row
    /// keeps changing between read and write; then, or for upgrades, `finishLocked`. `lease` goes with the first
    /// statement, which commits even when it finds the row changed.
    static func finishOptimistically(
        _ scope: IdempotencyScope, _ key: KeyFinish, audit: AuditEntry, outbox: OutboxWrite, from first: TrackedRead,
        givingBack lease: WriteLease? = nil, on connection: LiveConnection
    ) async throws -> Finished {
        var read = first
        var lease = lease
        for attempt in 1...optimisticAttempts {
            let update = outbox.apply(read.row)
            guard update.upgrades.isEmpty else { break }
            let binds = try finishBindings(
                scope, key, audit: audit, target: (outbox.instance, read.digest), update: update, lease: lease)
            let rows = try await connection.rows(FinishCall.self, binds)
            lease = nil
            switch try status(rows) {
            case .notInFlight: return .notInFlight
            case .done:
                let tail = try appendedEvents(rows.dropFirst(), events: update.events)
                return .done(try commit(tail, read: read, update: update))
            case .stale: break
            }
            if attempt < optimisticAttempts { read = try await readTracked(outbox.instance, on: connection) }
        }
        let finished = try await finishLocked(scope, key, audit: audit, outbox: outbox, on: connection)
        if let lease { try await giveBack(lease, on: connection) }
        return finished
    }

    static func readTracked(_ instance: String, on connection: LiveConnection) async throws -> TrackedRead {
        var binds = PostgresBindings(capacity: 1)
        binds.append(instance)
        guard let row = try await connection.rows(ReadTracked.self, binds).first?.makeRandomAccess() else {
            return TrackedRead()
        }
        return TrackedRead(
            row: try TrackedInstance(row: row), digest: try row[EventColumns.tracked.count].decode(String.self))
    }

    /// `signing_gateway_finish_call`'s first row: whether it wrote (`stale`: the row changed since it was read, and
    /// nothing was written).
    enum Status { case done, notInFlight, stale }

    static func status(_ rows: [PostgresRow]) throws -> Status {
        guard let status = rows.first?.makeRandomAccess(), try status[0].decode(Int32.self) == 0 else {
            throw StoreError.failed("postgres: call completion: no status row")
        }
        return try Self.status(code: try status[1].decode(Int64.self))
    }

    static func status(code: Int64) throws -> Status {
        switch code {
        case 0: return .notInFlight
        case 1: return .done
        case 2: return .stale
        default: throw StoreError.failed("postgres: call completion: an unknown status")
        }
    }

    /// What a done call committed: `update` applied to `read`, and the events its tail appended.
    static func commit(
        _ tail: (appended: [EventRecord], deliveriesCreated: Int), read: TrackedRead, update: InstanceUpdate
    ) throws -> OutboxCommit {
        OutboxCommit(
            tracked: try update.tracked.map { row throws(StoreError) in try row.asStored } ?? read.row,
            appended: tail.appended, deliveriesCreated: tail.deliveriesCreated,
            trackingStarted: read.row == nil && update.tracked != nil)
    }

    /// `signing_gateway_finish_call`'s parameters, in order (see `FinishCall`).
    static func finishBindings(
        _ scope: IdempotencyScope, _ key: KeyFinish, audit: AuditEntry, target: (instance: String, digest: String?)?,
        update: InstanceUpdate, lease: WriteLease?
    ) throws -> PostgresBindings {
        var binds = PostgresBindings(capacity: 39)
        binds.append(scope.clientId)
        binds.append(scope.key)
        switch key {
        case .keep(let response):
            binds.append(true)
            binds.append(Int32(response.status))
            binds.append(response.contentType)
            binds.append(ByteBuffer(bytes: response.body))
        case .release:
            binds.append(false)
            for _ in 0..<3 { binds.appendNull() }
        }
        binds.append(target?.instance)
        binds.append(target?.digest)
        binds.append(update.tracked != nil)
        appendTracked(update.tracked, to: &binds)
        TailArguments(events: update.events, audits: [audit]).append(to: &binds)
        binds.append(lease?.instance)
        binds.append(lease?.holder)
        return binds
    }

    /// The locked transaction (BEGIN; the key's guard with the instance's lock and row; its update; tail and
    /// COMMIT): for upgrades and for a row that kept changing.
    static func finishLocked(
        _ scope: IdempotencyScope, _ key: KeyFinish, audit: AuditEntry, outbox: OutboxWrite,
        on connection: LiveConnection
    ) async throws -> Finished {
        try await connection.tailTransaction { connection in
            var binds = PostgresBindings()
            let guarded: (found: Bool, current: TrackedInstance?)
            switch key {
            case .keep(let response):
                binds.append(Int32(response.status))
                binds.append(response.contentType)
                binds.append(ByteBuffer(bytes: response.body))
                binds.append(scope.clientId)
                binds.append(scope.key)
                binds.append(outbox.instance)
                guarded = try await guardKey(CompleteKeyLockingInstance.self, binds, on: connection)
            case .release:
                binds.append(scope.clientId)
                binds.append(scope.key)
                binds.append(outbox.instance)
                guarded = try await guardKey(ReleaseKeyLockingInstance.self, binds, on: connection)
            }
            // Nothing was written: committing the empty transaction is harmless.
            guard guarded.found else { return (Finished.notInFlight, committed: false) }
            let committed = try await applyOutboxAndCommit(
                outbox, current: guarded.current, audits: [audit], on: connection)
            return (.done(committed), committed: true)
        }
    }

    /// The key's guard (its UPDATE or DELETE `… RETURNING 1`) with its instance's lock and row read
    /// (`signing_gateway_lock_instance`) in one round trip. `found` is false when the key was not in flight (nothing
    /// written; the instance lock goes with the empty COMMIT).
    private static func guardKey<Locking: PreparedSQL>(
        _: Locking.Type, _ binds: PostgresBindings, on connection: LiveConnection
    ) async throws -> (found: Bool, current: TrackedInstance?) {
        let rows = try await connection.rows(Locking.self, binds)
        guard let row = rows.first?.makeRandomAccess() else { return (false, nil) }
        let found = try row[EventColumns.tracked.count].decode(Int64.self) > 0
        // No tracked row: the LEFT JOIN's columns are all NULL (the instance column never is in a stored row).
        guard found, try row[0].decode(String?.self) != nil else { return (found, nil) }
        return (true, try TrackedInstance(row: row))
    }
}

// MARK: - Prepared statements (see `PreparedSQL`)

/// $1 the instance: its row and the row's md5, as `signing_gateway_finish_call` checks it.
private enum ReadTracked: PreparedSQL {
    static let name = "sg_tracked_read"
    static let sql = """
        SELECT \(EventColumns.list(EventColumns.tracked, alias: "t")), md5(t::text) FROM tracked_instances t
        WHERE t.instance = $1
        """
}

/// The key ($1 client, $2 key, $3 kept, $4–$6 its answer), the instance to check ($7, NULL: none) against the
/// row read ($8 its md5, NULL: no row), the row to store ($9 given, $10–$28 in `EventColumns.tracked`'s order),
/// then the tail (`TailArguments`, $29–$37), and the write lease to give back ($38 instance, $39 holder; NULL:
/// none). Typed here, so a NULL needs no type of its own. The lease's DELETE runs whatever the function answers
/// (a data-modifying WITH always runs to its end) and commits with it.
enum FinishCall: PreparedSQL {
    static let name = "sg_call_finish_lease"
    static let sql = """
        WITH given_back AS (
            DELETE FROM instance_write_leases WHERE instance = $38::text AND holder = $39::text
        )
        SELECT o_index, o_sequence, o_deliveries FROM signing_gateway_finish_call(
            $1::text, $2::text, $3::boolean, $4::integer, $5::text, $6::bytea, $7::text, $8::text, $9::boolean,
            $10::text, $11::text, $12::text, $13::text, $14::boolean, $15::text, $16::bytea, $17::integer,
            $18::bigint, $19::bigint, $20::text, $21::text, $22::bigint, $23::text, $24::text, $25::text,
            $26::bigint, $27::bigint, $28::bigint,
            \(PostgresStore.TailArguments.placeholders(from: 29)))
        """
}

/// $1 status, $2 content type, $3 body, $4 client, $5 key, $6 the instance to lock and read.
private enum CompleteKeyLockingInstance: PreparedSQL {
    static let name = "sg_key_complete_locking"
    static let sql = lockingInstance(
        """
        UPDATE idempotency_keys
        SET state = 'completed', response_status = $1, response_content_type = $2, response_body = $3
        WHERE client_id = $4 AND key = $5 AND state = 'in_flight'
        RETURNING 1
        """, instanceBind: 6)
}

/// $1 client, $2 key, $3 the instance to lock and read.
private enum ReleaseKeyLockingInstance: PreparedSQL {
    static let name = "sg_key_release_locking"
    static let sql = lockingInstance(
        """
        DELETE FROM idempotency_keys
        WHERE client_id = $1 AND key = $2 AND state = 'in_flight'
        RETURNING 1
        """, instanceBind: 3)
}

/// `guardSQL` with the instance's lock and tracked row (all NULL when it has none) and how many keys it touched.
private func lockingInstance(_ guardSQL: String, instanceBind: Int) -> String {
    """
    WITH k AS (\(guardSQL))
    SELECT \(EventColumns.list(EventColumns.tracked, alias: "t")), (SELECT count(*) FROM k) FROM (SELECT 1) AS one
    LEFT JOIN LATERAL signing_gateway_lock_instance($\(instanceBind)) AS t ON TRUE
    """
}
