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
