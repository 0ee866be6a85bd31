import AltinnSimulator
import App
import CurlHTTP
import Foundation
import GatewayHTTP
import HTTPTypes
import Testing
import Transport

/// `GET /v1/apps/{org}/{app}` over real HTTP: the simulator's two demo apps, the cache, access, and every bad
/// document Altinn could serve.
@Suite struct PreflightTests {
    static let readerKey = APIKeyGenerator.generate()
    static let signerKey = APIKeyGenerator.generate()

    static var options: Harness.Options {
        var options = Harness.Options()
        options.clients = [
            "reader": ClientAuthTests.client(
                [ClientAuthTests.apiKey(readerKey)], apps: ["ttd/signing-app"], operations: ["read"]),
            "signer": ClientAuthTests.client(
                [ClientAuthTests.apiKey(signerKey)], apps: ["ttd/*"], operations: ["sign"]),
        ]
        return options
    }

    static func codes(_ reply: Harness.Reply) -> [String] {
        (reply.json["warnings"] as? [[String: Any]] ?? []).compactMap { $0["code"] as? String }
    }

    @Test func reportsTheDemoAppAndCachesIt() async throws {
        try await Harness.run(Self.options) { h in
            let first = try await h.send(.get, "/v1/apps/ttd/signing-app")
            #expect(first.status == 200, "\(first.text)")
            #expect(first.headers[.contentType] == "application/json")
            #expect(first.json["app"] as? String == "ttd/signing-app")
            #expect(first.json["altinnNugetVersion"] as? String == "8.12.4.1412")
            let tasks = try #require(first.json["signingTasks"] as? [[String: Any]])
            #expect(tasks.count == 1)
            let task = tasks[0]
            #expect(task["id"] as? String == "Task_2")
            #expect(task["name"] as? String == "Signering")
            #expect(task["dataTypesToSign"] as? [String] == ["ref-data-as-pdf"])
            #expect(task["signatureDataType"] as? String == "signatures")
            #expect(task["signeeProviderId"] as? String == "signees")
            #expect(task["signeeStatesDataTypeId"] as? String == "signeeState")
            #expect(task["sign"] as? Bool == true)
            #expect(task["reject"] as? Bool == true)
            #expect(task["uniqueFromSignaturesInDataTypes"] as? [String] == ["applicant-signatures"])
            #expect(task["runDefaultValidator"] as? Bool == true)
            let next = try #require(task["next"] as? [String: [String: Any]])
            #expect(next["withoutAction"]?["elementId"] as? String == "EndEvent_1")
            #expect(next["reject"]?["elementId"] as? String == "Task_1")
            #expect(Self.codes(first) == ["signature-type-read-restricted"])
            let profiles = try #require(first.json["tokenProfiles"] as? [[String: Any]])
            #expect(profiles.map { $0["name"] as? String } == ["dev"])
            #expect(profiles.first?["status"] as? String == "ok")

            // Both reads went out without a token, once: the second preflight is served from the cache.
            let reads = await h.simulator.state.recordedRequests().filter { $0.path.contains("/api/v1/") }
            #expect(
                reads.map(\.path) == [
                    "/ttd/signing-app/api/v1/applicationmetadata", "/ttd/signing-app/api/v1/meta/process",
                ])
            #expect(reads.allSatisfy { !$0.hasAuthorization })
            let second = try await h.send(.get, "/v1/apps/ttd/signing-app")
            #expect(second.status == 200)
            #expect(await h.simulator.apps.readCount("ttd/signing-app", "process") == 1)

            // Audited like every read: the first with its upstream call, the cached one without.
            let audit = try await h.send(.get, "/v1/audit?operation=appPreflight")
            let records = try #require(audit.json["records"] as? [[String: Any]])
            #expect(records.count == 2)
            #expect(records.map { $0["instance"] as? String } == ["ttd/signing-app", "ttd/signing-app"])
            #expect(
                records[0]["upstreamUrl"] as? String == h.simulatorURL + "/ttd/signing-app/api/v1/applicationmetadata")
            #expect(records[0]["tokenProfile"] is NSNull)
            #expect(records[1]["upstreamUrl"] is NSNull)
            #expect(records.allSatisfy { $0["outcome"] as? String == "succeeded" })
        }
    }

    @Test func warnsAboutTheLaxApp() async throws {
        try await Harness.run(Self.options) { h in
            let reply = try await h.send(.get, "/v1/apps/ttd/lax-signing-app")
            #expect(reply.status == 200, "\(reply.text)")
            #expect(
                Set(Self.codes(reply)) == [
                    "repeat-sign-possible", "no-reject-action", "default-validator-off", "gateway-not-null-safe",
                    "signed-data-unlocked", "signature-type-not-app-owned", "signature-type-readable",
                    "token-profile-missing-scope", "dialogporten-activities-disabled",
                ])
            let scopes = try #require(reply.json["apiScopes"] as? [String: [String: Any]])
            #expect(scopes["users"]?["write"] as? String == "ttd:lax-signing-app/instances.write")
            let profile = try #require((reply.json["tokenProfiles"] as? [[String: Any]])?.first)
            #expect(profile["status"] as? String == "missingScopes")
            #expect(
                profile["missingScopes"] as? [String] == [
                    "ttd:lax-signing-app/instances.read", "ttd:lax-signing-app/instances.write",
                ])
            let task = try #require((reply.json["signingTasks"] as? [[String: Any]])?.first)
            #expect(task["reject"] as? Bool == false)
            #expect((task["next"] as? [String: [String: Any]])?["withoutAction"]?["outcome"] as? String == "noFlow")
            #expect((reply.json["dialogporten"] as? [String: Bool])?["disableAddActivities"] == true)
        }
    }

    @Test func refusesWhatTheClientMayNotReadAndUnknownApps() async throws {
        try await Harness.run(Self.options) { h in
            func get(_ path: String, key: String) async throws -> Harness.Reply {
                try await h.send(.get, path, headers: [.authorization: "Bearer \(key)"])
            }
            let before = await h.upstreamRequestCount()
            let otherApp = try await get("/v1/apps/ttd/lax-signing-app", key: Self.readerKey)
            #expect(otherApp.status == 403)
            #expect(otherApp.problemType == "/problems/forbidden")
            let noRead = try await get("/v1/apps/ttd/signing-app", key: Self.signerKey)
            #expect(noRead.status == 403)
            #expect(noRead.problemType == "/problems/forbidden")
            for path in [
                "/v1/apps/TTD/signing-app", "/v1/apps/ttd/..", "/v1/apps/ttd/a%2Fb", "/v1/apps/ttd/signing-app?x=1",
            ] {
                let bad = try await h.send(.get, path)
                // `..` is resolved before routing (no route: 404); the others are refused as input.
                #expect(bad.status == (path.hasSuffix("..") ? 404 : 400), "\(path): \(bad.text)")
            }
            #expect(await h.upstreamRequestCount() == before)
            let allowed = try await get("/v1/apps/ttd/signing-app", key: Self.readerKey)
            #expect(allowed.status == 200)

            let unknown = try await h.send(.get, "/v1/apps/ttd/no-such-app")
            #expect(unknown.status == 404)
            #expect(unknown.problemType == "/problems/altinn-app-not-found")
            #expect(unknown.json["upstreamStatus"] as? Int == 404)
            #expect(unknown.headers[.contentType] == "application/problem+json")
            let audit = try await h.send(.get, "/v1/audit?operation=appPreflight&outcome=rejected")
            #expect((audit.json["records"] as? [[String: Any]])?.count == 1)
        }
    }

    @Test func refusesBadDocumentsAndKeepsNothingOfThem() async throws {
        try await Harness.run(Self.options) { h in
            func install(_ app: String, _ document: String, _ body: [UInt8], type: String) async throws {
                let response = try await h.client.execute(
                    OutboundRequest(
                        method: .put, url: "\(h.simulatorURL)/_simulator/apps/ttd/\(app)/\(document)",
                        headerFields: [.contentType: type], body: body))
                #expect(response.status.code == 204)
            }
            let good = try await h.client.execute(
                OutboundRequest(method: .get, url: h.simulatorURL + "/ttd/signing-app/api/v1/meta/process")
            ).body
            let huge =
                Array("<bpmn:definitions xmlns:bpmn=\"http://www.omg.org/spec/BPMN/20100524/MODEL\">".utf8)
                + Array(repeating: UInt8(ascii: " "), count: 1_200_000) + Array("</bpmn:definitions>".utf8)
            let laughs =
                #"<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;">]><lolz>&lol2;</lolz>"#
            let cases: [(app: String, document: String, body: [UInt8], type: String, detail: String)] = [
                ("broken-bpmn", "process", Array("<bpmn:definitions><unclosed>".utf8), "text/xml", "not well-formed"),
                ("doctype-bpmn", "process", Array(laughs.utf8), "text/xml", "DOCTYPE"),
                ("huge-bpmn", "process", huge, "text/xml", "exceeds"),
                ("not-bpmn", "process", Array("<html><body>hi</body></html>".utf8), "text/xml", "not a BPMN"),
                ("html-metadata", "applicationmetadata", Array("<html>oops</html>".utf8), "text/html", "not JSON"),
            ]
            for item in cases {
                let metadata = #"{"id":"ttd/\#(item.app)","org":"ttd","dataTypes":[]}"#
                try await install(item.app, "applicationmetadata", Array(metadata.utf8), type: "application/json")
                try await install(item.app, "process", good, type: "text/xml")
                try await install(item.app, item.document, item.body, type: item.type)
                let reply = try await h.send(.get, "/v1/apps/ttd/\(item.app)")
                #expect(reply.status == 502, "\(item.app): \(reply.text)")
                #expect(reply.problemType == "/problems/altinn-app-definition-invalid", "\(item.app)")
                #expect((reply.json["detail"] as? String ?? "").contains(item.detail), "\(item.app): \(reply.text)")
                #expect(!reply.text.contains("lol") && !reply.text.contains("oops") && !reply.text.contains("hi<"))
                // A failure is not cached: once the document is fixed, the next preflight reads it again.
                if item.document == "process" {
                    try await install(item.app, "process", good, type: "text/xml")
                } else {
                    try await install(item.app, "applicationmetadata", Array(metadata.utf8), type: "application/json")
                }
                let fixed = try await h.send(.get, "/v1/apps/ttd/\(item.app)")
                #expect(fixed.status == 200, "\(item.app) fixed: \(fixed.text)")
            }
            // An app whose metadata names another app: Altinn's 409.
            try await install(
                "impostor", "applicationmetadata", Array(#"{"id":"ttd/signing-app"}"#.utf8), type: "application/json")
            let impostor = try await h.send(.get, "/v1/apps/ttd/impostor")
            #expect(impostor.status == 409)
            #expect(impostor.problemType == "/problems/altinn-conflict")
        }
    }
}
