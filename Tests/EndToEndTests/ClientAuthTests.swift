import App
import Foundation
import GatewayHTTP
import HTTPTypes
import Storage
import Synchronization
import Testing
import Webhooks

/// Configured clients over real HTTP: API keys, Standard Webhooks signatures, policy, rate limits, and the
/// audit trail of every refusal — with no secret anywhere.
@Suite struct ClientAuthTests {
    static let secretText = WebhookSecret.generate().encoded
    static let readerKey = APIKeyGenerator.generate()
    static let erpKey = APIKeyGenerator.generate()
    static let signBody = #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel"}"#

    static func client(
        _ credentials: [GatewayConfiguration.Credential], apps: [String], operations: [String],
        profiles: [String]? = nil, rateLimit: GatewayConfiguration.RateLimitSetting? = nil
    ) -> GatewayConfiguration.Client {
        var client = GatewayConfiguration.Client()
        client.credentials = credentials
        client.policy.apps = apps
        client.policy.operations = operations
        client.policy.tokenProfiles = profiles
        client.policy.rateLimit = rateLimit
        return client
    }

    static func apiKey(_ key: String, id: String = "k1") -> GatewayConfiguration.Credential {
        var credential = GatewayConfiguration.Credential()
        credential.id = id
        credential.apiKeySha256 = APIKeyGenerator.sha256Hex(key)
        return credential
    }

    static func hmac(env: String, id: String = "s1") -> GatewayConfiguration.Credential {
        var credential = GatewayConfiguration.Credential()
        credential.id = id
        credential.hmacSecretEnv = env
        return credential
    }

    static var options: Harness.Options {
        var options = Harness.Options()
        options.clients = [
            "reader": client([apiKey(readerKey)], apps: ["ttd/*"], operations: ["read"]),
            "erp": client(
                [apiKey(erpKey), hmac(env: "ERP_WHSEC")], apps: ["ttd/signing-app"],
                operations: ["sign", "processNext", "read"], profiles: ["dev"]),
            "other-app": client([apiKey("other-app-key-0123456789")], apps: ["acme/*"], operations: ["sign", "read"]),
            "limited": client(
                [apiKey("limited-key-0123456789")], apps: ["*"], operations: ["read"],
                rateLimit: .init(perSecond: 0.001, burst: 2)),
        ]
        options.clientEnvironment = ["ERP_WHSEC": secretText]
        return options
    }

    func signedHeaders(id: String, timestamp: Int64, body: String, secret: String = Self.secretText) throws
        -> HTTPFields
    {
        let key = try WebhookSecret(encoded: secret)
        return [
            .contentType: "application/json", HTTPField.Name("webhook-id")!: id,
            HTTPField.Name("webhook-timestamp")!: "\(timestamp)",
            HTTPField.Name("webhook-signature")!: WebhookSigner.signature(
                id: id, timestamp: timestamp, body: Array(body.utf8), secrets: [key]),
        ]
    }

    var now: Int64 { Int64(Date().timeIntervalSince1970) }

    @Test func policyRefusalsNeverReachAltinn() async throws {
        try await Harness.run(Self.options) { h in
            func bearer(_ key: String) -> HTTPFields {
                [.contentType: "application/json", .authorization: "Bearer \(key)"]
            }
            // A read-only client may not sign, nor read the audit log.
            let sign = try await h.send(.post, "/v1/signatures", body: Self.signBody, headers: bearer(Self.readerKey))
            #expect(sign.status == 403)
            #expect(sign.problemType == "/problems/forbidden")
            #expect(sign.json["operation"] as? String == "sign")
            let audit = try await h.send(.get, "/v1/audit", headers: bearer(Self.readerKey))
            #expect(audit.status == 403)
            // Wrong app, and a token profile outside the client's list.
            let app = try await h.send(
                .post, "/v1/signatures", body: Self.signBody, headers: bearer("other-app-key-0123456789"))
            #expect(app.status == 403)
            #expect(app.json["app"] as? String == "ttd/signing-app")
            let profile = try await h.send(
                .post, "/v1/signatures",
                body:
                    #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel","tokenProfile":"prod"}"#,
                headers: bearer(Self.erpKey))
            #expect(profile.status == 403)
            #expect(await h.upstreamRequestCount() == 0)
            // Inside policy it goes through, with the client's id in the audit log.
            let read = try await h.send(
                .get, "/v1/instances/ttd/signing-app/\(Harness.demoA)/signees", headers: bearer(Self.readerKey))
            #expect(read.status == 200, "\(read.text)")
            let records = try await h.store.auditRecords(after: 0, limit: 100, filter: AuditFilter())
            let outcomes = records.map { "\($0.entry.clientId ?? "-") \($0.entry.outcome)" }
            #expect(outcomes.contains("reader refused:forbidden:operation-not-allowed:sign"))
            #expect(outcomes.contains("reader refused:forbidden:operation-not-allowed:admin"))
            #expect(outcomes.contains("other-app refused:forbidden:app-not-allowed:ttd/signing-app"))
            #expect(outcomes.contains("erp refused:forbidden:token-profile-not-allowed:prod"))
            #expect(records.allSatisfy { $0.entry.sourceAddress == "127.0.0.1" })
        }
    }

    @Test func rateLimitAnswers429WithRetryAfter() async throws {
        try await Harness.run(Self.options) { h in
            let headers: HTTPFields = [.authorization: "Bearer limited-key-0123456789"]
            let path = "/v1/instances/ttd/signing-app/\(Harness.demoA)/signees"
            #expect(try await h.send(.get, path, headers: headers).status == 200)
            #expect(try await h.send(.get, path, headers: headers).status == 200)
            let third = try await h.send(.get, path, headers: headers)
            #expect(third.status == 429)
            #expect(third.problemType == "/problems/rate-limited")
            #expect(Int(third.headers[HTTPField.Name("Retry-After")!] ?? "") ?? 0 >= 1)
            // Other clients have their own bucket.
            #expect(try await h.send(.get, path).status == 200)
        }
    }

    @Test func signedRequestsAreVerifiedOverTheRawBody() async throws {
        try await Harness.run(Self.options) { h in
            let id = "msg_\(UUID().uuidString)"
            // Odd spacing on purpose: the signature covers the bytes as sent, not a re-serialisation.
            let body = #"{ "app" : "ttd/signing-app", "instanceId":"\#(Harness.demoA)","mode":"parallel" }"#
            let headers = try self.signedHeaders(id: id, timestamp: self.now, body: body)
            let first = try await h.send(
                .post, "/v1/signatures", body: body, headers: headers, authorized: false, idempotencyKey: nil)
            #expect(first.status == 200, "\(first.text)")
            #expect(await h.signCalls(Harness.demoA) == 1)
            // The same delivery again: refused as a replay, nothing forwarded.
            let again = try await h.send(
                .post, "/v1/signatures", body: body, headers: headers, authorized: false, idempotencyKey: nil)
            #expect(again.status == 409)
            #expect(again.problemType == "/problems/webhook-replayed")
            #expect(await h.signCalls(Harness.demoA) == 1)
            // The webhook-id served as the Idempotency-Key.
            let records = try await h.store.auditRecords(after: 0, limit: 100, filter: AuditFilter(clientId: "erp"))
            #expect(records.contains { $0.entry.operation == "sign" && $0.entry.idempotencyKey == id })
            #expect(records.contains { $0.entry.outcome == "refused:webhook-replayed:replayed-webhook-id" })
        }
    }

    @Test func badSignaturesAreRefused() async throws {
        try await Harness.run(Self.options) { h in
            let body = Self.signBody
            func send(_ headers: HTTPFields, body: String = Self.signBody) async throws -> Harness.Reply {
                try await h.send(
                    .post, "/v1/signatures", body: body, headers: headers, authorized: false, idempotencyKey: nil)
            }
            let tampered = try self.signedHeaders(id: "msg_a", timestamp: self.now, body: body)
            let otherBody = body.replacingOccurrences(of: "parallel", with: "sequential")
            let cases: [(String, HTTPFields, String, String)] = [
                ("different body", tampered, otherBody, "signature-invalid"),
                (
                    "stale", try self.signedHeaders(id: "msg_b", timestamp: self.now - 360, body: body), body,
                    "signature-invalid"
                ),
                (
                    "future", try self.signedHeaders(id: "msg_c", timestamp: self.now + 360, body: body), body,
                    "signature-invalid"
                ),
                (
                    "other secret",
                    try self.signedHeaders(
                        id: "msg_d", timestamp: self.now, body: body, secret: WebhookSecret.generate().encoded), body,
                    "signature-invalid"
                ),
                (
                    "dot in id", try self.signedHeaders(id: "msg.e", timestamp: self.now, body: body), body,
                    "signature-invalid"
                ),
            ]
            for (name, headers, sent, type) in cases {
                let reply = try await send(headers, body: sent)
                #expect(reply.status == 401, "\(name): \(reply.text)")
                #expect(reply.problemType == "/problems/\(type)", "\(name)")
            }
            var incomplete = try self.signedHeaders(id: "msg_f", timestamp: self.now, body: body)
            incomplete[HTTPField.Name("webhook-signature")!] = nil
            #expect(try await send(incomplete).status == 401)
            var both = try self.signedHeaders(id: "msg_g", timestamp: self.now, body: body)
            both[.authorization] = "Bearer \(Self.erpKey)"
            #expect(try await send(both).problemType == "/problems/unauthenticated")
            var repeated = try self.signedHeaders(id: "msg_h", timestamp: self.now, body: body)
            repeated.append(HTTPField(name: HTTPField.Name("webhook-id")!, value: "msg_i"))
            #expect(try await send(repeated).status == 401)
            #expect(await h.upstreamRequestCount() == 0)
            // No client was established: counted per (source, reason), written when the window closes.
            #expect(try await h.store.auditRecords(after: 0, limit: 100, filter: AuditFilter()).isEmpty)
            try await h.flushRefusals()
            let records = try await h.store.auditRecords(after: 0, limit: 100, filter: AuditFilter())
            #expect(records.allSatisfy { $0.entry.operation == "refused" && $0.entry.clientId == nil })
            let reasons = Set(
                records.compactMap { record in
                    record.entry.outcome.range(of: " x", options: .backwards).map {
                        String(record.entry.outcome[..<$0.lowerBound])
                    }
                })
            for reason in [
                "signature-mismatch", "stale-timestamp", "future-timestamp", "malformed-webhook-id",
                "incomplete-signature-headers", "repeated-header:webhook-id",
            ] {
                #expect(
                    reasons.contains("refused:signature-invalid:\(reason)")
                        || reasons.contains("refused:unauthenticated:\(reason)"), "\(reason)")
            }
        }
    }

    @Test func duplicateMembersAndOversizedHeaders() async throws {
        try await Harness.run(Self.options) { h in
            let duplicate = try await h.send(
                .post, "/v1/signatures",
                body:
                    #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel","mode":"sequential"}"#
            )
            #expect(duplicate.status == 400)
            let errors = duplicate.json["errors"] as? [[String: Any]]
            #expect(errors?.first?["pointer"] as? String == "/mode")
            let escaped = try await h.send(
                .post, "/v1/signatures",
                body:
                    #"{"app":"ttd/signing-app","\u0061pp":"ttd/x","instanceId":"\#(Harness.demoA)","mode":"parallel"}"#)
            #expect(escaped.status == 400)
            var big: HTTPFields = [.authorization: "Bearer \(h.clientKey)"]
            big.append(HTTPField(name: HTTPField.Name("X-Padding")!, value: String(repeating: "a", count: 20_000)))
            let oversized = try await h.send(.get, "/v1/audit", headers: big)
            #expect(oversized.status == 431)
            #expect(oversized.problemType == "/problems/headers-too-large")
            #expect(await h.upstreamRequestCount() == 0)
        }
    }

    @Test func noSecretInLogsAuditOrProblems() async throws {
        try await Harness.run(Self.options) { h in
            var bodies: [String] = []
            let body = Self.signBody
            let headers = try self.signedHeaders(id: "msg_secret", timestamp: self.now, body: body)
            bodies.append(
                try await h.send(
                    .post, "/v1/signatures", body: body, headers: headers, authorized: false, idempotencyKey: nil
                ).text)
            bodies.append(
                try await h.send(
                    .post, "/v1/signatures", body: body, headers: headers, authorized: false, idempotencyKey: nil
                ).text)
            bodies.append(
                try await h.send(
                    .post, "/v1/signatures", body: body + " ",
                    headers: try self.signedHeaders(id: "msg_x", timestamp: self.now, body: body), authorized: false
                ).text)
            bodies.append(
                try await h.send(.get, "/v1/audit", headers: [.authorization: "Bearer \(Self.readerKey)"]).text)
            bodies.append(
                try await h.send(.get, "/v1/audit", headers: [.authorization: "Bearer \(Self.readerKey)x"]).text)
            bodies.append(try await h.send(.get, "/v1/audit?limit=1000").text)
            let audit = bodies.last ?? ""
            #expect(audit.contains("refused"))
            let haystack = bodies.joined() + h.logs.text
            let secretKey = String(Self.secretText.dropFirst(6))
            for secret in [
                Self.secretText, secretKey, Self.readerKey, Self.erpKey, h.clientKey,
                headers[HTTPField.Name("webhook-signature")!]!,
            ] {
                #expect(!haystack.contains(secret))
            }
        }
    }
}

/// The parts on their own, with the spec's test vector.
@Suite struct ClientPartsTests {
    @Test func signerReproducesTheStandardWebhooksTestVector() throws {
        let secret = try WebhookSecret(encoded: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        let signature = WebhookSigner.signature(
            id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Array(#"{"test": 2432232314}"#.utf8),
            secrets: [secret])
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
    }

    @Test func secretsMustBeWhsecBase64OfTheRightLength() {
        #expect(throws: WebhookSecretError.missingPrefix) {
            try WebhookSecret(encoded: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
        }
        #expect(throws: WebhookSecretError.self) { try WebhookSecret(encoded: "whsec_AAAA") }
        let secret = WebhookSecret.generate()
        #expect(!"\(secret)".contains(String(secret.encoded.dropFirst(6))))
    }

    @Test func configurationRefusesBadClients() {
        var client = GatewayConfiguration.Client()
        client.policy.apps = ["*"]
        client.policy.operations = ["sign"]
        #expect(throws: ConfigurationError.self) { try ClientRegistry.configured(["erp": client]) }
        var credential = GatewayConfiguration.Credential()
        credential.id = "k"
        credential.apiKeySha256 = "abc"
        client.credentials = [credential]
        #expect(throws: ConfigurationError.self) { try ClientRegistry.configured(["erp": client]) }
        credential.apiKeySha256 = APIKeyGenerator.sha256Hex("x")
        client.credentials = [credential]
        client.policy.operations = ["delete"]
        #expect(throws: ConfigurationError.self) { try ClientRegistry.configured(["erp": client]) }
        client.policy.operations = ["sign"]
        client.policy.apps = ["TTD/*"]
        #expect(throws: ConfigurationError.self) { try ClientRegistry.configured(["erp": client]) }
        client.policy.apps = ["ttd/*"]
        #expect(throws: ConfigurationError.self) { try ClientRegistry.configured(["Bad Id": client]) }
        #expect((try? ClientRegistry.configured(["erp": client])) != nil)
        var secret = GatewayConfiguration.Credential()
        secret.id = "s"
        secret.hmacSecretEnv = "NOPE"
        client.credentials = [secret]
        #expect(throws: ConfigurationError.self) { try ClientRegistry.configured(["erp": client], environment: [:]) }
    }
}
