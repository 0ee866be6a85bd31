import AltinnAPI
import Foundation
import Gateway
import Storage

/// `POST /v1/tracked-instances`
struct TrackRequestBody: Decodable, Sendable {
    var selector: InstanceSelector
    var tokenProfile: String?
    var taskId: String?
    var completeWhenAllSigned: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case app, instanceId, instanceUrl, tokenProfile, taskId, completeWhenAllSigned
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.selector = try InstanceSelector(from: decoder)
        self.tokenProfile = try FieldRules.tokenProfile(container, .tokenProfile)
        self.taskId = try container.decodeIfPresent(String.self, forKey: .taskId)
        if let taskId = self.taskId, !FieldRules.isTaskId(taskId) {
            throw DecodingError.dataCorruptedError(
                forKey: .taskId, in: container, debugDescription: "taskId must be a BPMN task id such as Task_2")
        }
        self.completeWhenAllSigned = try container.decodeIfPresent(Bool.self, forKey: .completeWhenAllSigned) ?? false
    }
}

/// The JSON of tracked instances and events.
enum TrackingJSON {
    static func tracked(_ row: TrackedInstance, environment: AltinnEnvironment) -> JSONValue {
        let instance = InstanceReference(key: row.instance)
        let processNext: String
        switch row.processNext {
        case .notClaimed: processNext = row.completeWhenAllSigned ? "pending" : "notRequested"
        case .claimed: processNext = "inProgress"
        case .done: processNext = "done"
        }
        return .object([
            ("instance", instance.map { StateJSON.instance($0, environment) } ?? .string(row.instance)),
            ("status", .string(row.status.rawValue)),
            ("taskId", row.taskId.json),
            ("completeWhenAllSigned", .bool(row.completeWhenAllSigned)),
            ("processNext", .string(processNext)),
            ("polls", .int(row.polls)),
            ("nextPollAt", row.status == .active ? .string(AuditJSON.formatTime(row.nextPollAt)) : .null),
            ("deadline", .string(AuditJSON.formatTime(row.deadline))),
            ("lastError", row.lastError.json),
            ("finalSigning", row.finalSigning.map { .string($0.rawValue) } ?? .null),
            ("createdAt", .string(AuditJSON.formatTime(row.createdAt))),
            ("updatedAt", .string(AuditJSON.formatTime(row.updatedAt))),
            ("signing", Self.signing(row)),
        ])
    }

    /// The last observation's signees (the console's chips); null before the first observation.
    static func signing(_ row: TrackedInstance) -> JSONValue {
        guard let signing = TrackedSigning(snapshot: row.snapshot) else { return .null }
        return .object([
            ("taskId", signing.taskId.json),
            ("signed", .int(signing.signedCount)),
            ("total", .int(signing.signees.count)),
            ("complete", .bool(signing.complete)),
            ("processTask", signing.processTask.json),
            ("processEnded", .bool(signing.processEnded)),
            (
                "signees",
                .array(
                    signing.signees.map { signee in
                        .object([
                            ("partyId", .int(signee.partyId)), ("status", .string(signee.status.rawValue)),
                            ("notification", .string(signee.notification.rawValue)),
                            ("delegated", .bool(signee.delegated)),
                        ])
                    })
            ),
        ])
    }
}
