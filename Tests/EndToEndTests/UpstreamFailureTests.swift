import AltinnSimulator
import Foundation
import HTTPTypes
import Testing

/// Altinn misbehaving, for real, through the simulator's fault knobs and a closed port.
@Suite struct UpstreamFailureTests {
    @Test func altinn500OnSignSaysTheSignMayHaveHappened() async throws {
        try await Harness.run { h in
            await h.simulator.state.setFaults(SimulatorFaults(errorRate: 1.0))
            let reply = try await h.sign(Harness.demoA)
            #expect(reply.status == 502)
            #expect(reply.problemType == "/problems/altinn-error")
            #expect(reply.json["signMayHaveHappened"] as? Bool == true)
            #expect(reply.json["upstreamStatus"] as? Int == 500)
            let writes = await h.simulator.state.recordedRequests().filter { $0.method != "GET" }
            #expect(writes.count == 1, "a 500 on a sign is never retried (only read afterwards)")
        }
    }

    @Test func droppedReplyTimesOutAndIsNeverResent() async throws {
        // Long enough for a loaded machine to deliver the sign before the deadline: the held reply, not the
        // machine's speed, is what times out.
        try await Harness.run(Harness.Options(upstreamTimeoutMilliseconds: 1_500)) { h in
            await h.simulator.state.setFaults(SimulatorFaults(dropReplyRate: 1.0))
            let reply = try await h.sign(Harness.demoB)
            #expect(reply.status == 504, "\(reply.text)")
            #expect(reply.problemType == "/problems/altinn-timeout")
            #expect(reply.json["signMayHaveHappened"] as? Bool == true)
            #expect(await h.signCalls(Harness.demoB) == 1, "the sign reached Altinn exactly once")
            await h.simulator.state.setFaults(SimulatorFaults())
        }
    }

    @Test func unreachableAltinnSaysNothingWasSigned() async throws {
        try await Harness.run(Harness.Options(upstreamOverride: "http://127.0.0.1:1")) { h in
            let reply = try await h.sign(Harness.demoA)
            #expect(reply.status == 503)
            #expect(reply.problemType == "/problems/altinn-unreachable")
            #expect(reply.json["signMayHaveHappened"] as? Bool == false)
        }
    }

    @Test func refusedTokenIsABadGatewayAndNothingIsSigned() async throws {
        try await Harness.run(Harness.Options(gatewayToken: "not-a-token-altinn-knows")) { h in
            let reply = try await h.sign(Harness.demoA)
            #expect(reply.status == 502)
            #expect(reply.problemType == "/problems/altinn-refused-credentials")
            #expect(reply.json["signMayHaveHappened"] as? Bool == false)
            #expect(await h.signCalls(Harness.demoA) == 0)
        }
    }

    @Test func signingStateFailureAfterSignIsUnknownNotFailed() async throws {
        try await Harness.run { h in
            await h.simulator.state.setFaults(SimulatorFaults(failSigningAfterSign: true))
            let reply = try await h.sign(Harness.demoA)
            #expect(reply.status == 200, "\(reply.text)")
            let signing = try #require(reply.json["signing"] as? [String: Any])
            #expect(signing["stateKnown"] as? Bool == false)
            #expect(signing["signees"] == nil)
            #expect(await h.signCalls(Harness.demoA) == 1)
        }
    }

    @Test func organisationSpellingIsDecoded() async throws {
        try await Harness.run { h in
            await h.simulator.state.setFaults(SimulatorFaults(organisationSpelling: true))
            let reply = try await h.signees(Harness.demoA)
            #expect(reply.status == 200)
            let signees = try #require((reply.json["signing"] as? [String: Any])?["signees"] as? [[String: Any]])
            #expect(signees.contains { $0["organization"] as? String == "LYDIG VENNLIG KATT KJERNE" })
        }
    }

    @Test func processEndedAndNotASigningTask() async throws {
        try await Harness.run { h in
            let ended = try await h.sign(Harness.demoD)
            #expect(ended.status == 409)
            #expect(ended.problemType == "/problems/process-ended")
            #expect(ended.json["signMayHaveHappened"] as? Bool == false)
            let dataTask = try await h.sign(Harness.demoE, mode: "single")
            #expect(dataTask.status == 409)
            #expect(dataTask.problemType == "/problems/not-a-signing-task")
            // GET process answers 404 for an unknown instance; /actions answers an empty 500 (Altinn does
            // not catch the Storage error there). The gateway reads GET process to learn which: 404, so
            // nothing can have been signed.
            let unknown = try await h.sign("51281269/00000000-0000-4000-8000-000000000000", mode: "single")
            #expect(unknown.status == 404)
            #expect(unknown.problemType == "/problems/altinn-instance-not-found")
            let unknownParallel = try await h.sign("51281269/00000000-0000-4000-8000-000000000000")
            #expect(unknownParallel.status == 404, "\(unknownParallel.text)")
            #expect(unknownParallel.problemType == "/problems/altinn-instance-not-found")
            #expect(unknownParallel.json["signMayHaveHappened"] as? Bool == false)
            // A parallel sign on a data task: Altinn's empty 403 (the PDP has no `sign` there) is not a
            // token problem; GET process shows the task.
            let parallelOnData = try await h.sign(Harness.demoE)
            #expect(parallelOnData.status == 409, "\(parallelOnData.text)")
            #expect(parallelOnData.problemType == "/problems/not-a-signing-task")
            #expect(parallelOnData.json["currentTask"] as? String == "Task_1")
            #expect(parallelOnData.json["signMayHaveHappened"] as? Bool == false)
            // An unknown instance read: Altinn's empty 500 on …/signing becomes "no such instance".
            let unknownRead = try await h.signees("51281269/00000000-0000-4000-8000-000000000000")
            #expect(unknownRead.status == 404, "\(unknownRead.text)")
            #expect(unknownRead.problemType == "/problems/altinn-instance-not-found")
        }
    }

    @Test func noSecretInLogsOrAnswers() async throws {
        try await Harness.run { h in
            var bodies: [String] = []
            bodies.append(try await h.sign(Harness.demoA).text)
            bodies.append(try await h.processNext(Harness.demoB).text)
            bodies.append(try await h.signees(Harness.demoB).text)
            bodies.append(try await h.send(.post, "/v1/signatures", body: "{").text)
            bodies.append(try await h.send(.post, "/v1/signatures", body: "{}", authorized: false).text)
            await h.simulator.state.setFaults(SimulatorFaults(errorRate: 1.0))
            bodies.append(try await h.sign(Harness.demoB).text)
            let logs = h.logs.text
            #expect(!logs.isEmpty)
            for secret in [h.altinnToken, h.clientKey] {
                #expect(!logs.contains(secret))
                #expect(!bodies.joined().contains(secret))
            }
            let recorded = await h.simulator.state.recordedRequests()
            #expect(recorded.allSatisfy { $0.hasAuthorization })
        }
    }
}
