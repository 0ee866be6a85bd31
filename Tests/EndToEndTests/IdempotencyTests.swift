import AltinnAPI
import AltinnSimulator
import Foundation
import Gateway
import HTTPTypes
import Storage
import Testing

/// Idempotency-Key rules over real HTTP and a real SQLite file: one legal act per key.
@Suite struct IdempotencyTests {
    @Test func sameKeyAndPayloadReplaysTheStoredAnswer() async throws {
        try await Harness.run { h in
            let first = try await h.sign(Harness.demoA, key: #""order-1""#)
            #expect(first.status == 200)
            #expect(first.headers[.idempotentReplayed] == nil)
            let second = try await h.sign(Harness.demoA, key: #""order-1""#)
            #expect(second.status == 200)
            #expect(second.headers[.idempotentReplayed] == "true")
            #expect(second.text == first.text)
            #expect(await h.signCalls(Harness.demoA) == 1)
            // Same meaning, different spelling: member order and GUID case do not change the fingerprint.
            let respelled = try await h.send(
                .post, "/v1/signatures",
                body: #"{"mode":"parallel","instanceId":"\#(Harness.demoA.uppercased())","app":"ttd/signing-app"}"#,
                idempotencyKey: #""order-1""#)
            #expect(respelled.headers[.idempotentReplayed] == "true")
            #expect(await h.signCalls(Harness.demoA) == 1)
        }
    }

    @Test func sameKeyDifferentPayloadIs422() async throws {
        try await Harness.run { h in
            #expect(try await h.sign(Harness.demoA, key: "k-1").status == 200)
            let other = try await h.sign(Harness.demoB, key: "k-1")
            #expect(other.status == 422)
            #expect(other.problemType == "/problems/idempotency-key-reused")
            #expect(await h.signCalls(Harness.demoB) == 0)
        }
    }

    @Test func missingOrMalformedKeyIs400AndNothingIsSent() async throws {
        try await Harness.run { h in
            let missing = try await h.sign(Harness.demoA, key: nil)
            #expect(missing.status == 400)
            #expect(missing.problemType == "/problems/idempotency-key-missing")
            for bad in [#""unterminated"#, #""""#, "with space", String(repeating: "k", count: 256), #""é""#] {
                let reply = try await h.sign(Harness.demoA, key: bad)
                #expect(reply.status == 400, "\(bad)")
                #expect(reply.problemType == "/problems/invalid-request")
            }
            let next = try await h.processNext(Harness.demoA, key: nil)
            #expect(next.problemType == "/problems/idempotency-key-missing")
            #expect(await h.upstreamRequestCount() == 0)
        }
    }

    @Test func sameKeyWhileInFlightIs409() async throws {
        // The deadline only has to outlast the second request, even on a loaded machine.
        try await Harness.run(Harness.Options(upstreamTimeoutMilliseconds: 6_000)) { h in
            await h.simulator.state.setFaults(SimulatorFaults(dropReplyRate: 1.0))
            async let first = h.sign(Harness.demoB, key: "busy")
            await h.simulator.state.waitForHeldReplies(atLeast: 1)
            let second = try await h.sign(Harness.demoB, key: "busy")
            #expect(second.status == 409)
            #expect(second.problemType == "/problems/idempotency-key-in-use")
            let firstReply = try await first
            #expect(firstReply.status == 504)
            await h.simulator.state.setFaults(SimulatorFaults())
            // The ambiguous answer is stored: a retry replays it and never signs again.
            let retry = try await h.sign(Harness.demoB, key: "busy")
            #expect(retry.status == 504)
            #expect(retry.headers[.idempotentReplayed] == "true")
            #expect(await h.signCalls(Harness.demoB) == 1)
        }
    }

    @Test func failureThatNeverReachedAltinnReleasesTheKey() async throws {
        try await Harness.run(Harness.Options(upstreamOverride: "http://127.0.0.1:1")) { h in
            let first = try await h.sign(Harness.demoA, key: "retry-me")
            #expect(first.status == 503)
            let second = try await h.sign(Harness.demoA, key: "retry-me")
            #expect(second.status == 503)
            #expect(second.headers[.idempotentReplayed] == nil, "a released key runs again")
        }
    }

    @Test func altinnRefusalsAreStoredAndReplayed() async throws {
        try await Harness.run { h in
            let first = try await h.processNext(Harness.demoB, key: "complete-b")
            #expect(first.status == 409)
            #expect(first.problemType == "/problems/missing-signatures")
            let second = try await h.processNext(Harness.demoB, key: "complete-b")
            #expect(second.status == 409)
            #expect(second.headers[.idempotentReplayed] == "true")
            #expect(second.text == first.text)
        }
    }

    @Test func aKeyLeftInFlightByACrashIsOutcomeUnknownNeverResent() async throws {
        try await Harness.run { h in
            // What a gateway killed mid-call leaves behind: a claimed key whose lease has run out.
            let fingerprint = try RequestFingerprint.sign(
                SignCommand(instance: .init(app: .init("ttd/signing-app"), instanceId: Harness.demoA), mode: .parallel))
            let past = Date().addingTimeInterval(-600)
            let begin = try await h.store.beginIdempotent(
                IdempotencyClaim(
                    scope: .init(clientId: "dev", key: "crashed"), fingerprint: fingerprint, now: past,
                    leaseUntil: past.addingTimeInterval(60)))
            #expect(begin == .acquired)
            let retry = try await h.sign(Harness.demoA, key: "crashed")
            #expect(retry.status == 409)
            #expect(retry.problemType == "/problems/outcome-unknown")
            #expect(retry.json["signMayHaveHappened"] as? Bool == true)
            #expect(await h.signCalls(Harness.demoA) == 0)
        }
    }
}

/// The audit log over real HTTP: every forwarded and refused call, chained, without secrets.
@Suite struct AuditTests {
    @Test func everyCallIsAuditedAndTheChainVerifies() async throws {
        try await Harness.run { h in
            #expect(try await h.sign(Harness.demoA, key: "a-1").status == 200)
            #expect(try await h.sign(Harness.demoA, key: "a-1").status == 200)  // replay: no second record
            #expect(try await h.signees(Harness.demoA).status == 200)
            #expect(try await h.send(.post, "/v1/signatures", body: "{").status == 400)
            #expect(try await h.send(.get, "/v1/audit", authorized: false).status == 401)
            try await h.flushRefusals()

            let page = try await h.send(.get, "/v1/audit?limit=50")
            #expect(page.status == 200)
            let records = try #require(page.json["records"] as? [[String: Any]])
            #expect(records.map { $0["operation"] as? String } == ["sign", "signingState", "refused", "refused"])
            let sign = records[0]
            #expect(sign["clientId"] as? String == "dev")
            #expect(sign["idempotencyKey"] as? String == "a-1")
            #expect(sign["upstreamMethod"] as? String == "POST")
            #expect((sign["upstreamUrl"] as? String)?.hasSuffix("/instances/\(Harness.demoA)/actions") == true)
            #expect(sign["upstreamStatus"] as? Int == 200)
            #expect(sign["outcome"] as? String == "succeeded")
            #expect((sign["requestSha256"] as? String)?.count == 64)
            #expect(sign["tokenProfile"] as? String == "dev")
            #expect(records[2]["outcome"] as? String == "refused:invalid-request")
            #expect(records[3]["clientId"] is NSNull)
            #expect(records[3]["outcome"] as? String == "refused:unauthenticated:missing-credentials x1")
            #expect(!page.text.contains(h.altinnToken))
            #expect(!page.text.contains(h.clientKey))

            let filtered = try await h.send(.get, "/v1/audit?outcome=succeeded&verb=x")
            #expect(filtered.status == 400)
            let signs = try await h.send(.get, "/v1/audit?operation=sign")
            let signRecords = signs.json["records"] as? [[String: Any]] ?? []
            #expect(!signRecords.isEmpty)
            #expect(signRecords.allSatisfy { $0["operation"] as? String == "sign" })
            let none = try await h.send(.get, "/v1/audit?operation=subscription.create")
            #expect((none.json["records"] as? [Any])?.isEmpty == true)
            // The malformed body and the unknown audit parameter were both refused as invalid requests.
            let onlyRefused = try await h.send(.get, "/v1/audit?outcome=refused:invalid-request")
            #expect((onlyRefused.json["records"] as? [Any])?.count == 2)
            let paged = try await h.send(.get, "/v1/audit?limit=2")
            #expect(paged.headers[HTTPField.Name("Next-Cursor")!] == "2")
            #expect(paged.json["next"] == nil)

            guard case .intact(let count, _) = try await AuditVerifier.verify(store: h.store) else {
                Issue.record("audit chain broken")
                return
            }
            #expect(count == 5)
        }
    }
}
