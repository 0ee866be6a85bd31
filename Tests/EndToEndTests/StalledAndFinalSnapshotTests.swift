import AltinnSimulator
import CurlHTTP
import Foundation
import Gateway
import HTTPTypes
import Storage
import Testing
import Transport

/// The tracker over real HTTP against the simulator: stalled signees are told once each, and the poll that sees the
/// process leave the signing task reads it once more, or keeps what it saw when Altinn has revoked the rights.
@Suite struct StalledAndFinalSnapshotTests {
    static func events(_ h: Harness, type: String) async throws -> [[String: Any]] {
        try await h.store.events(after: 0, limit: 1000).filter { $0.event.type == type }.map {
            (try JSONSerialization.jsonObject(with: Data($0.event.body))) as? [String: Any] ?? [:]
        }
    }

    static func track(_ h: Harness, _ instanceId: String) async throws {
        let tracked = try await h.send(
            .post, "/v1/tracked-instances", body: #"{"app":"ttd/signing-app","instanceId":"\#(instanceId)"}"#)
        #expect(tracked.status == 201, "\(tracked.text.prefix(300))")
    }

    static func row(_ h: Harness, _ instanceId: String) async throws -> TrackedInstance? {
        try await h.store.trackedInstance("ttd/signing-app/instances/\(instanceId)")
    }

    /// What Altinn's own UI would do: the system user signs with `process/next`, which moves the process on (here to
    /// the end: Task_2 is the demo app's last task).
    static func signAndMoveInAltinn(_ h: Harness, _ instanceId: String) async throws {
        let response = try await h.client.execute(
            OutboundRequest(
                method: .put, url: "\(h.simulatorURL)/ttd/signing-app/instances/\(instanceId)/process/next",
                headerFields: [.authorization: "Bearer \(h.altinnToken)", .contentType: "application/json"],
                body: Array(#"{"action":"sign"}"#.utf8)))
        #expect(response.status.code == 200, "\(String(decoding: response.body, as: UTF8.self).prefix(300))")
    }

    static var fastTracking: Harness.Options {
        var options = Harness.Options()
        options.trackingInitialIntervalSeconds = 0.2
        options.trackingMaxIntervalSeconds = 1
        return options
    }

    @Test("demo B's three waiting signees stall: one event per signee and reason, never repeated")
    func stalledSigneesAreToldOnce() async throws {
        var options = Self.fastTracking
        // 3.6 s; the polls (0.2 s doubling up to 1 s) come well before and after.
        options.stallAfterHours = 0.001
        try await Harness.run(options) { h in
            try await Self.track(h, Harness.demoB)
            let expected: Set<String> = [
                "50001001/notSigned", "51290001/notSigned", "51290001/notificationFailed", "51290002/notSigned",
                "51290002/delegationFailed",
            ]
            let told = { @Sendable () async throws -> Set<String> in
                Set(
                    try await Self.events(h, type: "no.signinggateway.signee.stalled").map { event in
                        let data = event["data"] as? [String: Any]
                        let party = (data?["signee"] as? [String: Any])?["partyId"] as? Int ?? 0
                        return "\(party)/\(data?["reason"] as? String ?? "")"
                    })
            }
            let settled = try await Harness.eventually { try await told() == expected }
            let seen = try await told()
            #expect(settled, "\(seen)")
            // Several more polls later: still one event each.
            let polls = try await Self.row(h, Harness.demoB)?.polls ?? 0
            #expect(try await Harness.eventually { (try await Self.row(h, Harness.demoB)?.polls ?? 0) >= polls + 3 })
            let all = try await Self.events(h, type: "no.signinggateway.signee.stalled")
            #expect(all.count == expected.count)
            let first = try #require(all.first)
            let data = try #require(first["data"] as? [String: Any])
            let party = (data["signee"] as? [String: Any])?["partyId"] as? Int ?? 0
            #expect(first["subject"] as? String == "/party/\(party)")
            #expect(data["stallAfterSeconds"] as? Int == 3)
        }
    }

    @Test("without revocation, the poll that sees the task end reads it once more: the last signature is told")
    func theFinalReadTellsTheLastSignature() async throws {
        try await Harness.run(Self.fastTracking) { h in
            try await Self.track(h, Harness.demoA)
            #expect(try await Harness.eventually { (try await Self.row(h, Harness.demoA)?.polls ?? 0) >= 1 })
            try await Self.signAndMoveInAltinn(h, Harness.demoA)
            #expect(try await Harness.eventually { try await Self.row(h, Harness.demoA)?.status == .complete })
            let row = try #require(try await Self.row(h, Harness.demoA))
            #expect(row.finalSigning == .readAtTaskEnd)
            #expect(row.lastError == nil)
            let signed = try await Self.events(h, type: "no.signinggateway.signee.signed").compactMap {
                (($0["data"] as? [String: Any])?["signee"] as? [String: Any])?["partyId"] as? Int
            }
            #expect(Set(signed) == [51_281_269, 51_843_877, 51_843_878, 50_001_001])
            #expect(try await Self.events(h, type: "no.signinggateway.signing.completed").count == 1)
            let answer = try await h.send(.get, "/v1/tracked-instances/ttd/signing-app/\(Harness.demoA)")
            #expect(answer.json["finalSigning"] as? String == "readAtTaskEnd")
        }
    }

    @Test("with the rights revoked at task end, the last snapshot survives and the row says it is the last observed")
    func theLastSnapshotSurvivesRevocation() async throws {
        var options = Self.fastTracking
        options.simulatorFaults.revokeRightsAtTaskEnd = true
        try await Harness.run(options) { h in
            try await Self.track(h, Harness.demoA)
            #expect(try await Harness.eventually { (try await Self.row(h, Harness.demoA)?.polls ?? 0) >= 1 })
            try await Self.signAndMoveInAltinn(h, Harness.demoA)
            // Altinn now refuses the gateway's read of the ended task, as app-lib v8.12.4 does.
            let refused = try await h.signees(Harness.demoA, query: "?taskId=Task_2")
            #expect(refused.status >= 500, "\(refused.text.prefix(300))")
            #expect(try await Harness.eventually { try await Self.row(h, Harness.demoA)?.status == .ended })
            let row = try #require(try await Self.row(h, Harness.demoA))
            #expect(row.finalSigning == .lastObserved)
            #expect(row.lastError?.contains("last one observed") == true)
            // Who had signed when last seen is still on record: the three signatures, and their events.
            let signed = try await Self.events(h, type: "no.signinggateway.signee.signed").compactMap {
                (($0["data"] as? [String: Any])?["signee"] as? [String: Any])?["partyId"] as? Int
            }
            #expect(Set(signed) == [51_281_269, 51_843_877, 51_843_878])
            // Task_2 is the demo app's last task: the process ended.
            #expect(try await Self.events(h, type: "no.signinggateway.process.completed").count == 1)
            let answer = try await h.send(.get, "/v1/tracked-instances/ttd/signing-app/\(Harness.demoA)")
            #expect(answer.json["finalSigning"] as? String == "lastObserved")
            #expect(answer.json["status"] as? String == "ended")
        }
    }
}
