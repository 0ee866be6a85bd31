import PostgresNIO

// Writes' claims (a key with its instance's write lease) that come at the same time, as one statement
// (`StatementBatcher`, `claims`): one round trip, one transaction and one WAL flush for all of them. A claim that
// comes alone is sent as before (`ClaimKeyTakingLease`).
extension PostgresStore {
    /// At most this many claims in one statement.
    static let claimBatchLimit = 32

    struct PendingClaim: Sendable {
        let claim: IdempotencyClaim
        let request: WriteLeaseRequest
        /// The lease's taking, if the key is new and the lease free.
        let holder: String
    }

    enum BatchedClaim: Sendable {
        /// The key was new and is in flight; the lease when it was taken (with the instance's row read beside it).
        case acquired(WriteLease?)
        /// The key was there already: nothing written for this call.
        case existing
        /// The server refused the batch: nothing of it was written. The call claims alone.
        case alone
        case failed(StoreError)
    }

    /// One statement for `items`: `ClaimKeyTakingLease` for one, `ClaimKeysTakingLeases` for more.
    static func claimBatch(_ items: [PendingClaim], on pool: PostgresPool) async -> [BatchedClaim] {
        do {
            if items.count == 1 { return [try await claimAlone(items[0], on: pool)] }
            let rows = try await pool.withConnection(followingCancellation: false) {
                try await $0.rows(ClaimKeysTakingLeases.self, claimBindings(items))
            }
            var answers = [BatchedClaim?](repeating: nil, count: items.count)
            for row in rows {
                let row = row.makeRandomAccess()
                let item = Int(try row[EventColumns.tracked.count + 1].decode(Int32.self)) - 1
                guard answers.indices.contains(item) else {
                    throw StoreError.failed("postgres: idempotency begin: the server named a claim that was not sent")
                }
                answers[item] = try claimAnswer(row, items[item], inserted: EventColumns.tracked.count + 2)
            }
            return try answers.map { answer in
                guard let answer else { throw StoreError.failed("postgres: idempotency begin: a claim unanswered") }
                return answer
            }
        } catch {
            return batchFailed(error, count: items.count, what: "idempotency begin", alone: .alone) { .failed($0) }
        }
    }

    /// `item` as `ClaimKeyTakingLease`: a row when the key was new.
    static func claimAlone(_ item: PendingClaim, on pool: PostgresPool) async throws -> BatchedClaim {
        var binds = claimBindings(item.claim)
        binds.append(item.request.instance)
        binds.append(item.request.owner)
        binds.append(StoredTime.micros(item.request.until))
        binds.append(item.holder)
        guard let row = try await pool.rows(ClaimKeyTakingLease.self, binds).first?.makeRandomAccess() else {
            return .existing
        }
        return try claimAnswer(row, item, inserted: nil)
    }

    /// A claim's row: `AcquireLease`'s columns, then (a batch's) the call, whether its key was new, and whether
    /// the lease was taken. `inserted`: that column, or nil when the row itself says so.
    private static func claimAnswer(
        _ row: PostgresRandomAccessRow, _ item: PendingClaim, inserted: Int?
    ) throws -> BatchedClaim {
        if let inserted, try !row[inserted].decode(Bool.self) { return .existing }
        let taken = (inserted ?? EventColumns.tracked.count) + 1
        guard try row[taken].decode(Bool.self) else { return .acquired(nil) }
        return .acquired(
            WriteLease(instance: item.request.instance, holder: item.holder, read: try trackedRead(row)))
    }

    /// `ClaimKeysTakingLeases`' parameters: `ClaimKeyTakingLease`'s, each an array with an element per call.
    private static func claimBindings(_ items: [PendingClaim]) -> PostgresBindings {
        var binds = PostgresBindings(capacity: 9)
        binds.append(items.map(\.claim.scope.clientId))
        binds.append(items.map(\.claim.scope.key))
        binds.append(items.map(\.claim.fingerprint))
        binds.append(items.map { StoredTime.micros($0.claim.leaseUntil) })
        binds.append(items.map { StoredTime.micros($0.claim.now) })
        binds.append(items.map(\.request.instance))
        binds.append(items.map(\.request.owner))
        binds.append(items.map { StoredTime.micros($0.request.until) })
        binds.append(items.map(\.holder))
        return binds
    }

    /// Every call's answer when a batch's statement failed. A batch the server refused (a constraint, a deadlock
    /// it broke) was rolled back as a whole, so each call is told to go `alone`, where it meets only its own
    /// trouble; else (no answer, a statement alone) each call fails as a statement alone would.
    static func batchFailed<Answer>(
        _ error: any Error, count: Int, what: String, alone: Answer, failed: (StoreError) -> Answer
    ) -> [Answer] {
        let mapped = PostgresErrorMapping.storeError(error, what: what)
        if count > 1, let error = error as? PSQLError, error.code == .server, case .failed = mapped {
            return Array(repeating: alone, count: count)
        }
        return (0..<count).map { _ in failed(mapped) }
    }
}

/// `ClaimKeyTakingLease`'s parameters as arrays ($1–$9, in its order). A row per call: its instance's tracked row
/// and md5 when the lease was taken (NULLs otherwise), the call, whether its key was new, whether the lease was taken.
private enum ClaimKeysTakingLeases: PreparedSQL {
    static let name = "sg_keys_claim_leases"
    static let sql = """
        SELECT \(EventColumns.list(EventColumns.tracked, alias: "t")), md5(t::text), c.o_item, c.o_inserted, c.o_taken
        FROM signing_gateway_claim_keys($1::text[], $2::text[], $3::text[], $4::bigint[], $5::bigint[], $6::text[],
                                        $7::text[], $8::bigint[], $9::text[]) AS c
        LEFT JOIN tracked_instances t ON c.o_taken AND t.instance = ($6::text[])[c.o_item]
        """
}
