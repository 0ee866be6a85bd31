package import Foundation

package enum DeliveryState: String, Sendable, Equatable, CaseIterable {
    /// Waiting for its first or next attempt.
    case pending
    case delivered
    /// Every attempt failed (or the endpoint is gone): kept for inspection, retry and replay, never dropped.
    case dead
}

/// One event on its way to one subscription.
package struct DeliveryRecord: Sendable, Equatable {
    package var id: Int64
    package var subscriptionId: String
    package var eventId: String
    package var eventSequence: Int64
    package var eventType: String
    package var instance: String
    package var state: DeliveryState
    /// Attempts made in all (numbering of `DeliveryAttempt`).
    package var attempts: Int
    /// Failed attempts since the delivery was last (re-)armed: the position in the retry schedule.
    package var failuresSinceArmed: Int
    /// When the next attempt is due (pending only).
    package var nextAttemptAt: Date?
    package var lastStatus: Int?
    /// The last attempt's verdict (`DeliveryVerdict` raw value).
    package var lastVerdict: String?
    package var createdAt: Date
    package var updatedAt: Date

    package init(
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
package struct ClaimedDelivery: Sendable, Equatable {
    package var delivery: DeliveryRecord
    /// The stored CloudEvent bytes.
    package var body: [UInt8]
    package var subscription: Subscription

    package init(delivery: DeliveryRecord, body: [UInt8], subscription: Subscription) {
        self.delivery = delivery
        self.body = body
        self.subscription = subscription
    }
}

/// One HTTP attempt, as recorded. The excerpt is already stripped of secrets.
package struct DeliveryAttempt: Sendable, Equatable {
    package var deliveryId: Int64
    /// 1-based, across re-arms.
    package var number: Int
    package var time: Date
    package var status: Int?
    package var latencyMicros: Int64
    package var verdict: String
    package var responseExcerpt: String?

    package init(
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
package struct DeliveryOutcome: Sendable, Equatable {
    package enum Next: Sendable, Equatable {
        case delivered
        case retry(at: Date)
        case dead
    }

    package var attempt: DeliveryAttempt
    package var next: Next
    /// Set when the endpoint answered 410: the subscription is disabled with this reason, in the same transaction.
    package var disableSubscription: String?

    package init(attempt: DeliveryAttempt, next: Next, disableSubscription: String? = nil) {
        self.attempt = attempt
        self.next = next
        self.disableSubscription = disableSubscription
    }
}

/// Every set member must match.
package struct DeliveryFilter: Sendable, Equatable {
    package var state: DeliveryState?
    package var subscriptionId: String?
    package var instance: InstanceMatch?

    package init(state: DeliveryState? = nil, subscriptionId: String? = nil, instance: InstanceMatch? = nil) {
        self.state = state
        self.subscriptionId = subscriptionId
        self.instance = instance
    }
}

/// Deliveries per subscription and state, for metrics (outbox depth, dead letters).
/// Attempts of one subscription with one verdict in a window.
package struct AttemptSummary: Sendable, Equatable {
    package var subscriptionId: String
    package var verdict: String
    package var count: Int
    package var lastAt: Date

    package init(subscriptionId: String, verdict: String, count: Int, lastAt: Date) {
        self.subscriptionId = subscriptionId
        self.verdict = verdict
        self.count = count
        self.lastAt = lastAt
    }
}

package struct DeliveryCount: Sendable, Equatable {
    package var subscriptionId: String
    package var state: DeliveryState
    package var count: Int
    /// When the oldest of them was created: for `pending`, how long the subscriber has been waiting.
    package var oldestCreatedAt: Date

    package init(subscriptionId: String, state: DeliveryState, count: Int, oldestCreatedAt: Date) {
        self.subscriptionId = subscriptionId
        self.state = state
        self.count = count
        self.oldestCreatedAt = oldestCreatedAt
    }
}
