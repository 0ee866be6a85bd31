import AltinnAPI
import AltinnSimulator
import CurlHTTP
import Foundation
import HTTPTypes
import Storage
import Testing
import Transport

/// `POST /v1/altinn-events` with Dialogporten's signing activity events (altinn-signing-more.md §7.2): the dialog
/// id is mapped back to the app's tracked instance, which is polled at once. Tracking intervals of an hour make the
/// push the only thing that can explain a second poll within the test.
@Suite struct DialogportenPushTests {
    static let secret = "dialogporten-push-secret-\(UInt64.random(in: 1 ... .max))"

    static var options: Harness.Options {
        var options = Harness.Options()
        options.altinnEventsSecret = Self.secret
        options.trackingInitialIntervalSeconds = 3600
        options.trackingMaxIntervalSeconds = 3600
        return options
    }

    func push(_ h: Harness, _ body: String) async throws -> Harness.Reply {
        try await h.send(
            .post, "/v1/altinn-events", body: body,
            headers: [.contentType: "application/cloudevents+json", .authorization: "Bearer \(Self.secret)"],
            idempotencyKey: nil)
    }

    /// Reads the row until `condition` holds, for at most `seconds`.
    func row(
        _ h: Harness, _ key: String, seconds: Double = 10, until condition: (TrackedInstance?) -> Bool
    ) async throws -> TrackedInstance? {
        let deadline = Date().addingTimeInterval(seconds)
        var row = try await h.store.trackedInstance(key)
        while !condition(row), Date() < deadline {
            try await Task.sleep(for: .milliseconds(25))
            row = try await h.store.trackedInstance(key)
        }
        return row
    }

    static let keyB = "ttd/signing-app/instances/\(Harness.demoB)"

    @Test func aSignatureProvidedEventMakesTheTrackedInstanceDue() async throws {
        try await Harness.run(Self.options) { h in
            let tracked = try await h.send(
                .post, "/v1/tracked-instances", body: #"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoB)"}"#)
            #expect(tracked.status == 201, "\(tracked.text)")
            // The first poll comes at once; the next one would be an hour later.
            let first = try await self.row(h, Self.keyB) { ($0?.polls ?? 0) >= 1 && $0?.leaseOwner == nil }
            let polls = try #require(first?.polls)
            #expect(polls == 1)
            #expect(try #require(first?.nextPollAt) > Date().addingTimeInterval(1800))

            // A signee signs elsewhere; Dialogporten tells Altinn Events, which pushes its CloudEvent to the gateway.
            let parts = Harness.demoB.split(separator: "/")
            let party = Int(parts[0])!
            let guid = UUID(uuidString: String(parts[1]))!
            let signed = try await h.client.execute(
                OutboundRequest(
                    method: .post,
                    url: h.simulatorURL + "/_simulator/instances/\(Harness.demoB)/signees/51290001/sign",
                    headerFields: [:], body: nil))
            #expect(signed.status.code == 204)
            let event = try #require(await h.simulator.state.dialogportenEvent(partyId: party, guid: guid))
            let reply = try await self.push(h, event)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["tracked"] as? Bool == true)
            #expect(reply.json["instances"] as? Int == 1)

            let after = try await self.row(h, Self.keyB) { ($0?.polls ?? 0) > polls }
            #expect(after?.polls == polls + 1, "only the push can explain a second poll within the hour")
            // …and that poll saw the signature.
            let feed = try await h.send(.get, "/v1/events?limit=100")
            #expect(feed.text.contains("no.signinggateway.signee.signed"), "\(feed.text.prefix(400))")

            // The other signing activity works the same way.
            let sent = try #require(
                await h.simulator.state.dialogportenEvent(partyId: party, guid: guid, activity: "sent-to-signing"))
            #expect(sent.contains("dialogporten.dialog.activity.sent-to-signing.v1"))
            let again = try await self.push(h, sent)
            #expect(again.json["tracked"] as? Bool == true, "\(again.text)")
            let third = try await self.row(h, Self.keyB) { ($0?.polls ?? 0) > polls + 1 }
            #expect(third?.polls == polls + 2)
        }
    }

    @Test func aDialogOfNoTrackedInstanceOrAnotherAppOrTypeIsAcceptedAndIgnored() async throws {
        try await Harness.run(Self.options) { h in
            let parts = Harness.demoB.split(separator: "/")
            let party = Int(parts[0])!
            let guid = UUID(uuidString: String(parts[1]))!
            // Not tracked: 200, nothing made due.
            let event = try #require(await h.simulator.state.dialogportenEvent(partyId: party, guid: guid))
            let untracked = try await self.push(h, event)
            #expect(untracked.status == 200)
            #expect(untracked.json["tracked"] as? Bool == false, "\(untracked.text)")

            var object = try #require(try JSONSerialization.jsonObject(with: Data(event.utf8)) as? [String: Any])
            func text(_ object: [String: Any]) throws -> String {
                String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self)
            }
            // A dialog of a service that is not an app, and a Dialogporten type that is not a signing activity.
            object["resource"] = "urn:altinn:resource:super-simple-service"
            let service = try await self.push(h, try text(object))
            #expect(service.status == 200 && service.json["ignored"] as? Bool == true, "\(service.text)")
            object["resource"] = "urn:altinn:resource:app_ttd_signing-app"
            object["type"] = "dialogporten.dialog.updated.v1"
            let updated = try await self.push(h, try text(object))
            #expect(updated.status == 200 && updated.json["ignored"] as? Bool == true, "\(updated.text)")

            // Malformed signing activities: a clear 400 problem.
            object["type"] = Dialogporten.signatureProvided
            object["resourceinstance"] = "not-a-uuid"
            let badDialog = try await self.push(h, try text(object))
            #expect(
                badDialog.status == 400 && badDialog.problemType == "/problems/invalid-request", "\(badDialog.text)")
            #expect(badDialog.text.contains("/resourceinstance"))
            object.removeValue(forKey: "resourceinstance")
            #expect(try await self.push(h, try text(object)).status == 400)
            object["resourceinstance"] = UUID().uuidString
            object["resource"] = 7
            let badResource = try await self.push(h, try text(object))
            #expect(badResource.status == 400 && badResource.text.contains("/resource"), "\(badResource.text)")

            // Still authenticated by the shared secret.
            let anonymous = try await h.send(
                .post, "/v1/altinn-events", body: event, headers: [.contentType: "application/cloudevents+json"],
                authorized: false, idempotencyKey: nil)
            #expect(anonymous.status == 401)
        }
    }

    /// Tracked rows do not know their instance's creation time, so two GUIDs that differ only in the bits a dialog
    /// id replaces are both candidates: both are polled (the poll tells the truth). A GUID that differs in a
    /// surviving bit is not.
    @Test func anAmbiguousDialogMakesEveryCandidateDue() async throws {
        try await Harness.run(Self.options) { h in
            let now = Date()
            let keys = [
                "ttd/signing-app/instances/51281269/a72223a3-926b-4095-a2a6-bacc10815f2d",
                "ttd/signing-app/instances/51281270/ffffffff-ffff-1095-62a6-bacc10815f2d",
                "ttd/signing-app/instances/51281269/a72223a3-926b-4095-a2a7-bacc10815f2d",
                "ttd/other-app/instances/51281269/a72223a3-926b-4095-a2a6-bacc10815f2d",
            ]
            for key in keys {
                _ = try await h.store.commit(
                    OutboxWrite(instance: key) { _ in
                        InstanceUpdate(
                            tracked: TrackedInstance(
                                instance: key, clientId: "dev", tokenProfile: "dev", taskId: nil,
                                completeWhenAllSigned: false, nextPollAt: now.addingTimeInterval(3600),
                                deadline: now.addingTimeInterval(7200), traceparent: nil, createdAt: now,
                                updatedAt: now),
                            events: [])
                    })
            }
            let event = #"""
                {"specversion":"1.0","id":"0190b0f8-1c2d-7e3f-8a4b-5c6d7e8f9a0b","type":"dialogporten.dialog.activity.signature-provided.v1","time":"2025-02-20T13:04:02.6518542Z","resource":"urn:altinn:resource:app_ttd_signing-app","resourceinstance":"0175733c-65ae-7095-a2a6-bacc10815f2d","subject":"urn:altinn:person:identifier-no:01039012345","source":"https://platform.tt02.altinn.no/dialogporten/api/v1/enduser/dialogs/0175733c-65ae-7095-a2a6-bacc10815f2d/activities/0190b0f8-1c2d-7e3f-8a4b-5c6d7e8f9a0c","data":{"activityId":"0190b0f8-1c2d-7e3f-8a4b-5c6d7e8f9a0c"}}
                """#
            let reply = try await self.push(h, event)
            #expect(reply.status == 200, "\(reply.text)")
            #expect(reply.json["instances"] as? Int == 2, "\(reply.text)")
            // Neither instance exists at the simulator: each poll ends its tracking, and counts.
            for key in keys.prefix(2) {
                let row = try await self.row(h, key) { ($0?.polls ?? 0) >= 1 }
                #expect(row?.polls == 1, "\(key)")
            }
            for key in keys.suffix(2) {
                let row = try await h.store.trackedInstance(key)
                #expect(row?.polls == 0, "\(key)")
                #expect(row?.status == .active)
            }
        }
    }
}
