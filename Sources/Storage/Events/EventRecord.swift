package import Foundation

/// An event about to enter the outbox. `body` is the complete CloudEvent as it will be delivered, byte for byte:
/// signatures are computed over stored bytes, so a retry or a replay sends exactly what was first sent.
package struct NewEvent: Sendable, Equatable {
    /// Deterministic from (instance, signee, transition): appending an id that exists is a no-op.
    package var id: String
    package var type: String
    /// `{org}/{app}/{partyId}/{guid}`.
    package var instance: String
    /// `{org}/{app}`, for subscription filters.
    package var app: String
    package var time: Date
    package var body: [UInt8]

    package init(id: String, type: String, instance: String, app: String, time: Date, body: [UInt8]) {
        self.id = id
        self.type = type
        self.instance = instance
        self.app = app
        self.time = time
        self.body = body
    }
}

/// A committed event. `sequence` is its place in commit order: the pull feed's cursor.
package struct EventRecord: Sendable, Equatable {
    package var sequence: Int64
    package var event: NewEvent

    package init(sequence: Int64, event: NewEvent) {
        self.sequence = sequence
        self.event = event
    }
}

/// A read-modify-write of one tracked instance plus the events it produces, committed in one transaction.
///
/// `apply` runs inside the transaction with the instance's row locked (nil when not tracked), so the diff against
/// the stored snapshot is never stale and two replicas never both act on the same change. It must be quick and
/// pure: no I/O.
package struct OutboxWrite: Sendable {
    /// The tracked instance to lock and read (whether tracked or not).
    package var instance: String
    package var apply: @Sendable (TrackedInstance?) -> InstanceUpdate

    package init(instance: String, apply: @escaping @Sendable (TrackedInstance?) -> InstanceUpdate) {
        self.instance = instance
        self.apply = apply
    }
}

package struct InstanceUpdate: Sendable {
    /// The row as it must be after the commit (inserted or replaced); nil leaves the row as it is (or absent).
    package var tracked: TrackedInstance?
    /// Appended in order; ids already present are skipped, so they are not fanned out twice.
    package var events: [NewEvent]
    /// Stored answers of keys whose sign was ambiguous and has since been observed, with their audit records.
    package var upgrades: [IdempotencyUpgrade]

    package init(tracked: TrackedInstance?, events: [NewEvent], upgrades: [IdempotencyUpgrade] = []) {
        self.tracked = tracked
        self.events = events
        self.upgrades = upgrades
    }

    package static let none = InstanceUpdate(tracked: nil, events: [])
}

/// A key's stored answer replaced by a definite one, in the same transaction as the observation that proved it.
/// Only an ambiguous answer (status 500 or above) of a completed key is replaced; the audit record is appended
/// only when it was.
package struct IdempotencyUpgrade: Sendable, Equatable {
    package var scope: IdempotencyScope
    package var response: StoredResponse
    package var audit: AuditEntry

    package init(scope: IdempotencyScope, response: StoredResponse, audit: AuditEntry) {
        self.scope = scope
        self.response = response
        self.audit = audit
    }
}

/// What an `OutboxWrite` committed.
package struct OutboxCommit: Sendable, Equatable {
    /// The row after the commit (nil when the instance is not tracked).
    package var tracked: TrackedInstance?
    /// The events actually appended (new ids only), with their sequence numbers.
    package var appended: [EventRecord]
    /// How many deliveries the appended events fanned out to.
    package var deliveriesCreated: Int
    /// True when this commit created the tracked row (there was none before it).
    package var trackingStarted: Bool

    package init(
        tracked: TrackedInstance?, appended: [EventRecord], deliveriesCreated: Int, trackingStarted: Bool = false
    ) {
        self.tracked = tracked
        self.appended = appended
        self.deliveriesCreated = deliveriesCreated
        self.trackingStarted = trackingStarted
    }

    /// Whether the commit left its instance tracked with a poll due at `now` or before (a sign that may have
    /// happened, one that completed the signing for `completeWhenAllSigned`): a poll the tracker should make at
    /// once rather than at its next idle check.
    package func leavesAPollDue(at now: Date) -> Bool {
        guard let tracked, tracked.status == .active else { return false }
        return tracked.nextPollAt <= now
    }
}
