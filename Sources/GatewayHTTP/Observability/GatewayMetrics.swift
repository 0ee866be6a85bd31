import Metrics
import Primitives
package import Prometheus

/// The process's one Prometheus registry. swift-metrics has a single global backend, so it is bootstrapped
/// once per process (the first application built), and `GET /metrics` renders this registry.
package enum GatewayMetrics {
    package static let registry = PrometheusCollectorRegistry()

    static let inboundRequests = "signing_gateway_http_requests_total"
    static let inboundDuration = "signing_gateway_http_request_duration_seconds"
    static let tokenSecondsUntilExpiry = "signing_gateway_token_seconds_until_expiry"

    /// Runs the bootstrap at most once, thread-safely (a global's lazy initializer).
    private static let bootstrapped: Bool = {
        var factory = PrometheusMetricsFactory(registry: registry)
        // Sub-millisecond to a few seconds: a gateway hop is ~1 ms, an Altinn call up to the upstream deadline.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
            .seconds(1), .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        // Handles made before this are bound to the no-op backend.
        HandleCaches.invalidateAll()
        return true
    }()

    /// Installs the Prometheus backend for swift-metrics, once per process.
    package static func bootstrap() {
        _ = Self.bootstrapped
    }
}
