import AltinnSimulator
import App
import Foundation
import GatewayHTTP
import HTTPTypes
import Storage
import Testing

/// `POST /v1/rejections` over real HTTP against the simulator: what Altinn removes is said, told as an event and
/// remembered, so the next round's signatures are new events; what cannot be rejected is refused before Altinn.
@Suite struct RejectTests {
    static let reject = #"{"app":"ttd/signing-app","instanceId":"%@"}"#

    static func body(_ instanceId: String) -> String { String(format: Self.reject, instanceId) }

    static func events(_ h: Harness, type: String) async throws -> [[String: Any]] {
        try await h.store.events(after: 0, limit: 1000).filter { $0.event.type == type }.map {
            (try JSONSerialization.jsonObject(with: Data($0.event.body))) as? [String: Any] ?? [:]
        }
    }

    @Test("a reject says how many signatures Altinn removed, and the next round's signs are new events")
    func rejectRemovesEverySignatureAndANewRoundIsTold() async throws {
        try await Harness.run { h in
            // Demo A: three signed already; the gateway's parallel sign completes the signing (and tracks it).
            #expect(try await h.sign(Harness.demoA).status == 200)
            let rejected = try await h.send(.post, "/v1/rejections", body: Self.body(Harness.demoA))
            #expect(rejected.status == 200, "\(rejected.text.prefix(300))")
            #expect(rejected.json["operation"] as? String == "reject")
            #expect(rejected.json["rejectedTask"] as? String == "Task_2")
            #expect(rejected.json["removedSignatures"] as? Int == 4)
            let process = rejected.json["process"] as? [String: Any]
            #expect((process?["currentTask"] as? [String: Any])?["id"] as? String == "Task_1")

            // Altinn (the simulator) removed them: nobody has signed the task any more.
            let after = try await h.signees(Harness.demoA, query: "?taskId=Task_2")
            let signees = (after.json["signing"] as? [String: Any])?["signees"] as? [[String: Any]] ?? []
            #expect(signees.count == 4)
            #expect(!signees.contains { $0["status"] as? String == "signed" }, "\(after.text.prefix(300))")

            let told = try await Self.events(h, type: "no.signinggateway.signing.rejected")
            #expect(told.count == 1)
            let data = told.first?["data"] as? [String: Any]
            #expect(data?["removedSignatures"] as? Int == 4)
            #expect(data?["rejectedBy"] as? String == "dev")
            #expect(data?["observedBy"] as? String == "gateway")
            // The move back to the data task is told too, in the same commit.
            #expect(try await Self.events(h, type: "no.signinggateway.process.moved").count >= 1)

            // The audit log holds the reject in the caller's name.
            let audit = try await h.store.auditRecords(after: 0, limit: 100, filter: AuditFilter())
            #expect(audit.contains { $0.entry.operation == "reject" && $0.entry.outcome == "succeeded" })

            // A new round: back into the signing task, the system user signs again: a second signed event for it.
            let signedBefore = try await Self.events(h, type: "no.signinggateway.signee.signed").count
            #expect(try await h.processNext(Harness.demoA).status == 200)
            #expect(try await h.sign(Harness.demoA).status == 200)
            let signedAfter = try await Self.events(h, type: "no.signinggateway.signee.signed").count
            #expect(signedAfter == signedBefore + 1)
        }
    }

    @Test("refused before Altinn: no reject offered, an ended process; a reused key; a client not allowed")
    func rejectRefusals() async throws {
        var options = Harness.Options()
        let signer = APIKeyGenerator.generate()
        let other = APIKeyGenerator.generate()
        options.clients = [
            // May sign but not reject.
            "signer": ClientAuthTests.client(
                [ClientAuthTests.apiKey(signer)], apps: ["ttd/signing-app"], operations: ["sign", "read"]),
            // May reject, but another organisation's apps only.
            "other": ClientAuthTests.client(
                [ClientAuthTests.apiKey(other)], apps: ["acme/*"], operations: ["reject"]),
        ]
        try await Harness.run(options) { h in
            let before = await h.upstreamRequestCount()
            // Demo E stands in a data task: nothing to reject there.
            let dataTask = try await h.send(.post, "/v1/rejections", body: Self.body(Harness.demoE))
            #expect(dataTask.status == 409)
            #expect(dataTask.problemType == "/problems/reject-not-offered")
            #expect(dataTask.json["currentTask"] as? String == "Task_1")
            // Demo D has ended.
            let ended = try await h.send(.post, "/v1/rejections", body: Self.body(Harness.demoD))
            #expect(ended.status == 409)
            #expect(ended.problemType == "/problems/process-ended")
            // Only the two process reads went upstream: no process/next.
            let requests = await h.simulator.state.recordedRequests().dropFirst(before)
            #expect(!requests.contains { $0.path.hasSuffix("/process/next") })

            for (client, expected) in [(signer, "reject"), (other, "ttd/signing-app")] {
                let refused = try await h.send(
                    .post, "/v1/rejections", body: Self.body(Harness.demoB),
                    headers: [.authorization: "Bearer \(client)", .contentType: "application/json"])
                #expect(refused.status == 403)
                #expect(refused.text.contains(expected))
            }
            // Nothing was rejected: B still stands in its signing task.
            #expect(try await h.signees(Harness.demoB).status == 200)

            // A refusal before Altinn releases its key (nothing happened); an answered reject keeps it, and the key
            // used again for another instance is refused.
            let key = "\"reject-\(UUID().uuidString)\""
            #expect(
                try await h.send(.post, "/v1/rejections", body: Self.body(Harness.demoB), idempotencyKey: key).status
                    == 200)
            let replayed = try await h.send(
                .post, "/v1/rejections", body: Self.body(Harness.demoB), idempotencyKey: key)
            #expect(replayed.status == 200)
            #expect(replayed.headers[.idempotentReplayed] == "true")
            let reused = try await h.send(.post, "/v1/rejections", body: Self.body(Harness.demoA), idempotencyKey: key)
            #expect(reused.status == 422)
        }
    }

    @Test("data changed after signing: its own problem and event, and the gateway does not retry it")
    func invalidatedSignatures() async throws {
        try await Harness.run { h in
            // Demo A: everyone but the system user has signed; then the document changes under the signatures.
            #expect(try await h.sign(Harness.demoA).status == 200)
            let parts = Harness.demoA.split(separator: "/")
            let (party, guid) = (Int(parts[0])!, UUID(uuidString: String(parts[1]))!)
            let document = try #require(await h.simulator.state.documentIds(partyId: party, guid: guid).first)
            let changed = await h.simulator.state.changeDocument(
                partyId: party, guid: guid, id: document, bytes: Array("%PDF-1.4 changed after signing".utf8))
            #expect(changed)
            let calls = await h.simulator.state.processNextCalls(partyId: party, guid: guid)
            let next = try await h.processNext(Harness.demoA)
            #expect(next.status == 409)
            #expect(next.problemType == "/problems/signatures-invalidated")
            #expect(next.json["signMayHaveHappened"] as? Bool == false)
            // One call: a validation refusal is never retried.
            #expect(await h.simulator.state.processNextCalls(partyId: party, guid: guid) == calls + 1)
            let told = try await Self.events(h, type: "no.signinggateway.signing.invalidated")
            #expect(told.count == 1)
            #expect((told.first?["data"] as? [String: Any])?["code"] as? String == "InvalidSignatureHash")
        }
    }
}
