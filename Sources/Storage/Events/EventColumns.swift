import Foundation

/// The events tables' columns in the order both engines select and insert them, and the encodings both share.
enum EventColumns {
    static let tracked = [
        "instance", "client_id", "token_profile", "task_id", "complete_when_all_signed", "status", "snapshot",
        "polls", "next_poll_at", "deadline", "process_next_state", "process_next_token", "process_next_claimed_at",
        "traceparent", "last_error", "lease_owner", "lease_until", "created_at", "updated_at",
    ]

    static let subscription = [
        "id", "url", "types", "apps", "enabled", "disabled_reason", "description", "secret", "previous_secret",
        "previous_secret_expires_at", "created_at", "updated_at", "owner",
    ]

    static let delivery = [
        "id", "subscription_id", "event_id", "event_sequence", "event_type", "instance", "state", "attempts",
        "failures_since_armed", "next_attempt_at", "last_status", "last_verdict", "created_at", "updated_at",
    ]

    static let event = ["sequence", "id", "type", "instance", "app", "time_micros", "body"]

    static let attempt = [
        "delivery_id", "number", "time_micros", "status", "latency_micros", "verdict", "response_excerpt",
    ]

    /// `names` joined, each prefixed with `alias.` when given.
    static func list(_ names: [String], alias: String? = nil) -> String {
        names.map { name in alias.map { "\($0).\(name)" } ?? name }.joined(separator: ", ")
    }

    /// Subscription filters are stored space-joined (values never contain spaces); "" is the empty list.
    static func joined(_ values: [String]) -> String { values.joined(separator: " ") }

    static func split(_ text: String) -> [String] { text.split(separator: " ").map(String.init) }

    /// The SQL condition "an event of type `type` about app `app` matches subscription `s`", the same in both
    /// engines (`position` is SQLite's `instr`, PostgreSQL's `strpos`); mirrors `Subscription.matches`.
    static func matches(subscription s: String, type: String, app: String, position: String) -> String {
        """
        (\(s).types = '' OR \(position)(' ' || \(s).types || ' ', ' ' || \(type) || ' ') > 0) \
        AND (\(s).apps = '' OR \(position)(' ' || \(s).apps || ' ', ' ' || \(app) || ' ') > 0)
        """
    }

    /// "Subscription `s` has no pending delivery of event `ev`": a replay adds no second copy of what still waits.
    static func noPendingDelivery(subscription s: String, event ev: String) -> String {
        """
        NOT EXISTS (SELECT 1 FROM deliveries p WHERE p.state = 'pending' AND p.subscription_id = \(s).id \
        AND p.event_id = \(ev).id)
        """
    }

    /// The retention pass, in order (attempts, deliveries, events), both engines; `cutoff` is the placeholder of
    /// the cutoff time in microseconds (`?1` in SQLite, `$1` in PostgreSQL).
    /// Attempts since `since` (a placeholder), per subscription and verdict, with the latest time of each.
    static func attemptSummary(since: String) -> String {
        """
        SELECT d.subscription_id, a.verdict, count(*), max(a.time_micros)
        FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id
        WHERE a.time_micros >= \(since)
        GROUP BY d.subscription_id, a.verdict ORDER BY d.subscription_id, a.verdict
        """
    }

    static func prune(cutoff: String) -> [String] {
        [
            """
            DELETE FROM delivery_attempts WHERE delivery_id IN (
                SELECT id FROM deliveries WHERE state IN ('delivered', 'dead') AND updated_at < \(cutoff))
            """,
            "DELETE FROM deliveries WHERE state IN ('delivered', 'dead') AND updated_at < \(cutoff)",
            """
            DELETE FROM events WHERE time_micros < \(cutoff)
            AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.event_sequence = events.sequence)
            """,
        ]
    }

    /// The claim's ordering rule: the candidate is the earliest pending delivery of its subscription and instance.
    /// `d` is the candidate's alias. Written as "equals the first row" (an ordered index lookup that stops at one
    /// row) rather than "no earlier row exists", which PostgreSQL planned as a scan per candidate whenever its
    /// statistics lagged behind a burst of new deliveries.
    static func noEarlierPending(_ d: String) -> String {
        """
        (\(d).event_sequence, \(d).id) = (
            SELECT e.event_sequence, e.id FROM deliveries e
            WHERE e.state = 'pending' AND e.subscription_id = \(d).subscription_id AND e.instance = \(d).instance
            ORDER BY e.subscription_id, e.instance, e.event_sequence, e.id LIMIT 1
        )
        """
    }

    // MARK: Process-next guard

    struct GuardColumns {
        var state: String
        var token: String?
        var claimedAtMicros: Int64?
    }

    static func columns(_ guardValue: ProcessNextGuard) -> GuardColumns {
        switch guardValue {
        case .notClaimed: return GuardColumns(state: "not_claimed", token: nil, claimedAtMicros: nil)
        case .claimed(let token, let at):
            return GuardColumns(state: "claimed", token: token, claimedAtMicros: StoredTime.micros(at))
        case .done: return GuardColumns(state: "done", token: nil, claimedAtMicros: nil)
        }
    }

    static func processNext(state: String, token: String?, claimedAtMicros: Int64?) throws(StoreError)
        -> ProcessNextGuard
    {
        switch state {
        case "not_claimed": return .notClaimed
        case "done": return .done
        case "claimed":
            guard let token, let claimedAtMicros else {
                throw .failed("tracked instance: a claimed process-next guard lacks its token or time")
            }
            return .claimed(token: token, at: StoredTime.date(micros: claimedAtMicros))
        default: throw .failed("tracked instance: unknown process-next state")
        }
    }

    static func status(_ text: String) throws(StoreError) -> TrackingStatus {
        guard let status = TrackingStatus(rawValue: text) else { throw .failed("tracked instance: unknown status") }
        return status
    }

    static func state(_ text: String) throws(StoreError) -> DeliveryState {
        guard let state = DeliveryState(rawValue: text) else { throw .failed("delivery: unknown state") }
        return state
    }

    /// The state and next attempt an outcome leaves a delivery in, and whether it counts as a failure.
    static func after(_ next: DeliveryOutcome.Next) -> (state: DeliveryState, nextAttemptAt: Int64?, failed: Bool) {
        switch next {
        case .delivered: return (.delivered, nil, false)
        case .retry(let at): return (.pending, StoredTime.micros(at), true)
        case .dead: return (.dead, nil, true)
        }
    }
}
