import Foundation
public import Storage

/// Who called, from where, with what: the inbound half of an audit record.
public struct InboundFacts: Sendable, Equatable {
    public var clientId: String?
    public var sourceAddress: String?
    public var requestId: String
    public var traceparent: String?
    public var idempotencyKey: String?
    /// Hex SHA-256 of the raw inbound body, when there was one.
    public var requestDigest: String?
    public var receivedAt: ContinuousClock.Instant

    public init(
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
public struct AuditTrail: Sendable {
    private let store: any Store

    public init(store: any Store) {
        self.store = store
    }

    public static func entry(_ inbound: InboundFacts, _ call: CallRecord, responseBody: [UInt8]?) -> AuditEntry {
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
            responseDigest: responseBody.map(Digest.sha256Hex))
    }

    public func append(_ inbound: InboundFacts, _ call: CallRecord, responseBody: [UInt8]?) async throws(StoreError) {
        try await self.store.appendAudit(Self.entry(inbound, call, responseBody: responseBody))
        UseCaseMetrics.auditAppended(operation: call.operation)
    }
}
