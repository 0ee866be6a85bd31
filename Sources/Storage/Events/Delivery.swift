public import Foundation

public enum DeliveryState: String, Sendable, Equatable, CaseIterable {
    /// Waiting for its first or next attempt.
    case pending
    case delivered
    /// Every attempt failed (or the endpoint is gone): kept for inspection, retry and replay, never dropped.
    case dead
}

/// One event on its way to one subscription.
public struct DeliveryRecord: Sendable, Equatable {
    public var id: Int64
    public var subscriptionId: String
    public var eventId: String
    public var eventSequence: Int64
    public var eventType: String
    public var instance: String
    public var state: DeliveryState
    /// Attempts made in all (numbering of `DeliveryAttempt`).
    public var attempts: Int
    /// Failed attempts since the delivery was last (re-)armed: the position in the retry schedule.
    public var failuresSinceArmed: Int
    /// When the next attempt is due (pending only).
    public var nextAttemptAt: Date?
    public var lastStatus: Int?
    /// The last attempt's verdict (`DeliveryVerdict` raw value).
    public var lastVerdict: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: Int64,
        subscriptionId: String,
        eventId: String,
        eventSequence: Int64,
        eventType: String,
        instance: String,
        state: DeliveryState,
        attempts: Int,
        failuresSinceArmed: Int,
        nextAttemptAt: Date?,
        lastStatus: Int?,
        lastVerdict: String?,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.subscriptionId = subscriptionId
        self.eventId = eventId
        self.eventSequence = eventSequence
        self.eventType = eventType
        self.instance = instance
        self.state = state
        self.attempts = attempts
        self.failuresSinceArmed = failuresSinceArmed
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastVerdict = lastVerdict
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

/// A due delivery leased to one dispatcher, with what it needs to send it.
public struct ClaimedDelivery: Sendable, Equatable {
    public var delivery: DeliveryRecord
    /// The stored CloudEvent bytes.
    public var body: [UInt8]
    public var subscription: Subscription

    public init(delivery: DeliveryRecord, body: [UInt8], subscription: Subscription) {
        self.delivery = delivery
        self.body = body
        self.subscription = subscription
    }
}

/// One HTTP attempt, as recorded. The excerpt is already stripped of secrets.
public struct DeliveryAttempt: Sendable, Equatable {
    public var deliveryId: Int64
    /// 1-based, across re-arms.
    public var number: Int
    public var time: Date
    public var status: Int?
    public var latencyMicros: Int64
    public var verdict: String
    public var responseExcerpt: String?

    public init(
        deliveryId: Int64, number: Int, time: Date, status: Int?, latencyMicros: Int64, verdict: String,
        responseExcerpt: String?
    ) {
        self.deliveryId = deliveryId
        self.number = number
        self.time = time
        self.status = status
        self.latencyMicros = latencyMicros
        self.verdict = verdict
        self.responseExcerpt = responseExcerpt
    }
}

/// The result of one attempt, applied by `finishDeliveries`.
public struct DeliveryOutcome: Sendable, Equatable {
    public enum Next: Sendable, Equatable {
        case delivered
        case retry(at: Date)
        case dead
    }

    public var attempt: DeliveryAttempt
    public var next: Next
    /// Set when the endpoint answered 410: the subscription is disabled with this reason, in the same transaction.
    public var disableSubscription: String?

    public init(attempt: DeliveryAttempt, next: Next, disableSubscription: String? = nil) {
        self.attempt = attempt
        self.next = next
        self.disableSubscription = disableSubscription
    }
}

/// Every set member must match.
public struct DeliveryFilter: Sendable, Equatable {
    public var state: DeliveryState?
    public var subscriptionId: String?
    public var instance: String?

    public init(state: DeliveryState? = nil, subscriptionId: String? = nil, instance: String? = nil) {
        self.state = state
        self.subscriptionId = subscriptionId
        self.instance = instance
    }
}

/// Deliveries per subscription and state, for metrics (outbox depth, dead letters).
public struct DeliveryCount: Sendable, Equatable {
    public var subscriptionId: String
    public var state: DeliveryState
    public var count: Int

    public init(subscriptionId: String, state: DeliveryState, count: Int) {
        self.subscriptionId = subscriptionId
        self.state = state
        self.count = count
    }
}
