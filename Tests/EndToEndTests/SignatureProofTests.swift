import AltinnSimulator
import Foundation
import Gateway
import HTTPTypes
import Storage
import Testing

/// Proof of what was signed, over real HTTP: after a sign the gateway reads Altinn's signature document and keeps
/// the SHA-256 of each signed data element in the answer, the audit record (chained) and the `signee.signed` event;
/// `…/signatures` lists every document; where Altinn will not show them, the record says why.
@Suite struct SignatureProofTests {
    static func instance(_ id: String) -> (Int, UUID) {
        let parts = id.split(separator: "/")
        return (Int(parts[0])!, UUID(uuidString: String(parts[1]))!)
    }

    @Test("the digests of what was signed are in the answer, the audit record, the event and the listing")
    func proofIsKept() async throws {
        try await Harness.run { h in
            let (party, guid) = Self.instance(Harness.demoA)
            let document = try #require(await h.simulator.state.documents(partyId: party, guid: guid).first)
            let expected = Digest.sha256Hex(document.bytes)
            let documentId = document.id.uuidString.lowercased()

            let signed = try await h.sign(Harness.demoA)
            #expect(signed.status == 200, "\(signed.text.prefix(300))")
            let proof = try #require(signed.json["proof"] as? [String: Any])
            #expect(proof["available"] as? Bool == true)
            let elements = proof["dataElements"] as? [[String: Any]] ?? []
            #expect(elements.count == 1)
            #expect(elements.first?["id"] as? String == documentId)
            #expect(elements.first?["sha256"] as? String == expected)
            #expect((proof["signee"] as? [String: Any])?["systemUserId"] is String)

            // The audit record of the sign carries it, and the chain still verifies.
            let records = try await h.store.auditRecords(after: 0, limit: 100, filter: AuditFilter())
            let sign = try #require(records.first { $0.entry.operation == "sign" })
            #expect(sign.entry.signedData?.contains(expected) == true)
            guard case .intact = try await AuditVerifier.verify(store: h.store) else {
                Issue.record("the chain does not verify with signedData")
                return
            }
            // The signed event of the gateway's signee carries the same digest.
            let events = try await h.store.events(after: 0, limit: 100).filter {
                $0.event.type == "no.signinggateway.signee.signed"
            }
            let withProof = events.filter { String(decoding: $0.event.body, as: UTF8.self).contains(expected) }
            #expect(withProof.count == 1)

            // The listing: the three seeded signatures and the gateway's, each with the document's digest.
            let listed = try await h.send(.get, "/v1/instances/ttd/signing-app/\(Harness.demoA)/signatures")
            #expect(listed.status == 200, "\(listed.text.prefix(300))")
            let signatures = listed.json["signatures"] as? [[String: Any]] ?? []
            #expect(signatures.count == 4)
            #expect(
                signatures.allSatisfy {
                    ($0["dataElements"] as? [[String: Any]])?.first?["sha256"] as? String == expected
                })
            #expect((listed.json["unreadable"] as? [Any])?.isEmpty == true)
        }
    }

    /// The calls to the app API since `before`, as "METHOD path" with the instance's own path as `{instance}`.
    static func callsSince(_ before: Int, _ h: Harness, instance: String) async -> [String] {
        await h.simulator.state.recordedRequests().dropFirst(before).map { request in
            "\(request.method) \(request.path.replacingOccurrences(of: "/ttd/signing-app/instances/\(instance)", with: "{instance}"))"
        }
    }

    @Test("a parallel sign finds its proof in the actions answer: no instance read, three calls in all")
    func proofFromTheActionsAnswer() async throws {
        try await Harness.run { h in
            let before = await h.simulator.state.recordedRequests().count
            let signed = try await h.sign(Harness.demoA)
            #expect(signed.status == 200, "\(signed.text.prefix(300))")
            #expect((signed.json["proof"] as? [String: Any])?["available"] as? Bool == true)
            let calls = await Self.callsSince(before, h, instance: Harness.demoA)
            // The signing state and the proof are read at once, so they may arrive in either order.
            #expect(calls.first == "POST {instance}/actions", "\(calls)")
            #expect(calls.filter { $0 == "GET {instance}/signing" }.count == 1, "\(calls)")
            #expect(calls.filter { $0.hasPrefix("GET {instance}/data/") }.count == 1, "\(calls)")
            #expect(!calls.contains("GET {instance}"), "\(calls)")
        }
    }

    @Test("an app whose actions answer lists the data as before the sign: the proof is found by reading the instance")
    func proofAfterAnAnswerWithOldData() async throws {
        try await Harness.run { h in
            let (party, guid) = Self.instance(Harness.demoA)
            let document = try #require(await h.simulator.state.documents(partyId: party, guid: guid).first)
            var faults = SimulatorFaults()
            faults.actionsAnswerOldData = true
            await h.simulator.state.setFaults(faults)
            let before = await h.simulator.state.recordedRequests().count
            let signed = try await h.sign(Harness.demoA)
            #expect(signed.status == 200, "\(signed.text.prefix(300))")
            let proof = try #require(signed.json["proof"] as? [String: Any])
            #expect(proof["available"] as? Bool == true, "\(proof)")
            let elements = proof["dataElements"] as? [[String: Any]] ?? []
            #expect(elements.first?["sha256"] as? String == Digest.sha256Hex(document.bytes))
            #expect((proof["signee"] as? [String: Any])?["systemUserId"] is String)
            let calls = await Self.callsSince(before, h, instance: Harness.demoA)
            #expect(calls.filter { $0 == "GET {instance}" }.count == 1, "\(calls)")
            // The three seeded documents in the answer are not the gateway's; each is read once, not again after
            // the instance read.
            let reads = calls.filter { $0.hasPrefix("GET {instance}/data/") }
            #expect(reads.count == Set(reads).count, "\(calls)")
        }
    }

    @Test("where Altinn will not show signature documents, the sign still succeeds and the record says why")
    func proofUnavailable() async throws {
        try await Harness.run { h in
            await h.simulator.state.setFaults(SimulatorFaults(signatureReadForbidden: true))
            let signed = try await h.sign(Harness.demoA)
            #expect(signed.status == 200)
            let proof = try #require(signed.json["proof"] as? [String: Any])
            #expect(proof["available"] as? Bool == false)
            #expect((proof["reason"] as? String)?.contains("403") == true)
            let records = try await h.store.auditRecords(after: 0, limit: 100, filter: AuditFilter())
            #expect(
                records.first { $0.entry.operation == "sign" }?.entry.signedData?.contains("\"available\":false")
                    == true)
            let listed = try await h.send(.get, "/v1/instances/ttd/signing-app/\(Harness.demoA)/signatures")
            #expect(listed.status == 200)
            #expect((listed.json["signatures"] as? [Any])?.isEmpty == true)
            #expect((listed.json["unreadable"] as? [Any])?.count == 4)
        }
    }
}
