import AltinnAPI
import Foundation
import Gateway
import Storage

/// `POST /v1/subscriptions` and `PATCH /v1/subscriptions/{id}`: every member optional on PATCH.
struct SubscriptionBody: Decodable, Sendable {
    var url: String?
    var types: [String]?
    var apps: [String]?
    var description: String?
    var enabled: Bool?

    /// What the body asks to set.
    var changes: Subscriptions.Changes {
        Subscriptions.Changes(
            url: self.url, types: self.types, apps: self.apps, enabled: self.enabled, description: self.description)
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case url, types, apps, description, enabled
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.url = try container.decodeIfPresent(String.self, forKey: .url)
        self.types = try container.decodeIfPresent([String].self, forKey: .types)
        if let types = self.types {
            let known = Set(EventType.allCases.map(\.rawValue))
            guard types.count <= known.count, types.allSatisfy(known.contains) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .types, in: container, debugDescription: "types must be event types of the catalogue")
            }
        }
        self.apps = try container.decodeIfPresent([String].self, forKey: .apps)
        if let apps = self.apps {
            guard apps.count <= 100, apps.allSatisfy({ (try? AppReference($0)) != nil }) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .apps, in: container, debugDescription: "apps must be at most 100 org/app names")
            }
        }
        self.description = try container.decodeIfPresent(String.self, forKey: .description)
        if let description = self.description, description.count > 500 {
            throw DecodingError.dataCorruptedError(
                forKey: .description, in: container, debugDescription: "description must be at most 500 characters")
        }
        self.enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled)
    }
}

/// `POST /v1/subscriptions/{id}/rotate-secret`
struct RotateSecretBody: Decodable, Sendable {
    var gracePeriodSeconds: Int

    enum CodingKeys: String, CodingKey, CaseIterable {
        case gracePeriodSeconds
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.gracePeriodSeconds = try container.decodeIfPresent(Int.self, forKey: .gracePeriodSeconds) ?? 86_400
        guard (0...7 * 86_400).contains(self.gracePeriodSeconds) else {
            throw DecodingError.dataCorruptedError(
                forKey: .gracePeriodSeconds, in: container, debugDescription: "gracePeriodSeconds must be 0-604800")
        }
    }
}

enum SubscriptionJSON {
    /// Never the secrets: they are shown once, when created or rotated.
    static func subscription(_ subscription: Subscription) -> JSONValue {
        .object([
            ("id", .string(subscription.id)),
            ("url", .string(subscription.url)),
            ("types", .array(subscription.types.map(JSONValue.string))),
            ("apps", .array(subscription.apps.map(JSONValue.string))),
            ("enabled", .bool(subscription.enabled)),
            ("disabledReason", subscription.disabledReason.json),
            ("description", subscription.description.json),
            (
                "previousSecretExpiresAt",
                subscription.previousSecretExpiresAt.map { .string(AuditJSON.formatTime($0)) } ?? .null
            ),
            ("createdAt", .string(AuditJSON.formatTime(subscription.createdAt))),
            ("updatedAt", .string(AuditJSON.formatTime(subscription.updatedAt))),
        ])
    }

    static func withSecret(_ subscription: Subscription) -> JSONValue {
        guard case .object(var members) = self.subscription(subscription) else { return .null }
        members.append(("secret", .string(subscription.secret)))
        return .object(members)
    }

    static func delivery(_ delivery: DeliveryRecord) -> JSONValue {
        .object([
            ("id", .int(Int(delivery.id))),
            ("subscriptionId", .string(delivery.subscriptionId)),
            ("eventId", .string(delivery.eventId)),
            ("eventType", .string(delivery.eventType)),
            ("instance", .string(delivery.instance)),
            ("status", .string(delivery.state.rawValue)),
            ("attempts", .int(delivery.attempts)),
            ("nextAttemptAt", delivery.nextAttemptAt.map { .string(AuditJSON.formatTime($0)) } ?? .null),
            ("lastStatus", delivery.lastStatus.map { .int($0) } ?? .null),
            ("lastVerdict", delivery.lastVerdict.json),
            ("createdAt", .string(AuditJSON.formatTime(delivery.createdAt))),
            ("updatedAt", .string(AuditJSON.formatTime(delivery.updatedAt))),
        ])
    }

    static func attempt(_ attempt: DeliveryAttempt) -> JSONValue {
        .object([
            ("number", .int(attempt.number)),
            ("time", .string(AuditJSON.formatTime(attempt.time))),
            ("status", attempt.status.map { .int($0) } ?? .null),
            ("latencyMicros", .int(Int(attempt.latencyMicros))),
            ("verdict", .string(attempt.verdict)),
            ("responseExcerpt", attempt.responseExcerpt.json),
        ])
    }
}
