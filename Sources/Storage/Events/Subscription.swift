public import Foundation

/// A subscriber endpoint. The secrets are Standard Webhooks `whsec_…` strings; the store keeps them because HMAC
/// needs the key itself, and never returns them anywhere but to the gateway.
public struct Subscription: Sendable, Equatable {
    public var id: String
    public var url: String
    /// Event types delivered; empty = all.
    public var types: [String]
    /// `{org}/{app}` whose events are delivered; empty = all.
    public var apps: [String]
    public var enabled: Bool
    /// Why the gateway disabled it (e.g. the endpoint answered 410), nil when enabled or disabled by a user.
    public var disabledReason: String?
    public var description: String?
    public var secret: String
    /// After a rotation, the old secret keeps signing until `previousSecretExpiresAt`.
    public var previousSecret: String?
    public var previousSecretExpiresAt: Date?
    public var createdAt: Date
    public var updatedAt: Date

    public init(
        id: String,
        url: String,
        types: [String],
        apps: [String],
        enabled: Bool,
        disabledReason: String? = nil,
        description: String?,
        secret: String,
        previousSecret: String? = nil,
        previousSecretExpiresAt: Date? = nil,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.id = id
        self.url = url
        self.types = types
        self.apps = apps
        self.enabled = enabled
        self.disabledReason = disabledReason
        self.description = description
        self.secret = secret
        self.previousSecret = previousSecret
        self.previousSecretExpiresAt = previousSecretExpiresAt
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }

    /// Whether an event of `type` about an instance of `app` goes to this subscription (enabled or not).
    public func matches(type: String, app: String) -> Bool {
        (self.types.isEmpty || self.types.contains(type)) && (self.apps.isEmpty || self.apps.contains(app))
    }
}

/// The secrets never print: not in a log line, an error, a test failure message or `dump` (`description` is the
/// user's text, so printing goes through the mirror).
extension Subscription: CustomDebugStringConvertible, CustomReflectable {
    public var debugDescription: String {
        "Subscription(id: \(self.id), url: \(self.url), enabled: \(self.enabled), secret: <redacted>)"
    }

    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "id": self.id, "url": self.url, "types": self.types, "apps": self.apps, "enabled": self.enabled,
                "disabledReason": self.disabledReason as Any, "secret": "<redacted>",
            ], displayStyle: .struct)
    }
}
