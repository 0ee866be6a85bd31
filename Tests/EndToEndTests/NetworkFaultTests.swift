import AltinnSimulator
import CurlHTTP
import Foundation
import HTTPTypes
import Testing
import Transport

/// The failures real networks make, played by the simulator's connections (not its route handlers), on
/// connections the gateway has already used: a sign reaches Altinn at most once, and the answer says
/// `signMayHaveHappened` exactly when it may have run.
@Suite struct NetworkFaultTests {
    /// Faults after which the handler has run: the sign happened, its answer did not arrive whole.
    static let afterHandler: [NetworkFault] = [
        .closeAfterHandler, .resetAfterHandler, .statusLineThenClose, .headersThenClose, .halfBodyThenClose,
    ]

    @Test(arguments: afterHandler)
    func parallelSignWhoseAnswerIsLostIsConfirmedByObservation(fault: NetworkFault) async throws {
        try await Harness.run { h in
            try await warmUp(h, Harness.demoA)
            h.simulator.state.network.arm(.init(route: .actions, fault: fault))
            let reply = try await h.sign(Harness.demoA)
            #expect(h.simulator.state.network.fired.map(\.fault) == [fault])
            #expect(await h.signCalls(Harness.demoA) == 1)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["confirmedBy"] as? String == "observation")
            let signing = try #require(reply.json["signing"] as? [String: Any])
            #expect(signing["complete"] as? Bool == true)
            // A replay of the key shows the same confirmed outcome and signs nothing.
        }
    }

    @Test(arguments: afterHandler)
    func singleSignWhoseAnswerIsLostIsConfirmedByObservation(fault: NetworkFault) async throws {
        try await Harness.run { h in
            try await warmUp(h, Harness.demoC)
            h.simulator.state.network.arm(.init(route: .processNext, fault: fault))
            let reply = try await h.sign(Harness.demoC, mode: "single")
            #expect(await h.signCalls(Harness.demoC) == 1)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["confirmedBy"] as? String == "observation")
            let process = try #require(reply.json["process"] as? [String: Any])
            #expect(process["ended"] as? Bool == true)
        }
    }

    @Test(arguments: [("parallel", Harness.demoA, NetworkRoute.actions), ("single", Harness.demoC, .processNext)])
    func aSignCutBeforeTheHandlerIsNotSignedAndStaysAmbiguous(mode: String, instance: String, route: NetworkRoute)
        async throws
    {
        try await Harness.run { h in
            try await warmUp(h, instance)
            h.simulator.state.network.arm(.init(route: route, fault: .closeBeforeHandler))
            let reply = try await h.sign(instance, mode: mode)
            #expect(await h.signCalls(instance) == 0)
            // The request was written: the gateway cannot know the handler never ran (a load balancer may
            // cut a call Altinn still completes), and the signing state shows no signature yet.
            #expect(reply.status == 502, "\(reply.text)")
            #expect(reply.problemType == "/problems/altinn-connection-lost")
            #expect(reply.json["signMayHaveHappened"] as? Bool == true)
        }
    }

    @Test func aDrippedAnswerWithinTheDeadlineIsAnOrdinaryAnswer() async throws {
        try await Harness.run { h in
            try await warmUp(h, Harness.demoA)
            h.simulator.state.network.arm(.init(route: .actions, fault: .dripHeaders, dripMilliseconds: 5))
            let reply = try await h.sign(Harness.demoA)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["confirmedBy"] as? String == "answer")
            #expect(await h.signCalls(Harness.demoA) == 1)
        }
    }

    @Test func aDrippedAnswerPastTheDeadlineIsATimeoutThatObservationConfirms() async throws {
        // A head of ~200 bytes dripped 8 bytes per 400 ms takes ~10 s; the deadline leaves a loaded machine time
        // to deliver the sign itself.
        try await Harness.run(Harness.Options(upstreamTimeoutMilliseconds: 1_500)) { h in
            try await warmUp(h, Harness.demoA)
            h.simulator.state.network.arm(.init(route: .actions, fault: .dripHeaders, dripMilliseconds: 400))
            let reply = try await h.sign(Harness.demoA)
            #expect(await h.signCalls(Harness.demoA) == 1)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["confirmedBy"] as? String == "observation")
        }
    }

    @Test(arguments: NetworkFault.allCases)
    func processNextReachesAltinnOnce(fault: NetworkFault) async throws {
        // No fault here waits for the deadline; the dripped head (8 bytes per 5 ms tick) must arrive within it
        // even on a machine running every suite at once (2 s was outlasted under load: a 504).
        try await Harness.run(Harness.Options(upstreamTimeoutMilliseconds: 30_000)) { h in
            #expect(try await h.sign(Harness.demoA).status == 200)
            h.simulator.state.network.arm(.init(route: .processNext, fault: fault, dripMilliseconds: 5))
            let reply = try await h.processNext(Harness.demoA)
            let moves = await h.simulator.state.recordedRequests().filter {
                $0.method == "PUT" && $0.path.hasSuffix("/process/next")
            }
            #expect(moves.count == (fault == .closeBeforeHandler ? 0 : 1))
            if fault == .dripHeaders {
                #expect(reply.status == 200, "\(reply.text)")
            } else {
                #expect(reply.status == 502, "\(reply.text)")
            }
        }
    }

    @Test(arguments: NetworkFault.allCases)
    func readsSurviveEveryFault(fault: NetworkFault) async throws {
        try await Harness.run { h in
            try await warmUp(h, Harness.demoB)
            h.simulator.state.network.arm(.init(route: .signing, fault: fault, dripMilliseconds: 5))
            let reply = try await h.signees(Harness.demoB)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(h.simulator.state.network.fired.count == 1)
        }
    }

    /// The proof is read beside the signing state, on a second connection: whatever the network does to that
    /// read, the sign (already done) answers 200 from its own answer, never fails and is never sent again.
    @Test(arguments: NetworkFault.allCases)
    func aProofReadCutByTheNetworkNeitherFailsNorRepeatsTheSign(fault: NetworkFault) async throws {
        try await Harness.run { h in
            try await warmUp(h, Harness.demoA)
            // The read runs on a second connection, warm or not (the first is busy with the signing state).
            h.simulator.state.network.arm(.init(route: .data, fault: fault, warmOnly: false, dripMilliseconds: 5))
            let reply = try await h.sign(Harness.demoA)
            #expect(h.simulator.state.network.fired.map(\.fault) == [fault])
            #expect(await h.signCalls(Harness.demoA) == 1)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["confirmedBy"] as? String == "answer")
            #expect((reply.json["signing"] as? [String: Any])?["complete"] as? Bool == true)
            let proof = try #require(reply.json["proof"] as? [String: Any])
            if proof["available"] as? Bool == false {
                #expect((proof["reason"] as? String)?.isEmpty == false, "\(proof)")
            } else {
                #expect(proof["available"] as? Bool == true, "\(proof)")
            }
        }
    }

    @Test(arguments: [NetworkRoute.token, .exchange], NetworkFault.allCases)
    func tokenFaultsNeverSignAndNeverReuseAGrant(route: NetworkRoute, fault: NetworkFault) async throws {
        try await Harness.run(Harness.Options(upstreamTimeoutMilliseconds: 2_000, maskinporten: true)) { h in
            h.simulator.state.network.arm(
                .init(route: route, fault: fault, warmOnly: route == .exchange, dripMilliseconds: 5))
            let reply = try await h.sign(Harness.demoA)
            let signed = await h.signCalls(Harness.demoA)
            if reply.status == 200 {
                #expect(signed == 1)
            } else {
                #expect(reply.problemType == "/problems/token-unavailable", "\(reply.text)")
                #expect(reply.json["signMayHaveHappened"] as? Bool == false)
                #expect(signed == 0)
            }
            #expect(h.simulator.state.network.fired.count == 1)
            // A grant whose answer was lost is never sent again (Maskinporten refuses a reused jti).
            let counters = await h.simulator.authority.counters
            #expect(counters.grantRequests >= (route == .token && fault == .closeBeforeHandler ? 0 : 1))
            #expect(counters.replayedGrants == 0)
        }
    }

    @Test func anUnknownSignSeenSignedLaterUpgradesItsKeyAndEmitsSignConfirmed() async throws {
        try await Harness.run { h in
            try await warmUp(h, Harness.demoB)
            h.simulator.state.network.arm(.init(route: .actions, fault: .closeBeforeHandler))
            let key = #""late-1""#
            let first = try await h.sign(Harness.demoB, key: key)
            #expect(first.status == 502, "\(first.text)")
            #expect(first.json["signMayHaveHappened"] as? Bool == true)
            // Altinn finishes the call after all (a load balancer cut a request the app still completed).
            let systemUser = SimulatedIdentity.defaultSystemUser.partyId
            let outOfBand = try await h.client.execute(
                .init(
                    method: .post,
                    url: h.simulatorURL + "/_simulator/instances/\(Harness.demoB)/signees/\(systemUser)/sign"))
            #expect(outOfBand.status == .noContent)
            // The tracker's next poll sees the signature: the key now answers the confirmed outcome.
            var replay = try await h.sign(Harness.demoB, key: key)
            for _ in 0..<400 where replay.status != 200 {
                try await Task.sleep(for: .milliseconds(25))
                replay = try await h.sign(Harness.demoB, key: key)
            }
            #expect(replay.status == 200, "\(replay.text)")
            #expect(replay.headers[.idempotentReplayed] == "true")
            #expect(replay.json["confirmedBy"] as? String == "observation")
            let signCalls = await h.simulator.state.recordedRequests().filter {
                $0.method == "POST" && $0.path.hasSuffix("/actions")
            }
            #expect(signCalls.isEmpty, "the gateway never signs again")
            let feed = try await h.send(.get, "/v1/events?after=0&limit=100")
            let events = try #require(
                (try? JSONSerialization.jsonObject(with: Data(feed.text.utf8))) as? [[String: Any]])
            let confirmed = events.filter { $0["type"] as? String == "no.signinggateway.sign.confirmed" }
            #expect(confirmed.count == 1)
            #expect((confirmed.first?["data"] as? [String: Any])?["idempotencyKey"] as? String == "late-1")
            let audit = try await h.send(.get, "/v1/audit?limit=100")
            #expect(audit.text.contains("\"operation\":\"signConfirmed\""))
        }
    }

    /// Reads once, so the sign that follows rides a kept-alive connection.
    private func warmUp(_ h: Harness, _ instance: String) async throws {
        #expect(try await h.signees(instance).status == 200)
    }
}
