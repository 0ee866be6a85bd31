import AltinnAPI
package import Gateway

/// What a client may ask for. Operations are checked first thing in each handler; apps and token
/// profiles once the request names them, before anything is sent to Altinn or the token provider.
package enum ClientOperation: String, Sendable, CaseIterable {
    case sign, processNext, reject, read, events, admin
}

package struct RateLimit: Sendable, Equatable {
    /// Tokens added per second.
    var perSecond: Double
    /// Bucket size: how many calls may come at once.
    var burst: Double

    package init(perSecond: Double, burst: Double) {
        self.perSecond = perSecond
        self.burst = burst
    }
}

package struct ClientPolicy: Sendable {
    var apps: [AppPattern]
    var operations: Set<ClientOperation>
    /// nil: only the client's default profile, else the gateway's (another client's system user is never
    /// reachable by leaving the list out); `["*"]` in the configuration: any.
    var tokenProfiles: Set<String>?
    /// `["*"]`: every profile the gateway has.
    var anyTokenProfile = false
    var defaultTokenProfile: String?
    var rateLimit: RateLimit?

    package init(
        apps: [AppPattern], operations: Set<ClientOperation>, tokenProfiles: Set<String>?,
        anyTokenProfile: Bool = false, defaultTokenProfile: String?, rateLimit: RateLimit?
    ) {
        self.apps = apps
        self.operations = operations
        self.tokenProfiles = tokenProfiles
        self.anyTokenProfile = anyTokenProfile
        self.defaultTokenProfile = defaultTokenProfile
        self.rateLimit = rateLimit
    }

    func allows(_ operation: ClientOperation) -> Bool { self.operations.contains(operation) }

    func caller(id: String) -> Caller {
        Caller(
            clientId: id, isAdmin: self.allows(.admin), apps: self.apps, mayProcessNext: self.allows(.processNext))
    }

    func allows(app: AppReference) -> Bool { self.apps.contains { $0.matches(app) } }

    /// `*`: events of every app may be subscribed to without an app filter.
    var allowsEveryApp: Bool { self.apps.contains { $0.org == nil } }

    /// The profile to use: the requested one if allowed, else the client's default, else the gateway's.
    func tokenProfile(requested: String?, gatewayDefault: String) -> String? {
        let profile = requested ?? self.defaultTokenProfile ?? gatewayDefault
        if self.anyTokenProfile { return profile }
        guard let allowed = self.tokenProfiles else {
            return profile == (self.defaultTokenProfile ?? gatewayDefault) ? profile : nil
        }
        return allowed.contains(profile) ? profile : nil
    }
}
