/// Each table's row, decoded once for both engines from the column order in `EventColumns` and `AuditColumns`.
extension TrackedInstance {
    init(row: some StoredRow) throws(StoreError) {
        self.init(
            instance: try row.text(0),
            clientId: try row.optionalText(1),
            tokenProfile: try row.optionalText(2),
            taskId: try row.optionalText(3),
            completeWhenAllSigned: try row.bool(4),
            status: try EventColumns.status(try row.text(5)),
            snapshot: try row.bytes(6),
            polls: try row.int(7),
            nextPollAt: try row.time(8),
            deadline: try row.time(9),
            processNext: try EventColumns.processNext(
                state: try row.text(10), token: try row.optionalText(11), claimedAtMicros: try row.optionalInteger(12)),
            traceparent: try row.optionalText(13),
            lastError: try row.optionalText(14),
            leaseOwner: try row.optionalText(15),
            leaseUntil: try row.optionalTime(16),
            createdAt: try row.time(17),
            updatedAt: try row.time(18)
        )
    }
}

extension Subscription {
    /// `first` is the position of the `id` column (a claim selects the delivery's columns first).
    init(row: some StoredRow, from first: Int = 0) throws(StoreError) {
        self.init(
            id: try row.text(first),
            url: try row.text(first + 1),
            types: EventColumns.split(try row.text(first + 2)),
            apps: EventColumns.split(try row.text(first + 3)),
            enabled: try row.bool(first + 4),
            disabledReason: try row.optionalText(first + 5),
            description: try row.optionalText(first + 6),
            secret: try row.text(first + 7),
            previousSecret: try row.optionalText(first + 8),
            previousSecretExpiresAt: try row.optionalTime(first + 9),
            createdAt: try row.time(first + 10),
            updatedAt: try row.time(first + 11),
            owner: try row.text(first + 12)
        )
    }
}

extension DeliveryRecord {
    init(row: some StoredRow) throws(StoreError) {
        self.init(
            id: try row.integer(0),
            subscriptionId: try row.text(1),
            eventId: try row.text(2),
            eventSequence: try row.integer(3),
            eventType: try row.text(4),
            instance: try row.text(5),
            state: try EventColumns.state(try row.text(6)),
            attempts: try row.int(7),
            failuresSinceArmed: try row.int(8),
            nextAttemptAt: try row.optionalTime(9),
            lastStatus: try row.optionalInteger(10).map { Int($0) },
            lastVerdict: try row.optionalText(11),
            createdAt: try row.time(12),
            updatedAt: try row.time(13)
        )
    }
}

extension AuditRecord {
    init(row: some StoredRow) throws(StoreError) {
        self.init(
            sequence: try row.integer(0),
            entry: AuditEntry(
                time: try row.time(1),
                clientId: try row.optionalText(2),
                sourceAddress: try row.optionalText(3),
                requestId: try row.text(4),
                traceparent: try row.optionalText(5),
                idempotencyKey: try row.optionalText(6),
                operation: try row.text(7),
                instance: try row.optionalText(8),
                tokenProfile: try row.optionalText(9),
                upstreamMethod: try row.optionalText(10),
                upstreamURL: try row.optionalText(11),
                upstreamStatus: try row.optionalInteger(12).map { Int($0) },
                latencyMicros: try row.integer(13),
                outcome: try row.text(14),
                requestDigest: try row.optionalText(15),
                responseDigest: try row.optionalText(16),
                signedData: try row.optionalText(19)
            ),
            previousHash: try row.text(17),
            hash: try row.text(18)
        )
    }
}
