public import Foundation

/// An event about to enter the outbox. `body` is the complete CloudEvent as it will be delivered, byte for byte:
/// signatures are computed over stored bytes, so a retry or a replay sends exactly what was first sent.
public struct NewEvent: Sendable, Equatable {
    /// Deterministic from (instance, signee, transition): appending an id that exists is a no-op.
    public var id: String
    public var type: String
    /// `{org}/{app}/{partyId}/{guid}`.
    public var instance: String
    /// `{org}/{app}`, for subscription filters.
    public var app: String
    public var time: Date
    public var body: [UInt8]

    public init(id: String, type: String, instance: String, app: String, time: Date, body: [UInt8]) {
        self.id = id
        self.type = type
        self.instance = instance
        self.app = app
        self.time = time
        self.body = body
    }
}

/// A committed event. `sequence` is its place in commit order: the pull feed's cursor.
public struct EventRecord: Sendable, Equatable {
    public var sequence: Int64
    public var event: NewEvent

    public init(sequence: Int64, event: NewEvent) {
        self.sequence = sequence
        self.event = event
    }
}

/// A read-modify-write of one tracked instance plus the events it produces, committed in one transaction.
///
/// `apply` runs inside the transaction with the instance's row locked (nil when not tracked), so the diff against
/// the stored snapshot is never stale and two replicas never both act on the same change. It must be quick and
/// pure: no I/O.
public struct OutboxWrite: Sendable {
    /// The tracked instance to lock and read (whether tracked or not).
    public var instance: String
    public var apply: @Sendable (TrackedInstance?) -> InstanceUpdate

    public init(instance: String, apply: @escaping @Sendable (TrackedInstance?) -> InstanceUpdate) {
        self.instance = instance
        self.apply = apply
    }
}

public struct InstanceUpdate: Sendable {
    /// The row as it must be after the commit (inserted or replaced); nil leaves the row as it is (or absent).
    public var tracked: TrackedInstance?
    /// Appended in order; ids already present are skipped, so they are not fanned out twice.
    public var events: [NewEvent]
    /// Stored answers of keys whose sign was ambiguous and has since been observed, with their audit records.
    public var upgrades: [IdempotencyUpgrade]

    public init(tracked: TrackedInstance?, events: [NewEvent], upgrades: [IdempotencyUpgrade] = []) {
        self.tracked = tracked
        self.events = events
        self.upgrades = upgrades
    }

    public static let none = InstanceUpdate(tracked: nil, events: [])
}

/// A key's stored answer replaced by a definite one, in the same transaction as the observation that proved it.
/// Only an ambiguous answer (status 500 or above) of a completed key is replaced; the audit record is appended
/// only when it was.
public struct IdempotencyUpgrade: Sendable, Equatable {
    public var scope: IdempotencyScope
    public var response: StoredResponse
    public var audit: AuditEntry

    public init(scope: IdempotencyScope, response: StoredResponse, audit: AuditEntry) {
        self.scope = scope
        self.response = response
        self.audit = audit
    }
}

/// What an `OutboxWrite` committed.
public struct OutboxCommit: Sendable, Equatable {
    /// The row after the commit (nil when the instance is not tracked).
    public var tracked: TrackedInstance?
    /// The events actually appended (new ids only), with their sequence numbers.
    public var appended: [EventRecord]
    /// How many deliveries the appended events fanned out to.
    public var deliveriesCreated: Int

    public init(tracked: TrackedInstance?, appended: [EventRecord], deliveriesCreated: Int) {
        self.tracked = tracked
        self.appended = appended
        self.deliveriesCreated = deliveriesCreated
    }
}
