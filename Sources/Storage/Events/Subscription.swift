package import Foundation

/// A subscriber endpoint. The secrets are Standard Webhooks `whsec_…` strings; the store keeps them because HMAC
/// needs the key itself, and never returns them anywhere but to the gateway.
package struct Subscription: Sendable, Equatable {
    package var id: String
    package var url: String
    /// Event types delivered; empty = all.
    package var types: [String]
    /// `{org}/{app}` whose events are delivered; empty = all.
    package var apps: [String]
    package var enabled: Bool
    /// Why the gateway disabled it (e.g. the endpoint answered 410), nil when enabled or disabled by a user.
    package var disabledReason: String?
    package var description: String?
    package var secret: String
    /// After a rotation, the old secret keeps signing until `previousSecretExpiresAt`.
    package var previousSecret: String?
    package var previousSecretExpiresAt: Date?
    package var createdAt: Date
    package var updatedAt: Date
    /// The client that created it; only it (and admin clients) see and change it. Never changes.
    package var owner: String

    /// The owner the migration gave subscriptions created before they had owners: not a valid client id, so
    /// only admin clients see and manage them.
    package static let ownerBeforeOwnership = "_before-ownership"

    package init(
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
        updatedAt: Date,
        owner: String = Subscription.ownerBeforeOwnership
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
        self.owner = owner
    }

    /// Whether an event of `type` about an instance of `app` goes to this subscription (enabled or not).
    package func matches(type: String, app: String) -> Bool {
        (self.types.isEmpty || self.types.contains(type)) && (self.apps.isEmpty || self.apps.contains(app))
    }
}

/// The secrets never print: not in a log line, an error, a test failure message or `dump` (`description` is the
/// user's text, so printing goes through the mirror).
extension Subscription: CustomDebugStringConvertible, CustomReflectable {
    package var debugDescription: String {
        "Subscription(id: \(self.id), url: \(self.url), enabled: \(self.enabled), secret: <redacted>)"
    }

    package var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "id": self.id, "url": self.url, "types": self.types, "apps": self.apps, "enabled": self.enabled,
                "disabledReason": self.disabledReason as Any, "secret": "<redacted>",
            ], displayStyle: .struct)
    }
}
