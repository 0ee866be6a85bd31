import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import Metrics
import Prometheus
import Storage
import Tokens

/// `GET /readyz` and `GET /metrics`: unauthenticated, like `/healthz`, so probes and scrapers need no
/// client key. Neither reveals a secret, an instance or a caller's string.
struct ObservabilityRoutes: Sendable {
    let readiness: ReadinessCheck
    let registry: PrometheusCollectorRegistry
    let upstreamName: String

    func register(on router: Router<GatewayRequestContext>) {
        router.get("readyz") { _, _ in await self.ready() }
        router.get("metrics") { _, _ in await self.metrics() }
    }

    /// Only the store decides readiness. A token profile that cannot get a token is reported as `degraded` with
    /// 200: Maskinporten being down is the same for every replica, so taking them all out of the Service would
    /// also stop the event feed, the audit routes and the Altinn Events endpoint, which need no token; the sign
    /// routes answer `token-unavailable` meanwhile, and the token metrics alert.
    func ready() async -> Response {
        let findings = await self.readiness.run()
        let notReady = findings.filter { !$0.ready && !$0.name.hasPrefix("tokenProfile:") }
        let degraded = findings.filter { !$0.ready && $0.name.hasPrefix("tokenProfile:") }
        let status = !notReady.isEmpty ? "notReady" : degraded.isEmpty ? "ready" : "degraded"
        let body: JSONValue = .object([
            ("status", .string(status)), ("upstream", .string(self.upstreamName)),
            ("notReady", .array(notReady.map { .string($0.name) })),
            ("degraded", .array(degraded.map { .string($0.name) })),
            (
                "checks",
                .array(
                    findings.map { finding in
                        var members: [(String, JSONValue)] = [
                            ("name", .string(finding.name)), ("ready", .bool(finding.ready)),
                        ]
                        if let detail = finding.detail { members.append(("detail", .string(detail))) }
                        return .object(members)
                    })
            ),
        ])
        return Response(
            stored: StoredResponse(
                status: notReady.isEmpty ? 200 : 503, contentType: "application/json", body: body.serialized))
    }

    func metrics() async -> Response {
        await self.recordTokenExpiries()
        return Response(
            status: .ok,
            headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
            body: .init(byteBuffer: ByteBuffer(bytes: self.registry.emitToBuffer())))
    }

    /// Seconds until expiry is a function of the scrape time, so it is computed here rather than stored.
    /// A profile holding no token reads 0 (alert on it); static profiles have no known expiry and no series.
    private func recordTokenExpiries() async {
        let now = Date()
        for (profile, expiry) in await self.readiness.tokens.tokenExpiries() {
            let seconds = expiry.map { max(0, $0.timeIntervalSince(now)) } ?? 0
            Metrics.Gauge(label: GatewayMetrics.tokenSecondsUntilExpiry, dimensions: [("profile", profile)]).record(
                seconds)
        }
    }
}
