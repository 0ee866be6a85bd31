import Metrics
import Primitives

/// The use cases' counters: idempotency outcomes and audit appends. Recorded through the swift-metrics
/// API, so they are free until the executable bootstraps a backend. Labels are closed sets.
package enum UseCaseMetrics {
    package static let idempotency = "signing_gateway_idempotency_total"
    package static let auditAppends = "signing_gateway_audit_appends_total"
    /// A call whose audit record could not be written (the store failed): the caller got a problem, and the audit
    /// log has a gap an operator must explain. Alerted on.
    package static let auditAppendFailures = "signing_gateway_audit_append_failures_total"

    /// `result`: `fresh`, `replayed`, `inFlight`, `fingerprintMismatch` or `outcomeUnknown`.
    static func idempotency(_ result: String) {
        Self.counters.value(Key(label: Self.idempotency, value: result)) {
            Metrics.Counter(label: Self.idempotency, dimensions: [("result", result)])
        }.increment()
    }

    /// `operation` is the audit record's operation (`sign`, `processNext`, `signingState`, `refused`).
    static func auditAppended(operation: String) {
        Self.counters.value(Key(label: Self.auditAppends, value: operation)) {
            Metrics.Counter(label: Self.auditAppends, dimensions: [("operation", operation)])
        }.increment()
    }

    /// A counter of one dimension: its label and the dimension's value.
    private struct Key: Hashable, Sendable {
        var label: String
        var value: String
    }

    private static let counters = HandleCache<Key, Metrics.Counter>()

    /// The failure series exist from the start at 0, so a scrape sees them and `increase()` catches the first one.
    package static func registerFailureSeries() {
        for operation in ["sign", "processNext", "reject", "signingState", "trackerProcessNext", "refused"] {
            Metrics.Counter(label: Self.auditAppendFailures, dimensions: [("operation", operation)]).increment(by: 0)
        }
    }

    static func auditAppendFailed(operation: String) {
        Metrics.Counter(label: Self.auditAppendFailures, dimensions: [("operation", operation)]).increment()
    }
}
