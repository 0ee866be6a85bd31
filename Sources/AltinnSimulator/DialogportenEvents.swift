package import Foundation
import Hummingbird

/// What Dialogporten would send to an Altinn Events subscriber when a signing activity is added to an instance's
/// dialog (altinn-signing-more.md §7.2): Storage writes `Signed` / `SentToSign`, the adapter syncs the dialog, and
/// Dialogporten publishes one CloudEvent per new activity. Written from the reference alone: the gateway's parser is
/// the other side.
enum DialogportenEvents {
    /// The adapter's `ToVersion7(guid, created)`: on the GUID's bytes in string order, bytes 0–5 become the Unix
    /// milliseconds of `created`, the high nibble of byte 6 becomes 7 and the top two bits of byte 8 become `10`.
    static func version7(_ guid: UUID, _ created: Date) -> UUID {
        var b = guid.uuid
        // `DateTimeOffset.ToUnixTimeMilliseconds`: whole milliseconds of .NET ticks, rounded down.
        let ticks = Int64((created.timeIntervalSince1970 * 10_000_000).rounded())
        let ms = ticks >= 0 ? ticks / 10_000 : (ticks - 9_999) / 10_000
        let m = UInt64(bitPattern: ms)
        b.0 = UInt8((m >> 40) & 0xFF)
        b.1 = UInt8((m >> 32) & 0xFF)
        b.2 = UInt8((m >> 24) & 0xFF)
        b.3 = UInt8((m >> 16) & 0xFF)
        b.4 = UInt8((m >> 8) & 0xFF)
        b.5 = UInt8(m & 0xFF)
        b.6 = (b.6 & 0x0F) | 0x70
        b.8 = (b.8 & 0x3F) | 0x80
        return UUID(uuid: b)
    }

    enum Activity: String, CaseIterable {
        case signatureProvided = "signature-provided"
        case sentToSigning = "sent-to-signing"

        var type: String { "dialogporten.dialog.activity.\(self.rawValue).v1" }
    }

    /// The CloudEvent (Dialogporten's `LowerCaseNamingPolicy`, defaults left out) for one new activity on the
    /// instance's dialog. `platform` is where Dialogporten lives (`https://platform.altinn.no` in production).
    static func event(_ record: InstanceRecord, activity: Activity, platform: String, now: Date) -> JSONValue {
        let dialogId = version7(record.guid, record.created).uuidString.lowercased()
        // The activity id is the Storage instance event's id made v7 by the event's time.
        let activityId = version7(UUID(), now).uuidString.lowercased()
        return .obj([
            "specversion": .string("1.0"),
            "id": .string(version7(UUID(), now).uuidString.lowercased()),
            "type": .string(activity.type),
            "time": WireTime.json(now),
            "resource": .string("urn:altinn:resource:app_\(record.org)_\(record.app)"),
            "resourceinstance": .string(dialogId),
            // The instance owner's party URN (the simulator's owner is a person; its id number is made up).
            "subject": .string("urn:altinn:person:identifier-no:01039012345"),
            "source": .string("\(platform)/dialogporten/api/v1/enduser/dialogs/\(dialogId)/activities/\(activityId)"),
            "data": .obj(["activityId": .string(activityId)]),
        ])
    }
}

extension SimulatorState {
    /// The Dialogporten CloudEvent for a new signing activity on the instance, as JSON text; nil for an unknown
    /// instance (tests).
    package func dialogportenEvent(partyId: Int, guid: UUID, activity: String = "signature-provided") -> String? {
        guard let record = self.instance(InstanceKey(partyId: partyId, guid: guid)),
            let activity = DialogportenEvents.Activity(rawValue: activity)
        else { return nil }
        return DialogportenEvents.event(
            record, activity: activity, platform: "https://platform.tt02.altinn.no", now: Date()
        )
        .serialized
    }

    /// The instance's dialog id, as Dialogporten's adapter derives it (tests).
    package func dialogId(partyId: Int, guid: UUID) -> UUID? {
        self.instance(InstanceKey(partyId: partyId, guid: guid)).map {
            DialogportenEvents.version7($0.guid, $0.created)
        }
    }
}

/// `GET /_simulator/instances/{partyId}/{guid}/dialogporten-event[?activity=signature-provided|sent-to-signing]`:
/// the CloudEvent Dialogporten would send for the instance, to post to a subscriber (the gateway's
/// `/v1/altinn-events`) in tests.
struct DialogportenAdminRoutes {
    let state: SimulatorState

    func register(on group: RouterGroup<SimulatorRequestContext>) {
        group.get("instances/{partyId}/{guid}/dialogporten-event") { request, context in
            guard let party = context.parameters.get("partyId", as: Int.self),
                let guid = context.parameters.get("guid").flatMap(UUID.init(uuidString:))
            else { return Replies.empty(.notFound) }
            let activity = request.uri.queryParameters.get("activity") ?? "signature-provided"
            guard DialogportenEvents.Activity(rawValue: activity) != nil else {
                return Replies.problem(
                    .badRequest,
                    .obj([
                        "title": .string("Bad activity"), "status": .int(400),
                        "detail": .string("Use signature-provided or sent-to-signing."),
                    ]))
            }
            guard let event = await state.dialogportenEvent(partyId: party, guid: guid, activity: activity) else {
                return Replies.empty(.notFound)
            }
            return Replies.text(.ok, event, contentType: "application/cloudevents+json")
        }
    }
}
