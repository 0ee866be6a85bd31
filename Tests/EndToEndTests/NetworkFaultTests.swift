import AltinnSimulator
import Foundation
import Testing

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
        try await Harness.run(Harness.Options(upstreamTimeoutMilliseconds: 300)) { h in
            try await warmUp(h, Harness.demoA)
            h.simulator.state.network.arm(.init(route: .actions, fault: .dripHeaders, dripMilliseconds: 200))
            let reply = try await h.sign(Harness.demoA)
            #expect(await h.signCalls(Harness.demoA) == 1)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["confirmedBy"] as? String == "observation")
        }
    }

    @Test(arguments: NetworkFault.allCases)
    func processNextReachesAltinnOnce(fault: NetworkFault) async throws {
        try await Harness.run(Harness.Options(upstreamTimeoutMilliseconds: 2_000)) { h in
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

    /// Reads once, so the sign that follows rides a kept-alive connection.
    private func warmUp(_ h: Harness, _ instance: String) async throws {
        #expect(try await h.signees(instance).status == 200)
    }
}
