import Foundation
package import Storage

/// Who called, from where, with what: the inbound half of an audit record.
package struct InboundFacts: Sendable, Equatable {
    package var clientId: String?
    package var sourceAddress: String?
    package var requestId: String
    package var traceparent: String?
    package var idempotencyKey: String?
    /// Hex SHA-256 of the raw inbound body, when there was one.
    package var requestDigest: String?
    package var receivedAt: ContinuousClock.Instant

    package init(
        clientId: String?,
        sourceAddress: String?,
        requestId: String,
        traceparent: String?,
        idempotencyKey: String?,
        requestDigest: String?,
        receivedAt: ContinuousClock.Instant = .now
    ) {
        self.clientId = clientId
        self.sourceAddress = sourceAddress
        self.requestId = requestId
        self.traceparent = traceparent
        self.idempotencyKey = idempotencyKey
        self.requestDigest = requestDigest
        self.receivedAt = receivedAt
    }
}

/// Builds audit entries and appends the ones that carry no idempotency result.
package struct AuditTrail: Sendable {
    private let store: any AuditStore

    package init(store: any AuditStore) {
        self.store = store
    }

    package static func entry(_ inbound: InboundFacts, _ call: CallRecord, responseBody: [UInt8]?) -> AuditEntry {
        let elapsed = ContinuousClock.now - inbound.receivedAt
        CallLogFacts.note(clientId: inbound.clientId, operation: call.operation, outcome: call.outcome)
        return AuditEntry(
            time: Date(), clientId: inbound.clientId, sourceAddress: inbound.sourceAddress,
            requestId: inbound.requestId,
            traceparent: inbound.traceparent, idempotencyKey: inbound.idempotencyKey, operation: call.operation,
            instance: call.instance, tokenProfile: call.tokenProfile, upstreamMethod: call.upstreamMethod,
            upstreamURL: call.upstreamURL, upstreamStatus: call.upstreamStatus,
            latencyMicros: elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000,
            outcome: call.outcome, requestDigest: inbound.requestDigest,
            responseDigest: responseBody.map(Digest.sha256Hex), signedData: call.signedData)
    }

    /// `durability`: `.written` for calls that change nothing (reads, refusals; see `Durability`).
    package func append(
        _ inbound: InboundFacts, _ call: CallRecord, responseBody: [UInt8]?, durability: Durability = .synced
    ) async throws(StoreError) {
        do {
            try await self.store.appendAudit(Self.entry(inbound, call, responseBody: responseBody), durability)
        } catch {
            UseCaseMetrics.auditAppendFailed(operation: call.operation)
            throw error
        }
        UseCaseMetrics.auditAppended(operation: call.operation)
    }
}
