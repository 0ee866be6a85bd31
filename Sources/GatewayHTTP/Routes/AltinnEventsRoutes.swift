import AltinnAPI
import Crypto
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import Storage

/// `POST /v1/altinn-events`: Altinn Events pushes its CloudEvents here (subscribe this URL in Altinn). Answers the
/// `platform.events.validatesubscription` handshake with 200, and makes a tracked instance named by `source` due
/// for a poll at once: push instead of waiting for the next poll. Dialogporten's signing activity events make the
/// tracked instance of their dialog due the same way.
///
/// Authenticated by the configured shared secret (`Authorization: Bearer …`), not by client keys: Altinn is not
/// one of the gateway's clients. Without a secret the route answers 404.
struct AltinnEventsRoutes: Sendable {
    let tracking: Tracking
    let environment: AltinnEnvironment
    /// SHA-256 of the secret: compared digest to digest, so the comparison's time says nothing about it.
    let secretDigest: [UInt8]?
    let maxBodyBytes: Int

    func register(on router: Router<GatewayRequestContext>) {
        router.post("v1/altinn-events", use: self.receive)
    }

    @Sendable func receive(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        guard let secretDigest else { throw Problem(.notFound, "The Altinn Events ingress is not configured.") }
        let presented = request.headers[.authorization].flatMap { value -> String? in
            value.hasPrefix("Bearer ") ? String(value.dropFirst("Bearer ".count)) : nil
        }
        guard let presented, Array(SHA256.hash(data: Data(presented.utf8))) == secretDigest else {
            throw Problem(.unauthenticated, "Present the Altinn Events secret as Authorization: Bearer <secret>.")
        }
        guard let contentType = request.headers[.contentType], Self.isCloudEventJSON(contentType) else {
            throw Problem(
                .unsupportedMediaType, "Send a CloudEvent as application/json or application/cloudevents+json.")
        }
        var request = request
        let bytes = try await JSONBody.collect(&request, limit: self.maxBodyBytes)
        guard let event = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let type = event["type"] as? String, !type.isEmpty
        else { throw Problem.invalidMember("/type", "the body must be a CloudEvent with a type") }
        if type == "platform.events.validatesubscription" {
            return Response(stored: .ok(.object([("validated", true)])))
        }
        // Dialogporten's events name a dialog, never an instance URL (see AltinnEventsRoutes+Dialogporten).
        if type.hasPrefix(Dialogporten.typePrefix) { return try await self.receiveDialogporten(event, type: type) }
        guard let source = event["source"] as? String,
            let instance = try? InstanceReference(url: source, environment: self.environment)
        else { throw Problem.invalidMember("/source", "source must be the URL of an app instance of this environment") }
        let refreshed = try await TrackingRoutes.run { () async throws(Tracking.Failure) in
            try await self.tracking.pollNow(instance, now: Date())
        }
        // 200 whether tracked or not: Altinn retries anything else, and an untracked instance is not an error.
        return Response(stored: .ok(.object([("tracked", .bool(refreshed))])))
    }

    static func isCloudEventJSON(_ contentType: String) -> Bool {
        ["application/json", "application/cloudevents+json"].contains(JSONBody.mediaType(contentType))
    }

}
