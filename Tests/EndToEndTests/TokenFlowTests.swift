import AltinnSimulator
import Foundation
import Storage
import Testing
import Tokens

/// The real token path through the gateway: grant and exchange at the simulator, then the app call.
@Suite struct TokenFlowTests {
    @Test func signsAsTheSystemUserThroughMaskinporten() async throws {
        try await Harness.run(Harness.Options(maskinporten: true)) { h in
            let reply = try await h.sign(Harness.demoA)
            #expect(reply.status == 200, "\(reply.text)")
            let counters = await h.simulator.authority.counters
            #expect(counters.grantsIssued == 1 && counters.exchangesIssued == 1)
            #expect(await h.signCalls(Harness.demoA) == 1)
        }
    }

    /// Altinn refuses the cached token (401): the gateway purges it, fetches a new one and retries once.
    @Test func a401PurgesTheTokenAndRetriesOnce() async throws {
        try await Harness.run(Harness.Options(maskinporten: true)) { h in
            #expect(try await h.signees(Harness.demoB).status == 200)
            await h.simulator.authority.revokeIssuedTokens()
            let reply = try await h.sign(Harness.demoA)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(await h.simulator.authority.counters.exchangesIssued == 2)
            #expect(await h.signCalls(Harness.demoA) == 1, "the refused call was not executed; the retry was")
        }
    }

    @Test func maskinportenDownIsA503TokenUnavailableWithoutSecrets() async throws {
        try await Harness.run(Harness.Options(maskinporten: true)) { h in
            await h.simulator.authority.setMaskinportenFailure(status: 503)
            let reply = try await h.sign(Harness.demoA)
            #expect(reply.status == 503)
            #expect(reply.problemType == "/problems/token-unavailable")
            #expect(reply.text.contains("maskinporten grant"))
            // The gateway's words only: neither the problem nor the sign.failed event carries what Maskinporten
            // said (its error and error_description).
            let events = try await h.store.events(after: 0, limit: 100)
            #expect(events.contains { $0.event.type.hasSuffix("sign.failed") })
            let eventText = events.map { String(decoding: $0.event.body, as: UTF8.self) }.joined()
            for upstream in ["server_error", "Maskinporten is unavailable"] {
                #expect(!reply.text.contains(upstream), "\(upstream)")
                #expect(!eventText.contains(upstream), "\(upstream)")
            }
            #expect(await h.signCalls(Harness.demoA) == 0)
            _ = try await h.sign(Harness.demoA)
            #expect(await h.simulator.authority.counters.grantRequests == 1, "negative cache")
        }
    }

    /// A full flow's logs hold no JWT and no line of the private key.
    @Test func noSecretInAnyLogLine() async throws {
        try await Harness.run(Harness.Options(maskinporten: true)) { h in
            _ = try await h.sign(Harness.demoA)
            await h.simulator.authority.revokeIssuedTokens()
            _ = try await h.signees(Harness.demoA)
            let pem = try String(contentsOfFile: E2EKey.written.privateKeyPath, encoding: .utf8)
            let text = h.logs.text
            #expect(!text.contains("eyJ"))
            for line in pem.split(separator: "\n") where !line.hasPrefix("-----") {
                #expect(!text.contains(line))
            }
        }
    }
}
