import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import AltinnSimulator

/// `…/signing/data-elements`, `…/signing/organizations` (altinn-signing-more.md §5) and the Dialogporten event the
/// simulator hands out for tests (§7.2).
@Suite("Signing reads and Dialogporten events over live HTTP")
struct SigningReadRoutesTests {
    @Test func dataElementsListTheTasksDocumentsForAnyIdentity() async throws {
        try await Fixture.withSimulator { _, client in
            for token in [Fixture.token, Fixture.userToken] {
                let response = try await client.execute(
                    uri: Fixture.path(Fixture.guidB, "/signing/data-elements"), method: .get,
                    headers: Fixture.headers(token: token))
                #expect(response.status == .ok)
                let elements = response.object.list("dataElements") ?? []
                #expect(elements.count == 1)
                #expect(elements.first?["dataType"] as? String == "ref-data-as-pdf")
                #expect(elements.first?.isExplicitNull("contentHash") == true)
                #expect((elements.first?.dict("selfLinks")?["apps"] as? String)?.hasPrefix("http://") == true)
            }
            // A past signing task by taskId; a data task is no signing task; an unknown instance is Storage's 500.
            let past = try await client.execute(
                uri: Fixture.path(Fixture.guidD, "/signing/data-elements?taskId=Task_2"), method: .get,
                headers: Fixture.headers())
            #expect(past.status == .ok)
            let data = try await client.execute(
                uri: Fixture.path(Fixture.guidE, "/signing/data-elements"), method: .get, headers: Fixture.headers())
            #expect(data.status == .badRequest)
            #expect(data.object["title"] as? String == "Not a signing task")
            let unknown = try await client.execute(
                uri: Fixture.path(UUID(), "/signing/data-elements"), method: .get, headers: Fixture.headers())
            #expect(unknown.status == .internalServerError)
            #expect(unknown.body.readableBytes == 0)
        }
    }

    @Test func organizationsAreForUsersOnlyAfterTheTaskCheck() async throws {
        try await Fixture.withSimulator { _, client in
            let system = try await client.execute(
                uri: Fixture.path(Fixture.guidB, "/signing/organizations"), method: .get, headers: Fixture.headers())
            #expect(system.status == .unauthorized)
            #expect(system.headers[.contentType] == "application/problem+json; charset=utf-8")
            #expect(system.object["title"] as? String == "Unauthorized")
            #expect(system.object["type"] as? String == "https://tools.ietf.org/html/rfc9110#section-15.5.2")
            // The task check comes before the identity check.
            let data = try await client.execute(
                uri: Fixture.path(Fixture.guidE, "/signing/organizations"), method: .get, headers: Fixture.headers())
            #expect(data.status == .badRequest)
            // The fixture's user holds no key role with a known party: an empty list.
            let user = try await client.execute(
                uri: Fixture.path(Fixture.guidB, "/signing/organizations"), method: .get,
                headers: Fixture.headers(token: Fixture.userToken))
            #expect(user.status == .ok)
            #expect(user.object.list("organizations")?.isEmpty == true)
        }
    }

    @Test func theDialogIdIsTheAdaptersToVersion7() {
        let instance = UUID(uuidString: "a72223a3-926b-4095-a2a6-bacc10815f2d")!
        let created = Date(timeIntervalSince1970: 1_603_956_139.438)
        #expect(
            DialogportenEvents.version7(instance, created).uuidString.lowercased()
                == "0175733c-65ae-7095-a2a6-bacc10815f2d")
    }

    @Test func theAdminRouteHandsOutDialogportensCloudEvent() async throws {
        try await Fixture.withSimulator { simulator, client in
            let response = try await client.execute(
                uri: "/_simulator/instances/51281269/\(Fixture.guidB.uuidString.lowercased())/dialogporten-event",
                method: .get)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/cloudevents+json")
            let event = response.object
            let dialog = await simulator.state.dialogId(partyId: 51_281_269, guid: Fixture.guidB)
            #expect(event["specversion"] as? String == "1.0")
            #expect(event["type"] as? String == "dialogporten.dialog.activity.signature-provided.v1")
            #expect(event["resource"] as? String == "urn:altinn:resource:app_ttd_signing-app")
            #expect(event["resourceinstance"] as? String == dialog?.uuidString.lowercased())
            #expect((event["subject"] as? String)?.hasPrefix("urn:altinn:person:identifier-no:") == true)
            let activity = event.dict("data")?["activityId"] as? String
            #expect(
                event["source"] as? String
                    == "https://platform.tt02.altinn.no/dialogporten/api/v1/enduser/dialogs/\(dialog?.uuidString.lowercased() ?? "")/activities/\(activity ?? "")"
            )
            let sent = try await client.execute(
                uri:
                    "/_simulator/instances/51281269/\(Fixture.guidB.uuidString.lowercased())/dialogporten-event?activity=sent-to-signing",
                method: .get)
            #expect(sent.object["type"] as? String == "dialogporten.dialog.activity.sent-to-signing.v1")
            let bad = try await client.execute(
                uri:
                    "/_simulator/instances/51281269/\(Fixture.guidB.uuidString.lowercased())/dialogporten-event?activity=x",
                method: .get)
            #expect(bad.status == .badRequest)
        }
    }
}
