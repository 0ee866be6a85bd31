package import Foundation

/// The durable store: idempotency keys, the audit log, tracked instances, the event outbox, subscriptions and
/// deliveries.
/// Two engines implement it (SQLite, PostgreSQL) and pass one conformance suite.
///
/// Every method that writes an audit record does so in the same transaction as the rest of its write,
/// so an acknowledged call never lacks its record.
package protocol Store: Sendable {
    /// Creates or upgrades the schema. Safe when several replicas start at once.
    func migrate() async throws(StoreError)

    // MARK: Idempotency

    /// Claims `claim.scope` for a new call, or reports what the key already holds.
    /// A new key is stored as in flight, with its fingerprint and lease, *before* any upstream call.
    func beginIdempotent(_ claim: IdempotencyClaim) async throws(StoreError) -> IdempotencyBegin

    /// Stores the final answer of a claimed key and appends its audit record, in one transaction, together with
    /// `outbox` (the sign's snapshot and events) when given. Returns what `outbox` committed.
    @discardableResult
    func completeIdempotent(
        _ scope: IdempotencyScope,
        response: StoredResponse,
        audit: AuditEntry,
        outbox: OutboxWrite?
    ) async throws(StoreError) -> OutboxCommit?

    /// Deletes a claimed key whose call provably never reached Altinn (bad input, no token, connect
    /// failure), so the caller may retry with the same key; appends the audit record in the same transaction,
    /// together with `outbox` (the failure's event) when given. Returns what `outbox` committed.
    @discardableResult
    func releaseIdempotent(
        _ scope: IdempotencyScope, audit: AuditEntry, outbox: OutboxWrite?
    ) async throws(StoreError) -> OutboxCommit?

    /// Deletes keys created before `cutoff`, in-flight ones included. Returns how many.
    func pruneIdempotency(createdBefore cutoff: Date) async throws(StoreError) -> Int

    // MARK: Signed-request replay

    /// Records that `clientId` sent a signed request with this `webhook-id`, remembered until `expiresAt`.
    /// Returns false when the id is already remembered and not yet expired at `now` (a replay). Store-backed
    /// so a replay is caught whichever replica it reaches; expired ids are forgotten as a side effect.
    func rememberWebhookId(clientId: String, id: String, now: Date, expiresAt: Date) async throws(StoreError) -> Bool

    // MARK: Audit

    /// Appends one record to the hash chain (for calls without an idempotency key: reads, refusals).
    func appendAudit(_ entry: AuditEntry) async throws(StoreError)

    /// Records with `sequence > after`, oldest first, at most `limit`, matching `filter`.
    func auditRecords(after: Int64, limit: Int, filter: AuditFilter) async throws(StoreError) -> [AuditRecord]

    // MARK: Tracking and the outbox

    /// Locks the instance's tracking row, runs `write.apply` on it, stores the row it returns and appends its new
    /// events, fanning each out to a pending delivery per matching enabled subscription — all in one transaction.
    func commit(_ write: OutboxWrite) async throws(StoreError) -> OutboxCommit

    func trackedInstance(_ instance: String) async throws(StoreError) -> TrackedInstance?

    /// Ordered by instance, those after `after`, at most `limit`.
    func trackedInstances(after: String?, limit: Int, status: TrackingStatus?) async throws(StoreError)
        -> [TrackedInstance]

    /// Stops tracking (deletes the row; its events stay). False when it was not tracked.
    func untrack(_ instance: String) async throws(StoreError) -> Bool

    /// Leases up to `limit` active instances due at `now` whose lease is free or expired, to `owner` until
    /// `leaseUntil`. Replicas never get the same row (`FOR UPDATE SKIP LOCKED` on PostgreSQL).
    func claimDueTrackedInstances(owner: String, now: Date, leaseUntil: Date, limit: Int) async throws(StoreError)
        -> [TrackedInstance]

    func trackingCounts() async throws(StoreError) -> [TrackingCount]

    /// The pull feed: events with `sequence > after` in commit order, at most `limit`.
    func events(after: Int64, limit: Int) async throws(StoreError) -> [EventRecord]

    // MARK: Subscriptions

    /// Fails with `.conflict` when the id exists.
    func createSubscription(_ subscription: Subscription) async throws(StoreError)
    func subscription(id: String) async throws(StoreError) -> Subscription?
    /// Ordered by creation.
    func subscriptions() async throws(StoreError) -> [Subscription]
    /// Replaces the subscription with `change(current)` in one transaction; nil when it does not exist.
    func updateSubscription(id: String, _ change: @escaping @Sendable (Subscription) -> Subscription)
        async throws(StoreError) -> Subscription?
    /// Deletes it with its deliveries and their attempts. False when it did not exist.
    func deleteSubscription(id: String) async throws(StoreError) -> Bool

    // MARK: Deliveries

    /// Leases up to `limit` pending deliveries due at `now` of enabled subscriptions (only `subscriptionId`'s when
    /// given), oldest event first, to `owner` until `leaseUntil`. Never one whose subscription has an earlier
    /// pending delivery for the same instance: per (subscription, instance) one delivery is in flight at a time,
    /// in event order.
    func claimDeliveries(
        owner: String, now: Date, leaseUntil: Date, limit: Int, subscriptionId: String?
    ) async throws(StoreError) -> [ClaimedDelivery]

    /// Records each attempt and applies its outcome (and any subscription disabling) in one transaction;
    /// clears the leases.
    func finishDeliveries(_ outcomes: [DeliveryOutcome]) async throws(StoreError)

    /// Ordered by id, those after `after`, at most `limit`.
    func deliveries(after: Int64, limit: Int, filter: DeliveryFilter) async throws(StoreError) -> [DeliveryRecord]
    func delivery(id: Int64) async throws(StoreError) -> DeliveryRecord?
    func deliveryAttempts(deliveryId: Int64) async throws(StoreError) -> [DeliveryAttempt]

    /// Re-arms a delivery (any state) for an attempt at `now`, the retry schedule starting over. Nil when unknown.
    func retryDelivery(id: Int64, now: Date) async throws(StoreError) -> DeliveryRecord?

    /// New pending deliveries, to this subscription, of every stored event at or after `since` that matches
    /// its filters (same event ids, so subscribers dedupe). Returns how many; nil when the subscription is unknown.
    func replay(subscriptionId: String, since: Date, now: Date) async throws(StoreError) -> Int?

    func deliveryCounts() async throws(StoreError) -> [DeliveryCount]

    /// Releases connections and files.
    func close() async
}

extension Store {
    /// Any subscription's due deliveries.
    package func claimDeliveries(
        owner: String, now: Date, leaseUntil: Date, limit: Int
    ) async throws(StoreError) -> [ClaimedDelivery] {
        try await self.claimDeliveries(
            owner: owner, now: now, leaseUntil: leaseUntil, limit: limit, subscriptionId: nil)
    }

    package func completeIdempotent(
        _ scope: IdempotencyScope,
        response: StoredResponse,
        audit: AuditEntry
    ) async throws(StoreError) {
        try await self.completeIdempotent(scope, response: response, audit: audit, outbox: nil)
    }

    package func releaseIdempotent(_ scope: IdempotencyScope, audit: AuditEntry) async throws(StoreError) {
        try await self.releaseIdempotent(scope, audit: audit, outbox: nil)
    }
}

package enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database could not be reached or opened.
    case unavailable(String)
    /// A statement failed; the message names the statement, never a value.
    case failed(String)
    /// `complete`/`release` for a key that is not in flight (a bug, or the key was pruned).
    case notInFlight
    /// A create whose id exists.
    case conflict

    package var description: String {
        switch self {
        case .unavailable(let why): return "store unavailable: \(why)"
        case .failed(let why): return "store failure: \(why)"
        case .notInFlight: return "idempotency key is not in flight"
        case .conflict: return "the id already exists"
        }
    }
}

// MARK: - Idempotency values

/// Keys are scoped per inbound client: one client can never see another's.
package struct IdempotencyScope: Sendable, Hashable {
    package var clientId: String
    package var key: String

    package init(clientId: String, key: String) {
        self.clientId = clientId
        self.key = key
    }
}

package struct IdempotencyClaim: Sendable, Equatable {
    package var scope: IdempotencyScope
    /// Hex SHA-256 of the canonical request (operation + normalized body).
    package var fingerprint: String
    package var now: Date
    /// Until when the claimant is presumed alive. After it, a still-in-flight key is `outcomeUnknown`.
    package var leaseUntil: Date

    package init(scope: IdempotencyScope, fingerprint: String, now: Date, leaseUntil: Date) {
        self.scope = scope
        self.fingerprint = fingerprint
        self.now = now
        self.leaseUntil = leaseUntil
    }
}

package enum IdempotencyBegin: Sendable, Equatable {
    /// The key was new: it is now in flight and belongs to this call.
    case acquired
    /// Completed earlier with the same fingerprint: answer with this.
    case replay(StoredResponse)
    /// Same key and fingerprint, still in flight within its lease → 409.
    case inFlight
    /// Same key, different fingerprint (in flight or completed) → 422.
    case fingerprintMismatch
    /// In flight and its lease has expired (the claimant crashed): never re-send → `outcome-unknown`.
    case outcomeUnknown
}

/// The answer given for a key, replayed byte for byte.
package struct StoredResponse: Sendable, Equatable {
    package var status: Int
    package var contentType: String
    package var body: [UInt8]

    package init(status: Int, contentType: String, body: [UInt8]) {
        self.status = status
        self.contentType = contentType
        self.body = body
    }
}

// MARK: - Audit values

/// One forwarded (or refused) call, as the gateway saw it. Never holds a token or a body: only digests.
package struct AuditEntry: Sendable, Equatable {
    package var time: Date
    package var clientId: String?
    package var sourceAddress: String?
    package var requestId: String
    package var traceparent: String?
    package var idempotencyKey: String?
    /// `sign`, `processNext`, `signingState`, or `refused`.
    package var operation: String
    /// `{org}/{app}/{partyId}/{guid}` when known.
    package var instance: String?
    package var tokenProfile: String?
    package var upstreamMethod: String?
    package var upstreamURL: String?
    package var upstreamStatus: Int?
    package var latencyMicros: Int64
    /// e.g. `succeeded`, `rejected`, `failed`, `unknown`, `refused`.
    package var outcome: String
    /// Hex SHA-256 of the inbound request body and of the answer body.
    package var requestDigest: String?
    package var responseDigest: String?

    package init(
        time: Date,
        clientId: String?,
        sourceAddress: String?,
        requestId: String,
        traceparent: String?,
        idempotencyKey: String?,
        operation: String,
        instance: String?,
        tokenProfile: String?,
        upstreamMethod: String?,
        upstreamURL: String?,
        upstreamStatus: Int?,
        latencyMicros: Int64,
        outcome: String,
        requestDigest: String?,
        responseDigest: String?
    ) {
        self.time = time
        self.clientId = clientId
        self.sourceAddress = sourceAddress
        self.requestId = requestId
        self.traceparent = traceparent
        self.idempotencyKey = idempotencyKey
        self.operation = operation
        self.instance = instance
        self.tokenProfile = tokenProfile
        self.upstreamMethod = upstreamMethod
        self.upstreamURL = upstreamURL
        self.upstreamStatus = upstreamStatus
        self.latencyMicros = latencyMicros
        self.outcome = outcome
        self.requestDigest = requestDigest
        self.responseDigest = responseDigest
    }
}

/// A stored audit record: the entry, its place in the chain and its hash.
package struct AuditRecord: Sendable, Equatable {
    package var sequence: Int64
    package var entry: AuditEntry
    /// Hex SHA-256; the first record's previous hash is 64 zeros.
    package var previousHash: String
    package var hash: String

    package init(sequence: Int64, entry: AuditEntry, previousHash: String, hash: String) {
        self.sequence = sequence
        self.entry = entry
        self.previousHash = previousHash
        self.hash = hash
    }
}

/// Every set member must match. Times compare at microsecond precision, as stored.
package struct AuditFilter: Sendable, Equatable {
    /// Records at or after this time (inclusive).
    package var from: Date?
    /// Records strictly before this time (exclusive), so consecutive windows never overlap.
    package var until: Date?
    package var clientId: String?
    package var instance: String?
    package var outcome: String?

    package init(
        from: Date? = nil, until: Date? = nil, clientId: String? = nil, instance: String? = nil, outcome: String? = nil
    ) {
        self.from = from
        self.until = until
        self.clientId = clientId
        self.instance = instance
        self.outcome = outcome
    }
}
