import AltinnSimulator
import Foundation
import Gateway
import HTTPTypes
import Storage
import Testing
import Tokens

/// Readiness, trace propagation, metrics and structured logs over real HTTP.
@Suite struct OperateTests {
    static let traceparent = HTTPField.Name("traceparent")!

    @Test func readyWhenStoreAndTokenProfilesAreUsable() async throws {
        try await Harness.run(Harness.Options(maskinporten: true)) { h in
            // The first probe fetches the token (grant and exchange) within the check's 2 s deadline; on a machine
            // running every suite at once that can take longer, and the probe then answers "degraded" (in service)
            // until a fetch completes. So: never out of service, and ready once the token is there.
            let became = try await Harness.eventually(within: 30) {
                let probe = try await h.send(.get, "/readyz", authorized: false)
                #expect(probe.status == 200)
                #expect(probe.json["status"] as? String != "notReady", "\(probe.text)")
                return probe.json["status"] as? String == "ready"
            }
            #expect(became)
            let reply = try await h.send(.get, "/readyz", authorized: false)
            #expect(reply.status == 200)
            #expect(reply.json["status"] as? String == "ready")
            #expect(reply.json["upstream"] as? String == "simulator")
            let names = (reply.json["checks"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String }
            #expect(names == ["store", "tokenProfile:dev"])
        }
    }

    @Test func aFailingTokenProfileDegradesButKeepsTheReplicaInService() async throws {
        try await Harness.run(Harness.Options(maskinporten: true)) { h in
            // Maskinporten answers 503: the profile cannot get a token.
            await h.simulator.authority.setMaskinportenFailure(status: 503)
            let reply = try await h.send(.get, "/readyz", authorized: false)
            #expect(reply.status == 200)
            #expect(reply.json["status"] as? String == "degraded")
            #expect(reply.json["degraded"] as? [String] == ["tokenProfile:dev"])
            #expect(reply.json["notReady"] as? [String] == [])
            #expect(!reply.text.contains("eyJ"))
            // The gateway's words, never what Maskinporten said.
            #expect(reply.text.contains("no token can be obtained"))
            for upstream in ["server_error", "Maskinporten is unavailable", "503"] {
                #expect(!reply.text.contains(upstream), "\(upstream)")
            }
        }
    }

    @Test("the status route tells each token profile's last refresh and its last failure's step")
    func tokenHistoryInStatus() async throws {
        try await Harness.run(Harness.Options(maskinporten: true)) { h in
            #expect(try await h.sign(Harness.demoB).status == 200)
            func profile() async throws -> [String: Any] {
                let status = try await h.send(.get, "/v1/status")
                #expect(status.status == 200)
                return (status.json["tokenProfiles"] as? [[String: Any]])?.first ?? [:]
            }
            let fresh = try await profile()
            #expect(fresh["lastRefreshAt"] is String)
            #expect(fresh["lastFailureStep"] is NSNull)
            // The cached token is dropped (as after Altinn's 401) and Maskinporten now fails.
            await h.simulator.authority.setMaskinportenFailure(status: 503)
            await h.simulator.authority.revokeIssuedTokens()
            _ = try await h.sign(Harness.demoC, mode: "single")
            let failed = try await profile()
            #expect(failed["lastFailureAt"] is String, "\(failed)")
            #expect((failed["lastFailureStep"] as? String)?.contains("maskinporten") == true, "\(failed)")
        }
    }

    @Test func notReadyWhenTheStoreIsClosed() async throws {
        try await Harness.run { h in
            await h.store.close()
            let reply = try await h.send(.get, "/readyz", authorized: false)
            #expect(reply.status == 503)
            #expect((reply.json["notReady"] as? [String])?.contains("store") == true)
        }
    }

    @Test func inboundTraceIsContinuedOnEveryAltinnCallAndInTheAudit() async throws {
        try await Harness.run { h in
            let traceId = "4bf92f3577b34da6a3ce929d0e0e4736"
            let inbound = "00-\(traceId)-00f067aa0ba902b7-01"
            let reply = try await h.send(
                .post, "/v1/signatures",
                body: #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel"}"#,
                headers: [.contentType: "application/json", Self.traceparent: inbound])
            #expect(reply.status == 200)
            let returned = try #require(reply.headers[Self.traceparent])
            #expect(returned.hasPrefix("00-\(traceId)-") && returned != inbound)
            let upstream = await h.simulator.state.recordedRequests().compactMap(\.traceparent)
            #expect(upstream.count >= 2)  // the sign and the signing-state read
            #expect(upstream.allSatisfy { $0.hasPrefix("00-\(traceId)-") })
            #expect(Set(upstream).count == upstream.count)  // a new span id per call
            let audit = try await h.store.auditRecords(after: 0, limit: 10, filter: .init())
            #expect(audit.last?.entry.traceparent == returned)
        }
    }

    @Test func aMissingOrMalformedTraceparentStartsANewTrace() async throws {
        try await Harness.run { h in
            for header in [nil, "00-00000000000000000000000000000000-00f067aa0ba902b7-01", "garbage"] {
                var fields: HTTPFields = [:]
                if let header { fields[Self.traceparent] = header }
                let reply = try await h.send(
                    .get, "/v1/instances/ttd/signing-app/\(Harness.demoA)/signees", headers: fields)
                let returned = try #require(reply.headers[Self.traceparent])
                #expect(returned.split(separator: "-").count == 4 && returned != header)
                let audit = try await h.store.auditRecords(after: 0, limit: 100, filter: .init())
                #expect(audit.last?.entry.traceparent == returned)
            }
        }
    }

    @Test func metricsCountRequestsUpstreamCallsTokensIdempotencyAndAudit() async throws {
        try await Harness.run(Harness.Options(maskinporten: true)) { h in
            let key = "\"metrics-\(UUID().uuidString)\""
            #expect(try await h.sign(Harness.demoB, key: key).status == 200)
            #expect(try await h.sign(Harness.demoB, key: key).status == 200)  // replayed
            let reply = try await h.send(.get, "/metrics", authorized: false)
            #expect(reply.status == 200)
            #expect(reply.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = reply.text
            for expected in [
                #"signing_gateway_http_requests_total{route="/v1/signatures",method="POST",status="2xx"}"#,
                #"signing_gateway_http_request_duration_seconds_bucket{route="/v1/signatures",method="POST",status="2xx""#,
                #"signing_gateway_upstream_requests_total{operation="performAction",status="2xx"}"#,
                #"signing_gateway_upstream_request_duration_seconds_count{operation="getSigningState",status="2xx"}"#,
                #"signing_gateway_token_fetches_total{profile="dev",result="success"}"#,
                #"signing_gateway_token_seconds_until_expiry{profile="dev"}"#,
                #"signing_gateway_idempotency_total{result="replayed"}"#,
                #"signing_gateway_idempotency_total{result="fresh"}"#,
                #"signing_gateway_audit_appends_total{operation="sign"}"#,
            ] {
                #expect(text.contains(expected), "missing \(expected)")
            }
            // No instance id, key or other caller-chosen string as a label value.
            #expect(!text.contains("5d9e906b"))
            #expect(!text.contains("metrics-"))
        }
    }

    @Test("the outbox gauges say how long the oldest pending delivery has waited, per subscription")
    func oldestPendingAge() async throws {
        try await Harness.run { h in
            let now = Date()
            EventMetrics.record(
                deliveries: [
                    DeliveryCount(
                        subscriptionId: "sub-aged", state: .pending, count: 2, oldestCreatedAt: now - 1800),
                    DeliveryCount(subscriptionId: "sub-aged", state: .dead, count: 1, oldestCreatedAt: now - 9000),
                ],
                tracking: [], subscriptions: ["sub-aged", "sub-idle"], now: now)
            let text = try await h.send(.get, "/metrics", authorized: false).text
            func value(_ series: String) -> Double? {
                text.split(separator: "\n").first { $0.hasPrefix(series + " ") }
                    .flatMap { Double($0.split(separator: " ").last ?? "") }
            }
            #expect(value(#"signing_gateway_outbox_oldest_pending_seconds{subscription="sub-aged"}"#) == 1800)
            #expect(value(#"signing_gateway_outbox_oldest_pending_seconds{subscription="sub-idle"}"#) == 0)
            #expect(value(#"signing_gateway_outbox_depth{subscription="sub-aged"}"#) == 2)
            #expect(value(#"signing_gateway_dead_letters{subscription="sub-aged"}"#) == 1)
        }
    }

    @Test func jsonLogsCarryRequestFactsAndNoSecret() async throws {
        try await Harness.run(Harness.Options(maskinporten: true)) { h in
            #expect(try await h.sign(Harness.demoC).status == 200)
            let lines = h.logs.json
            #expect(!lines.isEmpty)
            let objects = lines.compactMap {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
            #expect(objects.count == lines.count)  // every line is one JSON object
            #expect(objects.allSatisfy { $0["time"] is String && $0["level"] is String && $0["message"] is String })
            let request = try #require(
                objects.first { $0["message"] as? String == "request" && $0["operation"] as? String == "sign" })
            #expect(request["hb.request.id"] is String)
            #expect((request["traceparent"] as? String)?.hasPrefix("00-") == true)
            #expect(request["clientId"] is String)
            #expect(request["outcome"] as? String == "succeeded")
            #expect(objects.contains { $0["message"] as? String == "token obtained" })  // a real token fetch
            let text = lines.joined(separator: "\n")
            #expect(!text.contains("eyJ"))  // no JWT: neither the grant nor the Altinn token
            #expect(!text.contains(h.clientKey))
            let pem = try String(contentsOfFile: E2EKey.written.privateKeyPath, encoding: .utf8)
            for line in pem.split(separator: "\n") where !line.hasPrefix("-----") {
                #expect(!text.contains(line))
            }
        }
    }
}
