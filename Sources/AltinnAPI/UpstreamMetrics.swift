import Metrics

/// Counts and times Altinn app-API calls by operation and status class. Labels are a closed set
/// (the route table's operations × `2xx`…`5xx`/`error`), never an instance id or a caller's string.
enum UpstreamMetrics {
    static let requests = "signing_gateway_upstream_requests_total"
    static let duration = "signing_gateway_upstream_request_duration_seconds"

    static func record(_ operation: AltinnOperation, statusClass: String, elapsed: Duration) {
        let dimensions = [("operation", operation.metricLabel), ("status", statusClass)]
        Metrics.Counter(label: Self.requests, dimensions: dimensions).increment()
        Metrics.Timer(label: Self.duration, dimensions: dimensions).recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    static func statusClass(_ code: Int) -> String {
        (100...599).contains(code) ? "\(code / 100)xx" : "other"
    }
}

extension AltinnOperation {
    /// Prometheus-friendly spelling (no spaces or slashes).
    var metricLabel: String {
        switch self {
        case .getProcess: return "getProcess"
        case .processNext: return "processNext"
        case .performAction: return "performAction"
        case .getSigningState: return "getSigningState"
        case .getSigningDataElements: return "getSigningDataElements"
        case .getSigningOrganizations: return "getSigningOrganizations"
        case .getApplicationMetadata: return "getApplicationMetadata"
        case .getProcessDefinition: return "getProcessDefinition"
        }
    }
}
