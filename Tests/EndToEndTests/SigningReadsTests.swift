import AltinnSimulator
import App
import Foundation
import GatewayHTTP
import HTTPTypes
import Testing

/// `GET …/signing/data-elements` and `GET …/signing/organizations` through the gateway (altinn-signing-more.md §5).
@Suite struct SigningReadsTests {
    static let acmeKey = APIKeyGenerator.generate()

    /// The `dev` profile is the simulator's system user; `person` a user with a key role in one organisation.
    static var options: Harness.Options {
        var options = Harness.Options()
        options.staticProfiles = [
            "person": SimulatedIdentity(
                kind: .user, partyId: 51_843_878, name: "FISK KUNSTIG", organizationName: "LYDIG VENNLIG KATT KJERNE",
                organizationNumber: "310000002", organizationPartyId: 51_843_877)
        ]
        var credential = GatewayConfiguration.Credential()
        credential.id = "k1"
        credential.apiKeySha256 = APIKeyGenerator.sha256Hex(Self.acmeKey)
        var acme = GatewayConfiguration.Client()
        acme.credentials = [credential]
        acme.policy.apps = ["acme/*"]
        acme.policy.operations = ["read"]
        options.clients = ["acme": acme]
        return options
    }

    static func path(_ instance: String, _ read: String, _ query: String = "") -> String {
        "/v1/instances/ttd/signing-app/\(instance)/signing/\(read)\(query)"
    }

    @Test func dataElementsAreNormalizedAndAudited() async throws {
        try await Harness.run(Self.options) { h in
            let reply = try await h.send(.get, Self.path(Harness.demoB, "data-elements"))
            #expect(reply.status == 200, "\(reply.text)")
            let elements = try #require(reply.json["dataElements"] as? [[String: Any]])
            #expect(elements.count == 1)
            let element = try #require(elements.first)
            #expect(Set(element.keys) == ["id", "dataType", "contentType", "filename", "size", "created", "locked"])
            #expect(element["id"] as? String == "da7a906b-8b8a-4f0b-9a52-3c6f2b7f0a02")
            #expect(element["dataType"] as? String == "ref-data-as-pdf")
            #expect(element["contentType"] as? String == "application/pdf")
            #expect(element["filename"] as? String == "contract.pdf")
            #expect((element["size"] as? Int ?? 0) > 0)
            #expect(element["locked"] as? Bool == false)
            #expect((element["created"] as? String)?.hasSuffix("Z") == true)
            #expect(!reply.text.contains("contentHash"))
            #expect((reply.json["instance"] as? [String: Any])?["app"] as? String == "ttd/signing-app")

            // A past signing task by ?taskId= (D's process has ended); a data task is no signing task (400 upstream).
            let past = try await h.send(.get, Self.path(Harness.demoD, "data-elements", "?taskId=Task_2"))
            #expect(past.status == 200, "\(past.text)")
            #expect(past.json["taskId"] as? String == "Task_2")
            let data = try await h.send(.get, Self.path(Harness.demoE, "data-elements"))
            #expect(data.status == 409 && data.problemType == "/problems/not-a-signing-task", "\(data.text)")
            #expect(
                try await h.send(.get, Self.path(Harness.demoE, "organizations")).problemType
                    == "/problems/not-a-signing-task")

            // An instance Altinn does not know: its empty 500 is explained by the process state.
            let unknown = try await h.send(
                .get, Self.path("51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0aff", "data-elements"))
            #expect(
                unknown.status == 404 && unknown.problemType == "/problems/altinn-instance-not-found", "\(unknown.text)"
            )

            // Bad query parameters as for …/signees.
            #expect(try await h.send(.get, Self.path(Harness.demoB, "data-elements", "?taskId=../x")).status == 400)
            #expect(try await h.send(.get, Self.path(Harness.demoB, "data-elements", "?colour=red")).status == 400)

            let audit = try await h.send(.get, "/v1/audit?operation=signingDataElements")
            let records = try #require(audit.json["records"] as? [[String: Any]])
            #expect(records.count == 4, "\(audit.text.prefix(600))")
            let first = try #require(records.first { ($0["upstreamStatus"] as? Int) == 200 })
            #expect((first["upstreamUrl"] as? String)?.hasSuffix("/\(Harness.demoB)/signing/data-elements") == true)
            #expect(first["upstreamMethod"] as? String == "GET")
            #expect(first["tokenProfile"] as? String == "dev")
        }
    }

    @Test func organizationsAreForUsersOnly() async throws {
        try await Harness.run(Self.options) { h in
            // The gateway's default profile is a system user: Altinn answers 401, which says who, not "stale".
            let before = await h.simulator.state.recordedRequests().count
            let system = try await h.send(.get, Self.path(Harness.demoB, "organizations"))
            #expect(system.status == 403, "\(system.text)")
            #expect(system.problemType == "/problems/user-token-required")
            #expect((system.json["detail"] as? String)?.contains("system user") == true)
            #expect(system.json["upstreamStatus"] as? Int == 401)
            #expect(system.json["altinnOperation"] as? String == "GET signing/organizations")
            let calls = await h.simulator.state.recordedRequests().dropFirst(before)
                .filter { $0.path.hasSuffix("/signing/organizations") }
            #expect(calls.count == 1, "a 401 here is no reason to fetch a new token and ask again")

            // A user's token: the organisations it may sign for.
            let user = try await h.send(.get, Self.path(Harness.demoB, "organizations", "?tokenProfile=person"))
            #expect(user.status == 200, "\(user.text)")
            let organizations = try #require(user.json["organizations"] as? [[String: Any]])
            #expect(organizations.count == 1)
            #expect(organizations.first?["partyId"] as? Int == 51_843_877)
            #expect(organizations.first?["organizationNumber"] as? String == "310000002")
            #expect(organizations.first?["name"] as? String == "LYDIG VENNLIG KATT KJERNE")

            let audit = try await h.send(.get, "/v1/audit?operation=signingOrganizations")
            let records = try #require(audit.json["records"] as? [[String: Any]])
            #expect(
                Set(records.compactMap { $0["upstreamStatus"] as? Int }) == [200, 401], "\(audit.text.prefix(600))")
        }
    }

    @Test func aClientWithoutTheAppIsRefusedBeforeAltinn() async throws {
        try await Harness.run(Self.options) { h in
            let before = await h.upstreamRequestCount()
            for read in ["data-elements", "organizations"] {
                let reply = try await h.send(
                    .get, Self.path(Harness.demoB, read), headers: [.authorization: "Bearer \(Self.acmeKey)"])
                #expect(reply.status == 403 && reply.problemType == "/problems/forbidden", "\(reply.text)")
                #expect(reply.json["app"] as? String == "ttd/signing-app")
            }
            #expect(await h.upstreamRequestCount() == before)
        }
    }
}
