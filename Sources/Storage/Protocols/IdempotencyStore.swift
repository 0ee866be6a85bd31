package import Foundation

/// Idempotency keys: at most one call per (client, key), the answer kept for replay; and the `webhook-id`s of
/// signed requests, so a replayed request is caught whichever replica it reaches.
package protocol IdempotencyStore: Sendable {
    /// Claims `claim.scope` for a new call, or reports what the key already holds.
    /// A new key is stored as in flight, with its fingerprint and lease, *before* any upstream call.
    func beginIdempotent(_ claim: IdempotencyClaim) async throws(StoreError) -> IdempotencyBegin

    /// Stores the final answer of a claimed key and appends its audit record, in one transaction, together with
    /// `outbox` (the sign's snapshot and events) when given. Returns what `outbox` committed. `lease`, the call's
    /// instance write lease (`InstanceWriteLeases`) when the call handed it on, is given back with it.
    @discardableResult
    func completeIdempotent(
        _ scope: IdempotencyScope,
        response: StoredResponse,
        audit: AuditEntry,
        outbox: OutboxWrite?,
        givingBack lease: WriteLease?
    ) async throws(StoreError) -> OutboxCommit?

    /// Deletes a claimed key whose call provably never reached Altinn (bad input, no token, connect
    /// failure), so the caller may retry with the same key; appends the audit record in the same transaction,
    /// together with `outbox` (the failure's event) when given. Returns what `outbox` committed.
    @discardableResult
    func releaseIdempotent(
        _ scope: IdempotencyScope, audit: AuditEntry, outbox: OutboxWrite?, givingBack lease: WriteLease?
    ) async throws(StoreError) -> OutboxCommit?

    /// Deletes keys created before `cutoff`, in-flight ones included. Returns how many.
    func pruneIdempotency(createdBefore cutoff: Date) async throws(StoreError) -> Int

    /// Records that `clientId` sent a signed request with this `webhook-id`, remembered until `expiresAt`.
    /// Returns false when the id is already remembered and not yet expired at `now` (a replay). Store-backed
    /// so a replay is caught whichever replica it reaches; expired ids are forgotten as a side effect.
    func rememberWebhookId(clientId: String, id: String, now: Date, expiresAt: Date) async throws(StoreError) -> Bool
}

extension IdempotencyStore {
    package func completeIdempotent(
        _ scope: IdempotencyScope,
        response: StoredResponse,
        audit: AuditEntry
    ) async throws(StoreError) {
        try await self.completeIdempotent(scope, response: response, audit: audit, outbox: nil, givingBack: nil)
    }

    package func releaseIdempotent(_ scope: IdempotencyScope, audit: AuditEntry) async throws(StoreError) {
        try await self.releaseIdempotent(scope, audit: audit, outbox: nil, givingBack: nil)
    }

    /// A completion with no write lease to give back.
    @discardableResult
    package func completeIdempotent(
        _ scope: IdempotencyScope, response: StoredResponse, audit: AuditEntry, outbox: OutboxWrite?
    ) async throws(StoreError) -> OutboxCommit? {
        try await self.completeIdempotent(scope, response: response, audit: audit, outbox: outbox, givingBack: nil)
    }

    /// A release with no write lease to give back.
    @discardableResult
    package func releaseIdempotent(
        _ scope: IdempotencyScope, audit: AuditEntry, outbox: OutboxWrite?
    ) async throws(StoreError) -> OutboxCommit? {
        try await self.releaseIdempotent(scope, audit: audit, outbox: outbox, givingBack: nil)
    }
}
