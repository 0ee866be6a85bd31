import AltinnSimulator
import Foundation
import Testing

/// The wire production Altinn uses: HTTPS, HTTP/2 by ALPN. The client's TLS and h2 paths, and the sign-safety
/// guarantees over them, on warm connections.
@Suite struct TLSTests {
    @Test func theGatewayTalksHTTP2OverTLSAndReusesTheConnection() async throws {
        try await Harness.run(Harness.Options(tls: true)) { h in
            #expect(try await h.signees(Harness.demoA).status == 200)
            let reply = try await h.sign(Harness.demoA)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["confirmedBy"] as? String == "answer")
            // Every upstream request rode an h2 stream.
            #expect(h.simulator.state.network.http2Requests == (await h.upstreamRequestCount()))
        }
    }

    static let afterHandler: [NetworkFault] = [
        .closeAfterHandler, .resetAfterHandler, .headersThenClose, .halfBodyThenClose, .goAway,
    ]

    @Test(arguments: afterHandler)
    func overHTTP2ALostSignAnswerIsSentOnceAndConfirmed(fault: NetworkFault) async throws {
        try await Harness.run(Harness.Options(tls: true)) { h in
            #expect(try await h.signees(Harness.demoA).status == 200)
            h.simulator.state.network.arm(.init(route: .actions, fault: fault))
            let reply = try await h.sign(Harness.demoA)
            #expect(h.simulator.state.network.fired.map(\.fault) == [fault])
            #expect(await h.signCalls(Harness.demoA) == 1)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["confirmedBy"] as? String == "observation")
        }
    }

    @Test(arguments: [NetworkRoute.actions, .processNext])
    func overHTTP2AWriteCutBeforeTheHandlerIsNotResent(route: NetworkRoute) async throws {
        try await Harness.run(Harness.Options(tls: true)) { h in
            #expect(try await h.signees(Harness.demoC).status == 200)
            h.simulator.state.network.arm(.init(route: route, fault: .closeBeforeHandler))
            let reply = try await h.sign(Harness.demoC, mode: route == .actions ? "parallel" : "single")
            #expect(await h.signCalls(Harness.demoC) == 0)
            #expect(reply.status == 502, "\(reply.text)")
            #expect(reply.json["signMayHaveHappened"] as? Bool == true)
        }
    }

    @Test(arguments: NetworkFault.allCases)
    func overHTTP2ReadsSurviveEveryFault(fault: NetworkFault) async throws {
        try await Harness.run(Harness.Options(tls: true)) { h in
            #expect(try await h.signees(Harness.demoB).status == 200)
            h.simulator.state.network.arm(.init(route: .signing, fault: fault, dripMilliseconds: 5))
            let reply = try await h.signees(Harness.demoB)
            #expect(reply.status == 200, "\(reply.text)")
        }
    }
}
