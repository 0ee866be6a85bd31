package import Foundation
import Metrics
package import Storage
import Webhooks

/// Events and deliveries. Labels are closed sets: event types from the catalogue, verdicts, subscription ids
/// (configured by operators, not by callers) — never instance ids.
package enum EventMetrics {
    package static let appended = "signing_gateway_events_appended_total"
    package static let attempts = "signing_gateway_delivery_attempts_total"
    package static let attemptSeconds = "signing_gateway_delivery_attempt_duration_seconds"
    package static let deadLettered = "signing_gateway_deliveries_dead_lettered_total"
    package static let outboxDepth = "signing_gateway_outbox_depth"
    /// Age of the oldest pending delivery per subscription (0 when none): depth says how much waits, this says
    /// for how long, which is what a subscriber's outage looks like.
    package static let oldestPending = "signing_gateway_outbox_oldest_pending_seconds"
    package static let deadLetters = "signing_gateway_dead_letters"
    package static let tracked = "signing_gateway_tracked_instances"
    /// Signees of actively tracked instances stalled past `events.stallAfterHours`, per reason.
    package static let stalled = "signing_gateway_stalled_signees"

    static func appended(_ events: [EventRecord]) {
        for event in events {
            Metrics.Counter(label: Self.appended, dimensions: [("type", event.event.type)]).increment()
        }
    }

    static func attempt(subscription: String, verdict: String, seconds: Double) {
        Metrics.Counter(label: Self.attempts, dimensions: [("subscription", subscription), ("verdict", verdict)])
            .increment()
        Metrics.Timer(label: Self.attemptSeconds, dimensions: [("subscription", subscription)])
            .recordNanoseconds(Int64(seconds * 1e9))
    }

    static func deadLettered(subscription: String) {
        Metrics.Counter(label: Self.deadLettered, dimensions: [("subscription", subscription)]).increment()
    }

    /// A deleted subscription's series go with it, so deleting and creating subscriptions cannot grow them.
    static func forget(subscription: String) {
        for verdict in DeliveryVerdict.allCases {
            Metrics.Counter(
                label: Self.attempts, dimensions: [("subscription", subscription), ("verdict", verdict.rawValue)]
            )
            .destroy()
        }
        Metrics.Timer(label: Self.attemptSeconds, dimensions: [("subscription", subscription)]).destroy()
        Metrics.Counter(label: Self.deadLettered, dimensions: [("subscription", subscription)]).destroy()
        Gauge(label: Self.outboxDepth, dimensions: [("subscription", subscription)]).destroy()
        Gauge(label: Self.oldestPending, dimensions: [("subscription", subscription)]).destroy()
        Gauge(label: Self.deadLetters, dimensions: [("subscription", subscription)]).destroy()
    }

    /// The stalled-signee gauge, from the census of the store's tracked instances.
    package static func record(stalled: [StallReason: Int]) {
        for reason in StallReason.allCases {
            Gauge(label: Self.stalled, dimensions: [("reason", reason.rawValue)]).record(stalled[reason] ?? 0)
        }
    }

    /// Gauges from the store's counts, refreshed periodically.
    package static func record(
        deliveries: [DeliveryCount], tracking: [TrackingCount], subscriptions: [String], now: Date = Date()
    ) {
        for id in subscriptions {
            let pending = deliveries.first { $0.subscriptionId == id && $0.state == .pending }
            let dead = deliveries.first { $0.subscriptionId == id && $0.state == .dead }?.count ?? 0
            Gauge(label: Self.outboxDepth, dimensions: [("subscription", id)]).record(pending?.count ?? 0)
            Gauge(label: Self.oldestPending, dimensions: [("subscription", id)]).record(
                pending.map { max(0, now.timeIntervalSince($0.oldestCreatedAt)) } ?? 0)
            Gauge(label: Self.deadLetters, dimensions: [("subscription", id)]).record(dead)
        }
        for status in TrackingStatus.allCases {
            let count = tracking.first { $0.status == status }?.count ?? 0
            Gauge(label: Self.tracked, dimensions: [("status", status.rawValue)]).record(count)
        }
    }
}
