import Metrics
import Primitives

/// Counts and times Altinn app-API calls by operation and status class. Labels are a closed set
/// (the route table's operations × `2xx`…`5xx`/`error`), never an instance id or a caller's string.
enum UpstreamMetrics {
    static let requests = "signing_gateway_upstream_requests_total"
    static let duration = "signing_gateway_upstream_request_duration_seconds"

    static func record(_ operation: AltinnOperation, statusClass: String, elapsed: Duration) {
        let series = Self.series.value(Series.Key(operation: operation, statusClass: statusClass)) {
            let dimensions = [("operation", operation.metricLabel), ("status", statusClass)]
            return Series(
                requests: Metrics.Counter(label: Self.requests, dimensions: dimensions),
                duration: Metrics.Timer(label: Self.duration, dimensions: dimensions))
        }
        series.requests.increment()
        series.duration.recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    private struct Series: Sendable {
        struct Key: Hashable, Sendable {
            var operation: AltinnOperation
            var statusClass: String
        }
        var requests: Metrics.Counter
        var duration: Metrics.Timer
    }

    private static let series = HandleCache<Series.Key, Series>()

    static func statusClass(_ code: Int) -> String {
        (100...599).contains(code) ? "\(code / 100)xx" : "other"
    }
}

extension AltinnOperation {
    /// Prometheus-friendly spelling (no spaces or slashes).
    var metricLabel: String { "\(self)" }  // the case name: `getProcess`, `processNext`, …
}
