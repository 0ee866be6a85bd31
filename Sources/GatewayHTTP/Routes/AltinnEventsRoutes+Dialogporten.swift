import AltinnAPI
import Foundation
import Gateway
import Hummingbird

/// Dialogporten's activity CloudEvents (altinn-signing-more.md §7.2), forwarded by Altinn Events:
/// `resource` is the app's service resource `urn:altinn:resource:app_{org}_{app}`, `resourceinstance` the dialog
/// id (a UUIDv7 made from the instance GUID and its creation time), `source` a Dialogporten URL.
extension AltinnEventsRoutes {
    func receiveDialogporten(_ event: [String: Any], type: String) async throws -> Response {
        // Other Dialogporten types (`dialog.updated.v1`, `activity.form-submitted.v1`, …) say nothing the signing
        // state would not: accepted (Altinn Events retries anything but 2xx) and ignored.
        guard Dialogporten.isSigningActivity(type) else { return Self.ignored }
        guard let resource = event["resource"] as? String, !resource.isEmpty else {
            throw Problem.invalidMember("/resource", "a Dialogporten activity event needs its service resource")
        }
        guard let dialog = event["resourceinstance"] as? String, let dialogId = UUID(uuidString: dialog) else {
            throw Problem.invalidMember("/resourceinstance", "resourceinstance must be the dialog id (a UUID)")
        }
        // A dialog of a service that is not an app (or of an app name the gateway could never track): well-formed,
        // and nothing of ours.
        guard let app = Dialogporten.app(ofResource: resource) else { return Self.ignored }
        let push = try await TrackingRoutes.run { () async throws(Tracking.Failure) in
            try await self.tracking.pollNow(dialog: dialogId, app: app, now: Date())
        }
        // 200 whether tracked or not, as for app events.
        return Response(
            stored: .ok(.object([("tracked", .bool(push.refreshed > 0)), ("instances", .int(push.refreshed))])))
    }

    private static var ignored: Response {
        Response(stored: .ok(.object([("tracked", false), ("ignored", true)])))
    }
}
