package import Foundation

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
    /// For a sign: what was signed, as Altinn's signature document says (its id, the signee, and the SHA-256 of each
    /// signed data element), as compact JSON; or why that could not be read. Nil for every other call. In the
    /// chain only when present, so records written before it existed keep their hashes.
    package var signedData: String?

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
        responseDigest: String?,
        signedData: String? = nil
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
        self.signedData = signedData
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
    package var instance: InstanceMatch?
    package var outcome: String?
    /// `sign`, `subscription.create`, … exactly.
    package var operation: String?

    package init(
        from: Date? = nil, until: Date? = nil, clientId: String? = nil, instance: InstanceMatch? = nil,
        outcome: String? = nil,
        operation: String? = nil
    ) {
        self.from = from
        self.until = until
        self.clientId = clientId
        self.instance = instance
        self.outcome = outcome
        self.operation = operation
    }
}
