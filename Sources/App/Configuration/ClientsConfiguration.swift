import Foundation
import GatewayHTTP

extension GatewayConfiguration {
    /// A caller of the gateway, as configured under `clients.<id>`.
    package struct Client: Sendable, Equatable {
        package var description = ""
        /// Several at once, so a credential can be rotated without downtime.
        package var credentials: [Credential] = []
        package var policy = ClientPolicy()

        package init() {}
    }

    /// Exactly one of the three: an API key's SHA-256 (hex), or a `whsec_` secret by reference.
    package struct Credential: Sendable, Equatable {
        /// A name for rotation and for humans (`erp-2026-01`).
        package var id = ""
        package var apiKeySha256: String?
        /// File holding the `whsec_…` secret (a mounted secret). Never inline in the config.
        package var hmacSecretFile: String?
        /// Environment variable holding the `whsec_…` secret.
        package var hmacSecretEnv: String?

        package init() {}
    }

    package struct ClientPolicy: Sendable, Equatable {
        /// `org/app`, `org/*` or `*`. Empty: no app at all.
        package var apps: [String] = []
        /// Names of `ClientOperation`: `sign`, `processNext`, `reject`, `read`, `events`, `admin`.
        package var operations: [String] = []
        /// Allowed token profiles; absent or containing `*`: any the gateway has.
        package var tokenProfiles: [String]?
        /// Used when a request names none; absent: the gateway's `defaultTokenProfile`.
        package var defaultTokenProfile: String?
        package var rateLimit: RateLimitSetting?

        package init() {}
    }

    package struct RateLimitSetting: Sendable, Equatable {
        package var perSecond: Double
        package var burst: Int

        package init(perSecond: Double, burst: Int) {
            self.perSecond = perSecond
            self.burst = burst
        }
    }
}

extension GatewayConfiguration.Client: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case description, credentials, policy }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        self.description = try container.decodeIfPresent(String.self, forKey: .description) ?? ""
        self.credentials = try container.decode([GatewayConfiguration.Credential].self, forKey: .credentials)
        self.policy = try container.decode(GatewayConfiguration.ClientPolicy.self, forKey: .policy)
    }
}

extension GatewayConfiguration.Credential: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case id, apiKeySha256, hmacSecretFile, hmacSecretEnv }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        self.id = try container.decode(String.self, forKey: .id)
        self.apiKeySha256 = try container.decodeIfPresent(String.self, forKey: .apiKeySha256)
        self.hmacSecretFile = try container.decodeIfPresent(String.self, forKey: .hmacSecretFile)
        self.hmacSecretEnv = try container.decodeIfPresent(String.self, forKey: .hmacSecretEnv)
    }
}

extension GatewayConfiguration.ClientPolicy: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case apps, operations, tokenProfiles, defaultTokenProfile, rateLimit
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        self.apps = try container.decode([String].self, forKey: .apps)
        self.operations = try container.decode([String].self, forKey: .operations)
        self.tokenProfiles = try container.decodeIfPresent([String].self, forKey: .tokenProfiles)
        self.defaultTokenProfile = try container.decodeIfPresent(String.self, forKey: .defaultTokenProfile)
        self.rateLimit = try container.decodeIfPresent(GatewayConfiguration.RateLimitSetting.self, forKey: .rateLimit)
    }
}

extension GatewayConfiguration.RateLimitSetting: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable { case perSecond, burst }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.perSecond = try container.decode(Double.self, forKey: .perSecond)
        self.burst = try container.decode(Int.self, forKey: .burst)
    }
}
