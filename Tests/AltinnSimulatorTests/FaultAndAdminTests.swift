import AltinnSimulator
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Fault knobs and the admin API")
struct FaultAndAdminTests {
    @Test func errorRateOneGives500WithEmptyBodyAndNoEffect() async throws {
        try await Fixture.withSimulator(faults: SimulatorFaults(errorRate: 1.0)) { simulator, client in
            let response = try await client.execute(
                uri: Fixture.path(Fixture.guidC, "/actions"), method: .post,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"sign"}"#))
            #expect(response.status == .internalServerError)
            #expect(response.body.readableBytes == 0)
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidC) == 0)
        }
    }

    @Test func organisationSpellingKnobUsesTheDocsKey() async throws {
        try await Fixture.withSimulator(faults: SimulatorFaults(organisationSpelling: true)) {
            _, client in
            let response = try await client.execute(
                uri: Fixture.path(Fixture.guidA, "/signing"), method: .get, headers: Fixture.headers())
            let row = response.object.list("signeeStates")?.first
            #expect(row?.keys.contains("organisation") == true)
            #expect(row?.keys.contains("organization") == false)
        }
    }

    @Test func failSigningAfterSignGives500OnceTheSystemUserSigned() async throws {
        try await Fixture.withSimulator(faults: SimulatorFaults(failSigningAfterSign: true)) {
            simulator, client in
            let before = try await client.execute(
                uri: Fixture.path(Fixture.guidB, "/signing"), method: .get, headers: Fixture.headers())
            #expect(before.status == .ok)
            let sign = try await client.execute(
                uri: Fixture.path(Fixture.guidB, "/actions"), method: .post,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"sign"}"#))
            #expect(sign.status == .ok)
            let after = try await client.execute(
                uri: Fixture.path(Fixture.guidB, "/signing"), method: .get, headers: Fixture.headers())
            #expect(after.status == .internalServerError)
            #expect(after.body.readableBytes == 0)
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidB) == 1)
        }
    }

    @Test(.timeLimit(.minutes(1)))
    func droppedReplyAppliesTheSignButNeverAnswers() async throws {
        try await Fixture.withSimulator(faults: SimulatorFaults(dropReplyRate: 1.0)) {
            simulator, client in
            let port = try #require(client.port)
            // A second client on its own connection; the shared one must stay usable.
            let caller = TestClient(
                host: "localhost", port: port, configuration: .init(timeout: .seconds(30)))
            caller.connect()
            let call = Task {
                try await caller.execute(
                    TestClient.Request(
                        Fixture.path(Fixture.guidC, "/process/next"), method: .put,
                        headers: Fixture.headers(json: true), body: Fixture.body(#"{"action":"sign"}"#)))
            }
            // The server tells us when it holds the reply: no sleeping.
            await simulator.state.waitForHeldReplies(atLeast: 1)
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidC) == 1)
            #expect(
                await simulator.state.currentTaskId(partyId: 51_281_269, guid: Fixture.guidC) == .some(nil))
            // The caller gives up; it must not have had any answer by then.
            try await caller.shutdown()
            let result = await call.result
            #expect(throws: (any Error).self) { try result.get() }
            // Returning lets the framework shut the server down gracefully; the held reply must
            // not keep it waiting (the time limit catches a hang).
        }
    }

    @Test func faultsCanBeChangedAtRuntime() async throws {
        try await Fixture.withSimulator { simulator, client in
            let put = try await client.execute(
                uri: "/_simulator/faults", method: .put, headers: Fixture.headers(token: nil, json: true),
                body: Fixture.body(#"{"errorRate":1,"latencyMs":5}"#))
            #expect(put.status == .ok)
            #expect(await simulator.state.faults.errorRate == 1)
            #expect(await simulator.state.faults.latency == .milliseconds(5))
            let failing = try await client.execute(
                uri: Fixture.path(Fixture.guidA, "/process"), method: .get, headers: Fixture.headers())
            #expect(failing.status == .internalServerError)
            let bad = try await client.execute(
                uri: "/_simulator/faults", method: .put, headers: Fixture.headers(token: nil, json: true),
                body: Fixture.body(#"{"errorRate":2}"#))
            #expect(bad.status == .badRequest)
            await simulator.state.setFaults(SimulatorFaults())
            let working = try await client.execute(
                uri: Fixture.path(Fixture.guidA, "/process"), method: .get, headers: Fixture.headers())
            #expect(working.status == .ok)
        }
    }

    @Test func templateCreatesAFreshIndependentCopy() async throws {
        try await Fixture.withSimulator { simulator, client in
            let created = try await client.execute(
                uri: "/_simulator/instances", method: .post,
                headers: Fixture.headers(token: nil, json: true),
                body: Fixture.body(#"{"template":"C"}"#))
            #expect(created.status == .created)
            let id = try #require(created.object["id"] as? String)
            let parts = id.split(separator: "/")
            #expect(parts.first == "51281269")
            let guid = try #require(UUID(uuidString: String(parts[1])))
            #expect(guid != Fixture.guidC)
            let next = try await client.execute(
                uri: Fixture.path(guid, "/process/next"), method: .put,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"sign"}"#))
            #expect(next.status == .ok)
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: guid) == 1)
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidC) == 0)
            #expect(
                await simulator.state.currentTaskId(partyId: 51_281_269, guid: Fixture.guidC)
                    == .some("Task_2"))

            let list = try await client.execute(
                uri: "/_simulator/instances", method: .get, headers: Fixture.headers(token: nil))
            let rows = list.object.list("instances") ?? []
            #expect(rows.count == 6)
            #expect(rows.first { $0["id"] as? String == id }?["signCalls"] as? Int == 1)

            let unknown = try await client.execute(
                uri: "/_simulator/instances", method: .post,
                headers: Fixture.headers(token: nil, json: true),
                body: Fixture.body(#"{"template":"Z"}"#))
            #expect(unknown.status == .badRequest)
        }
    }

    @Test func outOfBandSignatureLetsTheLastSigneeComplete() async throws {
        try await Fixture.withSimulator { simulator, client in
            for party in [51_290_001, 51_290_002] {
                let response = try await client.execute(
                    uri:
                        "/_simulator/instances/51281269/\(Fixture.guidB.uuidString.lowercased())/signees/\(party)/sign",
                    method: .post, headers: Fixture.headers(token: nil))
                #expect(response.status == .noContent)
            }
            let next = try await client.execute(
                uri: Fixture.path(Fixture.guidB, "/process/next"), method: .put,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"sign"}"#))
            #expect(next.status == .ok)
            #expect(next.object.isExplicitNull("currentTask"))
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidB) == 1)
        }
    }

    @Test func resetReseedsInstances() async throws {
        try await Fixture.withSimulator { simulator, client in
            let sign = try await client.execute(
                uri: Fixture.path(Fixture.guidC, "/process/next"), method: .put,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"sign"}"#))
            #expect(sign.status == .ok)
            let reset = try await client.execute(
                uri: "/_simulator/reset", method: .post, headers: Fixture.headers(token: nil))
            #expect(reset.status == .noContent)
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidC) == 0)
            #expect(
                await simulator.state.currentTaskId(partyId: 51_281_269, guid: Fixture.guidC)
                    == .some("Task_2"))
        }
    }

    @Test func recordedRequestsKeepShapeButNeverTheToken() async throws {
        try await Fixture.withSimulator { simulator, client in
            _ = try await client.execute(
                uri: Fixture.path(Fixture.guidB, "/actions?language=en"), method: .post,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"sign","onBehalfOf":null}"#))
            let response = try await client.execute(
                uri: "/_simulator/requests", method: .get, headers: Fixture.headers(token: nil))
            #expect(response.status == .ok)
            #expect(!response.text.contains(Fixture.token))
            let recorded = response.object.list("requests")?.first
            #expect(recorded?["method"] as? String == "POST")
            #expect(recorded?["path"] as? String == Fixture.path(Fixture.guidB, "/actions"))
            #expect(recorded?["query"] as? String == "language=en")
            #expect(recorded?["contentType"] as? String == "application/json")
            #expect(recorded?["accept"] as? String == "application/json")
            #expect(recorded?["authorizationPresent"] as? Bool == true)
            #expect(recorded?.dict("body")?["action"] as? String == "sign")
            #expect(recorded?.dict("body")?.isExplicitNull("onBehalfOf") == true)
            let inMemory = await simulator.state.recordedRequests()
            #expect(inMemory.count == 1)
            #expect(inMemory.allSatisfy { !($0.bodyJSON ?? "").contains(Fixture.token) })
        }
    }

    @Test func demoInstancesAreListedWithTheFixedIds() {
        #expect(
            AltinnSimulator.demoInstances.map(\.id) == [
                "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01",
                "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02",
                "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a03",
                "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a04",
                "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a05",
            ])
        #expect(
            AltinnSimulator.demoInstances.allSatisfy {
                $0.app == "ttd/signing-app" && !$0.description.isEmpty
            })
    }
}
