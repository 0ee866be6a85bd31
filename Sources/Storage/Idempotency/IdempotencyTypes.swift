package import Foundation

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
