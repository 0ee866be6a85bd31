import AltinnSimulator
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@Suite("Altinn app API over live HTTP")
struct AppAPITests {
    @Test func missingOrUnknownTokenGives401WithEmptyBody() async throws {
        try await Fixture.withSimulator { _, client in
            for headers in [Fixture.headers(token: nil), Fixture.headers(token: "not-a-known-token")] {
                let response = try await client.execute(
                    uri: Fixture.path(Fixture.guidA, "/process"), method: .get, headers: headers)
                #expect(response.status == .unauthorized)
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func nonGuidOrNonIntPartyIsA404RouteMiss() async throws {
        try await Fixture.withSimulator { _, client in
            for uri in [
                "/ttd/signing-app/instances/51281269/not-a-guid/process",
                "/ttd/signing-app/instances/abc/\(Fixture.guidA.uuidString)/process",
                "/ttd/signing-app/instances/99999999999/\(Fixture.guidA.uuidString)/process",
            ] {
                let response = try await client.execute(uri: uri, method: .get, headers: Fixture.headers())
                #expect(response.status == .notFound, "\(uri)")
                #expect(response.body.readableBytes == 0)
            }
        }
    }

    @Test func instanceHasStorageShapeAndAltinnHeaders() async throws {
        try await Fixture.withSimulator { _, client in
            let response = try await client.execute(
                uri: Fixture.path(Fixture.guidA), method: .get, headers: Fixture.headers())
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json; charset=utf-8")
            #expect(response.headers[.cacheControl] == "no-store, no-cache")
            #expect(response.headers[HTTPField.Name("X-Content-Type-Options")!] == "nosniff")
            let json = response.object
            #expect(json["id"] as? String == "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01")
            #expect(json.dict("instanceOwner")?["partyId"] as? String == "51281269")
            #expect(json["appId"] as? String == "ttd/signing-app")
            #expect(json["org"] as? String == "ttd")
            // The document to sign, then the three seeded signatures' documents (demo A), each typed.
            let data = json["data"] as? [[String: Any]] ?? []
            #expect(
                data.map { $0["dataType"] as? String } == ["ref-data-as-pdf", "signatures", "signatures", "signatures"])
            #expect(data.allSatisfy { $0["contentHash"] is NSNull })
            let process = json.dict("process")
            #expect(process?.dict("currentTask")?["elementId"] as? String == "Task_2")
            #expect(process?.dict("currentTask")?["altinnTaskType"] as? String == "signing")
            #expect(process?.isExplicitNull("ended") == true)
            #expect(json.dict("selfLinks")?["apps"] as? String != nil)
        }
    }

    @Test func processStateWritesNullsAndSigningActions() async throws {
        try await Fixture.withSimulator { _, client in
            let open = try await client.execute(
                uri: Fixture.path(Fixture.guidA, "/process"), method: .get, headers: Fixture.headers())
            #expect(open.status == .ok)
            let state = open.object
            let task = state.dict("currentTask")
            #expect(task?["elementId"] as? String == "Task_2")
            #expect(task?.dict("actions")?["sign"] as? Bool == true)
            #expect(
                task?.list("userActions")?.contains {
                    $0["id"] as? String == "sign" && $0["type"] as? String == "ProcessAction"
                } == true)
            #expect(task?["elementType"] as? String == "Task")
            #expect(task?["flowType"] as? String == "CompleteCurrentMoveToNext")
            #expect(task?.isExplicitNull("validated") == true)
            #expect(state.isExplicitNull("ended") && state.isExplicitNull("endEvent"))
            #expect(
                state.list("processTasks")?.map { $0["elementId"] as? String } == ["Task_1", "Task_2"])

            let ended = try await client.execute(
                uri: Fixture.path(Fixture.guidD, "/process"), method: .get, headers: Fixture.headers())
            let endedState = ended.object
            #expect(endedState.isExplicitNull("currentTask"))
            #expect(endedState["endEvent"] as? String == "EndEvent_1")
        }
    }

    @Test func parallelSignKeepsTheTaskThenProcessNextCompletes() async throws {
        try await Fixture.withSimulator { simulator, client in
            let sign = try await client.execute(
                uri: Fixture.path(Fixture.guidA, "/actions?language=nb"), method: .post,
                headers: Fixture.headers(json: true), body: Fixture.body(#"{"action":"sign"}"#))
            #expect(sign.status == .ok)
            let reply = sign.object
            #expect(
                reply.dict("instance")?["id"] as? String
                    == "51281269/\(Fixture.guidA.uuidString.lowercased())")
            #expect(reply.dict("updatedDataModels")?.isEmpty == true)
            #expect(reply.dict("updatedValidationIssues")?.isEmpty == true)
            #expect(
                reply.isExplicitNull("clientActions") && reply.isExplicitNull("error")
                    && reply.isExplicitNull("redirectUrl"))
            #expect(
                await simulator.state.currentTaskId(partyId: 51_281_269, guid: Fixture.guidA)
                    == .some("Task_2"))
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidA) == 1)
            let systemRow = await simulator.state.signeeStates(partyId: 51_281_269, guid: Fixture.guidA)?
                .first { $0.partyId == 50_001_001 }
            #expect(systemRow?.signedTime != nil)

            let next = try await client.execute(
                uri: Fixture.path(Fixture.guidA, "/process/next"), method: .put, headers: Fixture.headers())
            #expect(next.status == .ok)
            #expect(next.object.isExplicitNull("currentTask"))
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidA) == 1)
        }
    }

    @Test(arguments: [
        ("nb", "Det mangler påkrevde signaturer."), ("nn", "Det manglar påkravde signaturar."),
        ("en", "Required signatures are missing."),
    ])
    func missingSignaturesIs409WithTheIssue(language: String, text: String) async throws {
        try await Fixture.withSimulator { simulator, client in
            let response = try await client.execute(
                uri: Fixture.path(Fixture.guidB, "/process/next?language=\(language)"), method: .put,
                headers: Fixture.headers())
            #expect(response.status == .conflict)
            #expect(response.headers[.contentType] == "application/problem+json; charset=utf-8")
            let problem = response.object
            #expect(problem["title"] as? String == "Validation failed for task")
            #expect(problem["status"] as? Int == 409)
            let issue = problem.list("validationIssues")?.first
            #expect(issue?["severity"] as? Int == 1)
            #expect(issue?["code"] as? String == "MissingSignatures")
            #expect(issue?["description"] as? String == text)
            #expect(
                issue?["source"] as? String
                    == "Altinn.App.Core.Features.Validation.Default.SigningTaskValidator-*")
            #expect(issue?["noIncrementalUpdates"] as? Bool == true)
            #expect(
                await simulator.state.currentTaskId(partyId: 51_281_269, guid: Fixture.guidB)
                    == .some("Task_2"))
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidB) == 0)
        }
    }

    @Test func singleSignEndsTheProcessAndTaskIdStillWorks() async throws {
        try await Fixture.withSimulator { simulator, client in
            let next = try await client.execute(
                uri: Fixture.path(Fixture.guidC, "/process/next?language=nb"), method: .put,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"sign","actionOnBehalfOf":null}"#))
            #expect(next.status == .ok)
            let state = next.object
            #expect(state.isExplicitNull("currentTask"))
            #expect(state["endEvent"] as? String == "EndEvent_1")
            #expect(state["ended"] is String)
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidC) == 1)

            let withoutTask = try await client.execute(
                uri: Fixture.path(Fixture.guidC, "/signing"), method: .get, headers: Fixture.headers())
            #expect(withoutTask.status == .badRequest)
            let withTask = try await client.execute(
                uri: Fixture.path(Fixture.guidC, "/signing?taskId=Task_2"), method: .get,
                headers: Fixture.headers())
            #expect(withTask.status == .ok)
            let row = withTask.object.list("signeeStates")?.first
            #expect(row?["name"] as? String == "System")
            #expect(row?["organization"] as? String == "ERP SYSTEMBRUKER AS")
            #expect(row?["signedTime"] is String)

            let again = try await client.execute(
                uri: Fixture.path(Fixture.guidC, "/process/next"), method: .put, headers: Fixture.headers())
            #expect(again.status == .conflict)
            #expect(again.text == #"{"status":409,"detail":"Process is ended.","validationIssues":null}"#)
        }
    }

    @Test func signingOutsideASigningTaskIs400() async throws {
        try await Fixture.withSimulator { _, client in
            let response = try await client.execute(
                uri: Fixture.path(Fixture.guidE, "/signing"), method: .get, headers: Fixture.headers())
            #expect(response.status == .badRequest)
            #expect(
                response.text
                    == #"{"title":"Not a signing task","status":400,"detail":"This endpoint is only callable while the current task is a signing task, or when taskId query param is set to a signing task's ID."}"#
            )
            // A data task with no action moves on to the signing task.
            let next = try await client.execute(
                uri: Fixture.path(Fixture.guidE, "/process/next"), method: .put, headers: Fixture.headers())
            #expect(next.status == .ok)
            #expect(next.object.dict("currentTask")?["elementId"] as? String == "Task_2")
        }
    }

    @Test func signingStateShapeWithNullsAndSevenDigitTimes() async throws {
        try await Fixture.withSimulator { _, client in
            let response = try await client.execute(
                uri: Fixture.path(Fixture.guidA, "/signing?language=nb"), method: .get,
                headers: Fixture.headers())
            #expect(response.status == .ok)
            let rows = response.object.list("signeeStates") ?? []
            #expect(rows.count == 4)
            for row in rows {
                #expect(
                    Set(row.keys) == [
                        "name", "organization", "delegationSuccessful", "notificationStatus", "partyId",
                        "signedTime",
                    ])
            }
            let org = rows.first { $0["partyId"] as? Int == 51_843_877 }
            #expect(org?.isExplicitNull("name") == true)
            #expect(org?["organization"] as? String == "LYDIG VENNLIG KATT KJERNE")
            let pending = rows.first { $0["partyId"] as? Int == 50_001_001 }
            #expect(pending?.isExplicitNull("signedTime") == true)
            let times = rows.compactMap { $0["signedTime"] as? String }
            #expect(times.count == 3)
            let pattern = try Regex(#"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{7}Z$"#)
            for time in times { #expect(time.wholeMatch(of: pattern) != nil, "\(time)") }
            #expect(response.text.contains("BØYLEHEST MATT"), "non-ASCII letters are not escaped")
        }
    }

    @Test func pendingSigneesShowFailedAndNotSent() async throws {
        try await Fixture.withSimulator { _, client in
            let rows =
                try await client.execute(
                    uri: Fixture.path(Fixture.guidB, "/signing"), method: .get, headers: Fixture.headers()
                )
                .object.list("signeeStates") ?? []
            let hund = rows.first { $0["partyId"] as? Int == 51_290_001 }
            #expect(hund?["notificationStatus"] as? String == "Failed")
            let mus = rows.first { $0["partyId"] as? Int == 51_290_002 }
            #expect(mus?["delegationSuccessful"] as? Bool == false)
            #expect(mus?["notificationStatus"] as? String == "NotSent")
        }
    }

    @Test(
        arguments: [
            (nil, "text/plain; charset=utf-8", "Process is ended."),
            ("*/*", "text/plain; charset=utf-8", "Process is ended."),
            ("text/plain", "text/plain; charset=utf-8", "Process is ended."),
            ("application/json", "application/json; charset=utf-8", #""Process is ended.""#),
        ] as [(String?, String, String)])
    func actionsOnEndedProcessIs409StringByAccept(accept: String?, contentType: String, body: String)
        async throws
    {
        try await Fixture.withSimulator { _, client in
            let response = try await client.execute(
                uri: Fixture.path(Fixture.guidD, "/actions"), method: .post,
                headers: Fixture.headers(accept: accept, json: true),
                body: Fixture.body(#"{"action":"sign"}"#))
            #expect(response.status == .conflict)
            #expect(response.headers[.contentType] == contentType)
            #expect(response.text == body)
        }
    }

    @Test(arguments: [#"{"action":null}"#, #"{}"#, ""])
    func actionsWithoutActionIs400(body: String) async throws {
        try await Fixture.withSimulator { simulator, client in
            let response = try await client.execute(
                uri: Fixture.path(Fixture.guidA, "/actions"), method: .post,
                headers: Fixture.headers(json: true),
                body: Fixture.body(body))
            #expect(response.status == .badRequest)
            #expect(
                response.text
                    == #"{"title":"Action is missing","status":400,"detail":"Action is missing in the request","instance":"5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01"}"#
            )
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidA) == 0)
        }
    }

    @Test func actionsOnBehalfOfBySystemUserIs401() async throws {
        try await Fixture.withSimulator { simulator, client in
            let response = try await client.execute(
                uri: Fixture.path(Fixture.guidB, "/actions"), method: .post,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"sign","onBehalfOf":"310000001"}"#))
            #expect(response.status == .unauthorized)
            let error = response.object.dict("error")
            #expect(error?["code"] as? String == "UnauthorizedOnBehalfOf")
            #expect(error?["message"] as? String == "Unauthorized to sign on behalf of.")
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidB) == 0)
        }
    }

    @Test func actionsWithoutHandlerOrOutsideSigningTask() async throws {
        try await Fixture.withSimulator { simulator, client in
            let write = try await client.execute(
                uri: Fixture.path(Fixture.guidA, "/actions"), method: .post,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"write"}"#))
            #expect(write.status == .notFound)
            #expect(write.object.dict("error")?["code"] as? String == "ActionNotFound")
            let signInDataTask = try await client.execute(
                uri: Fixture.path(Fixture.guidE, "/actions"), method: .post,
                headers: Fixture.headers(json: true),
                body: Fixture.body(#"{"action":"sign"}"#))
            #expect(signInDataTask.status == .forbidden)
            #expect(signInDataTask.body.readableBytes == 0)
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidE) == 0)
        }
    }

    @Test func signingTwiceKeepsOneRowAndCountsTwice() async throws {
        try await Fixture.withSimulator { simulator, client in
            for _ in 0..<2 {
                let response = try await client.execute(
                    uri: Fixture.path(Fixture.guidB, "/actions"), method: .post,
                    headers: Fixture.headers(json: true),
                    body: Fixture.body(#"{"action":"sign"}"#))
                #expect(response.status == .ok)
            }
            #expect(await simulator.state.signCalls(partyId: 51_281_269, guid: Fixture.guidB) == 2)
            let rows = await simulator.state.signeeStates(partyId: 51_281_269, guid: Fixture.guidB) ?? []
            #expect(rows.filter { $0.partyId == 50_001_001 }.count == 1)
        }
    }

    @Test func unlistedSignerIsAppendedAsRoleBasedSignee() async throws {
        try await Fixture.withSimulator { simulator, client in
            let guid = try #require(
                UUID(
                    uuidString: String(
                        (await simulator.state.createInstance(template: .c)).split(separator: "/")[1])))
            let response = try await client.execute(
                uri: Fixture.path(guid, "/actions"), method: .post,
                headers: Fixture.headers(token: Fixture.userToken, json: true),
                body: Fixture.body(#"{"action":"sign","onBehalfOf":"310000002"}"#))
            #expect(response.status == .ok)
            let row = await simulator.state.signeeStates(partyId: 51_281_269, guid: guid)?.first {
                $0.partyId == 51_281_269
            }
            #expect(row?.name == "BØYLEHEST MATT")
            #expect(row?.organization == "LYDIG VENNLIG KATT KJERNE")
            #expect(row?.delegationSuccessful == true && row?.notificationStatus == "Sent")
        }
    }
}
