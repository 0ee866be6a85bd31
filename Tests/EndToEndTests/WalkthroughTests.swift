import Foundation
import HTTPTypes
import Testing

/// The README walkthrough, over real HTTP: gateway → libcurl → simulator.
@Suite struct WalkthroughTests {
    @Test func parallelSigningUntilComplete() async throws {
        try await Harness.run { h in
            let signed = try await h.sign(Harness.demoA)
            #expect(signed.status == 200, "\(signed.text)")
            #expect(signed.headers[.contentType] == "application/json")
            let signing = try #require(signed.json["signing"] as? [String: Any])
            #expect(signing["stateKnown"] as? Bool == true)
            #expect(signing["complete"] as? Bool == true)
            #expect(signing["taskId"] as? String == "Task_2")
            let signees = try #require(signing["signees"] as? [[String: Any]])
            #expect(
                Set(signees.compactMap { $0["kind"] as? String }) == [
                    "person", "organization", "personOnBehalfOfOrganization", "systemUser",
                ])
            #expect(signees.allSatisfy { $0["status"] as? String == "signed" })
            let process = try #require(signed.json["process"] as? [String: Any])
            #expect((process["currentTask"] as? [String: Any])?["id"] as? String == "Task_2")
            #expect(await h.signCalls(Harness.demoA) == 1)

            let read = try await h.signees(Harness.demoA)
            #expect(read.status == 200)
            #expect((read.json["signing"] as? [String: Any])?["complete"] as? Bool == true)
            #expect(await h.signCalls(Harness.demoA) == 1, "reading must not sign")

            let completed = try await h.processNext(Harness.demoA)
            #expect(completed.status == 200, "\(completed.text)")
            let after = try #require(completed.json["process"] as? [String: Any])
            #expect(after["ended"] as? Bool == true)
            #expect(after["currentTask"] is NSNull)

            // Once the process has left the signing task, the signees need ?taskId=.
            let past = try await h.signees(Harness.demoA, query: "?taskId=Task_2")
            #expect(past.status == 200)
            let current = try await h.signees(Harness.demoA)
            #expect(current.status == 409)
            #expect(current.problemType == "/problems/not-a-signing-task")
        }
    }

    @Test func processNextBeforeEveryoneSignedCarriesMissingSignatures() async throws {
        try await Harness.run { h in
            let signed = try await h.sign(Harness.demoB)
            #expect(signed.status == 200)
            let signing = try #require(signed.json["signing"] as? [String: Any])
            #expect(signing["complete"] as? Bool == false)
            let counts = try #require(signing["counts"] as? [String: Int])
            #expect(counts["signed"] == 1)
            #expect(counts["notificationFailed"] == 1)
            #expect(counts["delegationFailed"] == 1)

            let next = try await h.processNext(Harness.demoB)
            #expect(next.status == 409)
            #expect(next.headers[.contentType] == "application/problem+json")
            #expect(next.problemType == "/problems/missing-signatures")
            let issues = try #require(next.json["validationIssues"] as? [[String: Any]])
            #expect(issues.first?["code"] as? String == "MissingSignatures")
            #expect(next.json["upstreamStatus"] as? Int == 409)
            #expect(next.json["signMayHaveHappened"] as? Bool == false)
            #expect(await h.signCalls(Harness.demoB) == 1)
        }
    }

    @Test func singleSigningMovesTheProcessOn() async throws {
        try await Harness.run { h in
            let signed = try await h.sign(Harness.demoC, mode: "single")
            #expect(signed.status == 200, "\(signed.text)")
            #expect(signed.json["mode"] as? String == "single")
            let process = try #require(signed.json["process"] as? [String: Any])
            #expect(process["ended"] as? Bool == true)
            let signing = try #require(signed.json["signing"] as? [String: Any])
            #expect(signing["taskId"] as? String == "Task_2")
            #expect(signing["complete"] as? Bool == true)
            #expect(await h.signCalls(Harness.demoC) == 1)

            // Signing again after the end is refused before anything is sent.
            let again = try await h.sign(Harness.demoC, mode: "single")
            #expect(again.status == 409)
            #expect(again.problemType == "/problems/process-ended")
            #expect(await h.signCalls(Harness.demoC) == 1)
        }
    }

    @Test func instanceURLsAreAcceptedForTheConfiguredUpstreamOnly() async throws {
        try await Harness.run { h in
            let url = "\(h.simulatorURL)/ttd/signing-app/instances/\(Harness.demoA)"
            let signed = try await h.send(
                .post, "/v1/signatures", body: #"{"instanceUrl":"\#(url)","mode":"parallel"}"#)
            #expect(signed.status == 200, "\(signed.text)")
            #expect((signed.json["instance"] as? [String: Any])?["url"] as? String == url)

            let before = await h.upstreamRequestCount()
            let foreign = try await h.send(
                .post, "/v1/signatures",
                body:
                    #"{"instanceUrl":"https://ttd.apps.tt02.altinn.no/ttd/signing-app/instances/\#(Harness.demoA)","mode":"parallel"}"#
            )
            #expect(foreign.status == 400)
            #expect(foreign.problemType == "/problems/invalid-instance-reference")
            #expect(await h.upstreamRequestCount() == before)
        }
    }

    @Test func operationalRoutes() async throws {
        try await Harness.run { h in
            let health = try await h.send(.get, "/healthz", authorized: false)
            #expect(health.status == 200)
            #expect(health.json["status"] as? String == "ok")
            let spec = try await h.send(.get, "/openapi.yaml", authorized: false)
            #expect(spec.status == 200)
            #expect(spec.text.hasPrefix("openapi: 3.1"))
            let problems = try await h.send(.get, "/problems", authorized: false)
            #expect(problems.status == 200)
            #expect(problems.text.contains("/problems/missing-signatures"))
        }
    }
}
