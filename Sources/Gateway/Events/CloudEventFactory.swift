package import AltinnAPI
import Crypto
package import Foundation
import Primitives
package import Storage

/// Turns transitions into CloudEvents 1.0 in structured JSON mode, serialized once: the stored bytes are what
/// every attempt, retry and replay sends and signs.
package struct CloudEventFactory: Sendable {
    package let environment: AltinnEnvironment

    package init(environment: AltinnEnvironment) {
        self.environment = environment
    }

    package func event(
        _ transition: Transition,
        instance: InstanceReference,
        time: Date,
        traceparent: String?
    ) -> NewEvent {
        let id = Self.id(instance: instance, transition)
        var members: [(String, JSONValue)] = [
            ("specversion", "1.0"),
            ("id", .string(id)),
            ("source", .string(self.environment.instanceURL(instance))),
            ("type", .string(transition.type.rawValue)),
            ("subject", .string("/party/\(Self.subjectParty(transition) ?? instance.partyId)")),
            ("time", .string(Self.rfc3339(time))),
            ("datacontenttype", "application/json"),
            // As Altinn Events adds them to app events.
            ("resource", .string("urn:altinn:resource:app_\(instance.app.org)_\(instance.app.app)")),
            ("resourceinstance", .string(instance.instanceId)),
        ]
        if let traceparent { members.append(("traceparent", .string(traceparent))) }
        members.append(("data", self.data(transition, instance)))
        return NewEvent(
            id: id, type: transition.type.rawValue, instance: instance.description, app: instance.app.description,
            time: time, body: JSONValue.object(members).serialized)
    }

    /// `evt_` + 32 hex digits of SHA-256 over (instance, subject, change): stable across replicas and restarts.
    static func id(instance: InstanceReference, _ transition: Transition) -> String {
        let identity = transition.identity
        let digest = SHA256.hash(data: Array("\(instance.description)\n\(identity.subject)\n\(identity.change)".utf8))
        // The digest's bytes as one buffer: through its `Sequence` (a `prefix` of it) they cost 30,000 instructions.
        return "evt_" + digest.withUnsafeBytes { Hex.encode(Array($0.prefix(16))) }
    }

    private static func subjectParty(_ transition: Transition) -> Int? {
        switch transition {
        case .signeeSigned(let signee, _), .notificationFailed(let signee, _), .delegationFailed(let signee, _),
            .signConfirmed(_, _, let signee, _):
            return signee.partyId
        case .signeeStalled(let stall):
            return stall.signee.partyId
        default:
            return nil
        }
    }

    private func data(_ transition: Transition, _ instance: InstanceReference) -> JSONValue {
        let instanceJSON = StateJSON.instance(instance, self.environment)
        switch transition {
        case .signeeSigned(let signee, let snapshot):
            var members: [(String, JSONValue)] = [
                ("instance", instanceJSON), ("signee", StateJSON.signee(signee)),
                ("signing", StateJSON.signing(.known(snapshot))),
            ]
            // The gateway's own sign: what was signed, as Altinn's signature document says.
            if let proof = snapshot.proofs[signee.partyId] {
                members.append(("proof", StateJSON.proof(.recorded(proof))))
            }
            return .object(members)
        case .notificationFailed(let signee, let snapshot), .delegationFailed(let signee, let snapshot):
            return .object([
                ("instance", instanceJSON), ("signee", StateJSON.signee(signee)),
                ("signing", StateJSON.signing(.known(snapshot))),
            ])
        case .signConfirmed(_, let key, let signee, let snapshot):
            return .object([
                ("instance", instanceJSON), ("idempotencyKey", .string(key)), ("signee", StateJSON.signee(signee)),
                ("signing", StateJSON.signing(.known(snapshot))),
            ])
        case .signingCompleted(let snapshot):
            return .object([("instance", instanceJSON), ("signing", StateJSON.signing(.known(snapshot)))])
        case .signeeStalled(let stall):
            return .object([
                ("instance", instanceJSON), ("signee", StateJSON.signee(stall.signee)),
                ("reason", .string(stall.reason.rawValue)), ("since", .string(Self.rfc3339(stall.since))),
                ("stallAfterSeconds", .int(Int(TrackingPolicy.seconds(stall.after)))),
                ("round", .int(stall.snapshot.round)), ("signing", StateJSON.signing(.known(stall.snapshot))),
            ])
        case .processMoved(let position), .processCompleted(let position):
            return .object([("instance", instanceJSON), ("process", StateJSON.process(position))])
        case .signingRejected(let reset):
            return .object([
                ("instance", instanceJSON), ("taskId", reset.taskId.map(JSONValue.string) ?? .null),
                ("rejectedBy", reset.rejectedBy.map(JSONValue.string) ?? .null),
                ("observedBy", .string(reset.request == nil ? "poll" : "gateway")),
                ("removedSignatures", reset.removedSignatures.map { .int($0) } ?? .null),
                ("process", reset.process.map(StateJSON.process) ?? .null),
            ])
        case .signingInvalidated(_, let taskId, let detail):
            return .object([
                ("instance", instanceJSON), ("taskId", taskId.map(JSONValue.string) ?? .null),
                ("code", "InvalidSignatureHash"), ("detail", .string(detail)),
            ])
        case .signFailed(_, let problem), .signOutcomeUnknown(_, let problem):
            return .object([
                ("instance", instanceJSON),
                (
                    "problem",
                    .object([
                        ("type", .string(problem.type)), ("status", .int(problem.status)),
                        ("detail", .string(problem.detail)),
                        ("upstreamStatus", problem.upstreamStatus.map { .int($0) } ?? .null),
                    ])
                ),
            ])
        }
    }

    /// RFC 3339 in UTC with microseconds, as every event of this gateway writes `time`.
    static func rfc3339(_ date: Date) -> String {
        RFC3339.format(unixMicros: Int64((date.timeIntervalSince1970 * 1_000_000).rounded(.down)))
    }
}
