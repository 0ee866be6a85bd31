import Foundation
import GatewayHTTP
import Yams

/// Reads a configuration file (JSON, or YAML when it ends in `.yaml`/`.yml`) and applies `SIGNING_GATEWAY_*`
/// environment overrides.
/// Unknown keys are refused so a typo cannot silently fall back to a default.
package enum ConfigurationLoader {
    package static func load(
        file: String?,
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(ConfigurationError) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        // The embedded default delivers to subscribers on this machine.
        configuration.events.allowedDestinations = ["127.0.0.0/8", "::1/128"]
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw .unreadable("cannot read \(file)")
            }
            do {
                configuration =
                    Self.isYAML(file)
                    ? try YAMLDecoder().decode(GatewayConfiguration.self, from: data)
                    : try JSONDecoder().decode(GatewayConfiguration.self, from: data)
            } catch {
                let (pointer, detail) = DecodingFailure.describe(error)
                throw .invalid(pointer.isEmpty ? file : pointer, detail)
            }
        }
        try Self.applyEnvironment(environment, to: &configuration)
        return configuration
    }

    static func isYAML(_ file: String) -> Bool {
        let lowered = file.lowercased()
        return lowered.hasSuffix(".yaml") || lowered.hasSuffix(".yml")
    }

    static func applyEnvironment(
        _ environment: [String: String],
        to configuration: inout GatewayConfiguration
    ) throws(ConfigurationError) {
        if let host = environment["SIGNING_GATEWAY_HOST"] { configuration.host = host }
        if let port = environment["SIGNING_GATEWAY_PORT"] {
            guard let value = Int(port) else { throw .invalid("SIGNING_GATEWAY_PORT", "must be a number") }
            configuration.port = value
        }
        if let directory = environment["SIGNING_GATEWAY_DATA_DIR"] { configuration.dataDirectory = directory }
        if let upstream = environment["SIGNING_GATEWAY_UPSTREAM"] { configuration.upstream.environment = upstream }
        if let level = environment["SIGNING_GATEWAY_LOG_LEVEL"] { configuration.logLevel = level }
        if let format = environment["SIGNING_GATEWAY_LOG_FORMAT"] { configuration.logFormat = format }
        if let profile = environment["SIGNING_GATEWAY_DEFAULT_TOKEN_PROFILE"] {
            configuration.defaultTokenProfile = profile
        }
        // No engine override: the engine belongs to the deployment's kind (replicas need PostgreSQL), and an
        // environment variable could switch a multi-replica deployment to per-pod SQLite files.
        if let url = environment["SIGNING_GATEWAY_POSTGRES_URL"] { configuration.storage.postgresURL = url }
        if let file = environment["SIGNING_GATEWAY_POSTGRES_PASSWORD_FILE"] {
            configuration.storage.postgresPasswordFile = file
        }
        if let file = environment["SIGNING_GATEWAY_ALTINN_EVENTS_SECRET_FILE"] {
            configuration.events.altinnEventsSecretFile = file
        }
    }
}

extension GatewayConfiguration: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port, dataDirectory, logLevel, logFormat, maxRequestBodyBytes, drainTimeoutSeconds
        case idleTimeoutSeconds, requestBodyTimeoutSeconds, trustedProxies, forwardedHeader
        case upstream, tokenProfiles, defaultTokenProfile, storage
        case clients, signatureToleranceSeconds, maxRequestHeaderBytes, events
        case audit, preAuth, console
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let defaults = GatewayConfiguration()
        self.host = try container.decodeIfPresent(String.self, forKey: .host) ?? defaults.host
        self.port = try container.decodeIfPresent(Int.self, forKey: .port) ?? defaults.port
        self.dataDirectory =
            try container.decodeIfPresent(String.self, forKey: .dataDirectory) ?? defaults.dataDirectory
        self.logLevel = try container.decodeIfPresent(String.self, forKey: .logLevel) ?? defaults.logLevel
        self.logFormat = try container.decodeIfPresent(String.self, forKey: .logFormat)
        self.maxRequestBodyBytes =
            try container.decodeIfPresent(Int.self, forKey: .maxRequestBodyBytes) ?? defaults.maxRequestBodyBytes
        self.drainTimeoutSeconds =
            try container.decodeIfPresent(Int.self, forKey: .drainTimeoutSeconds) ?? defaults.drainTimeoutSeconds
        self.idleTimeoutSeconds =
            try container.decodeIfPresent(Int.self, forKey: .idleTimeoutSeconds) ?? defaults.idleTimeoutSeconds
        self.requestBodyTimeoutSeconds =
            try container.decodeIfPresent(Int.self, forKey: .requestBodyTimeoutSeconds)
            ?? defaults.requestBodyTimeoutSeconds
        self.trustedProxies = try container.decodeIfPresent([String].self, forKey: .trustedProxies) ?? []
        if let name = try container.decodeIfPresent(String.self, forKey: .forwardedHeader) {
            guard let header = ForwardedHeader(rawValue: name.lowercased()) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .forwardedHeader, in: container, debugDescription: "must be x-forwarded-for or forwarded")
            }
            self.forwardedHeader = header
        }
        // A file names its upstream: the built-in simulator never stands in for Altinn by omission.
        self.upstream = try container.decodeIfPresent(Upstream.self, forKey: .upstream) ?? .unset
        self.tokenProfiles = try container.decodeIfPresent([String: TokenProfile].self, forKey: .tokenProfiles) ?? [:]
        self.defaultTokenProfile =
            try container.decodeIfPresent(String.self, forKey: .defaultTokenProfile) ?? defaults.defaultTokenProfile
        self.storage = try container.decodeIfPresent(StorageSettings.self, forKey: .storage) ?? defaults.storage
        self.clients = try container.decodeIfPresent([String: Client].self, forKey: .clients) ?? [:]
        self.signatureToleranceSeconds =
            try container.decodeIfPresent(Int.self, forKey: .signatureToleranceSeconds)
            ?? defaults.signatureToleranceSeconds
        self.maxRequestHeaderBytes =
            try container.decodeIfPresent(Int.self, forKey: .maxRequestHeaderBytes) ?? defaults.maxRequestHeaderBytes
        self.events = try container.decodeIfPresent(Events.self, forKey: .events) ?? defaults.events
        self.audit = try container.decodeIfPresent(Audit.self, forKey: .audit) ?? defaults.audit
        self.preAuth = try container.decodeIfPresent(PreAuth.self, forKey: .preAuth) ?? defaults.preAuth
        self.console = try container.decodeIfPresent(Console.self, forKey: .console) ?? defaults.console
    }
}

extension GatewayConfiguration.Events: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case trackingInitialIntervalSeconds, trackingMaxIntervalSeconds, trackingDeadlineHours, stallAfterHours
        case deliverySchedule, deliveryJitter, deliveryTimeoutSeconds, deliveryConcurrency, retryAfterCapSeconds
        case allowedDestinations, altinnEventsSecretFile, maxSubscriptionsPerClient, retentionDays, secretKeyFile, proxy
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        func value<T: Decodable>(_ key: CodingKeys, _ fallback: T) throws -> T {
            try container.decodeIfPresent(T.self, forKey: key) ?? fallback
        }
        self.trackingInitialIntervalSeconds = try value(
            .trackingInitialIntervalSeconds, self.trackingInitialIntervalSeconds)
        self.trackingMaxIntervalSeconds = try value(.trackingMaxIntervalSeconds, self.trackingMaxIntervalSeconds)
        self.trackingDeadlineHours = try value(.trackingDeadlineHours, self.trackingDeadlineHours)
        self.stallAfterHours = try value(.stallAfterHours, self.stallAfterHours)
        self.deliverySchedule = try value(.deliverySchedule, self.deliverySchedule)
        self.deliveryJitter = try value(.deliveryJitter, self.deliveryJitter)
        self.deliveryTimeoutSeconds = try value(.deliveryTimeoutSeconds, self.deliveryTimeoutSeconds)
        self.deliveryConcurrency = try value(.deliveryConcurrency, self.deliveryConcurrency)
        self.retryAfterCapSeconds = try value(.retryAfterCapSeconds, self.retryAfterCapSeconds)
        self.allowedDestinations = try value(.allowedDestinations, self.allowedDestinations)
        self.altinnEventsSecretFile = try container.decodeIfPresent(String.self, forKey: .altinnEventsSecretFile)
        self.maxSubscriptionsPerClient = try value(.maxSubscriptionsPerClient, self.maxSubscriptionsPerClient)
        self.retentionDays = try value(.retentionDays, self.retentionDays)
        self.secretKeyFile = try container.decodeIfPresent(String.self, forKey: .secretKeyFile)
        self.proxy = try container.decodeIfPresent(String.self, forKey: .proxy)
    }
}

extension GatewayConfiguration.StorageSettings: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case engine, sqlitePath, postgresURL, postgresPasswordFile, postgresCAFile, postgresPoolSize
        case postgresStatementTimeoutSeconds, idempotencyRetentionHours
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        if let name = try container.decodeIfPresent(String.self, forKey: .engine) {
            guard let engine = GatewayConfiguration.StorageEngine(rawValue: name) else {
                throw DecodingError.dataCorruptedError(
                    forKey: .engine, in: container, debugDescription: "must be sqlite or postgres")
            }
            self.engine = engine
        }
        self.sqlitePath = try container.decodeIfPresent(String.self, forKey: .sqlitePath)
        self.postgresURL = try container.decodeIfPresent(String.self, forKey: .postgresURL)
        self.postgresPasswordFile = try container.decodeIfPresent(String.self, forKey: .postgresPasswordFile)
        self.postgresCAFile = try container.decodeIfPresent(String.self, forKey: .postgresCAFile)
        self.postgresPoolSize =
            try container.decodeIfPresent(Int.self, forKey: .postgresPoolSize) ?? self.postgresPoolSize
        self.postgresStatementTimeoutSeconds =
            try container.decodeIfPresent(Int.self, forKey: .postgresStatementTimeoutSeconds)
            ?? self.postgresStatementTimeoutSeconds
        self.idempotencyRetentionHours =
            try container.decodeIfPresent(Int.self, forKey: .idempotencyRetentionHours)
            ?? self.idempotencyRetentionHours
    }
}

extension GatewayConfiguration.Upstream: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case environment, timeoutMilliseconds, connectTimeoutMilliseconds, caBundle, maxResponseBytes, proxy
        case preflightCacheSeconds
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        self.environment = try container.decodeIfPresent(String.self, forKey: .environment) ?? ""
        self.timeoutMilliseconds =
            try container.decodeIfPresent(Int.self, forKey: .timeoutMilliseconds) ?? self.timeoutMilliseconds
        self.connectTimeoutMilliseconds =
            try container.decodeIfPresent(Int.self, forKey: .connectTimeoutMilliseconds)
            ?? self.connectTimeoutMilliseconds
        self.caBundle = try container.decodeIfPresent(String.self, forKey: .caBundle)
        self.maxResponseBytes =
            try container.decodeIfPresent(Int.self, forKey: .maxResponseBytes) ?? self.maxResponseBytes
        self.proxy = try container.decodeIfPresent(String.self, forKey: .proxy)
        self.preflightCacheSeconds =
            try container.decodeIfPresent(Int.self, forKey: .preflightCacheSeconds) ?? self.preflightCacheSeconds
    }
}

extension GatewayConfiguration.TokenProfile: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case kind, tokenFile, tokenEnv
        case clientId, kid, keyFile, scopes, resource, systemUserOrg, issuer, platform
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init(
            kind: try container.decodeIfPresent(String.self, forKey: .kind) ?? "static",
            tokenFile: try container.decodeIfPresent(String.self, forKey: .tokenFile),
            tokenEnv: try container.decodeIfPresent(String.self, forKey: .tokenEnv))
        self.clientId = try container.decodeIfPresent(String.self, forKey: .clientId)
        self.kid = try container.decodeIfPresent(String.self, forKey: .kid)
        self.keyFile = try container.decodeIfPresent(String.self, forKey: .keyFile)
        // Scopes as a list or as Maskinporten's space-separated string.
        if let list = try? container.decodeIfPresent([String].self, forKey: .scopes) {
            self.scopes = list
        } else if let text = try container.decodeIfPresent(String.self, forKey: .scopes) {
            self.scopes = text.split(separator: " ").map(String.init)
        }
        self.resource = try container.decodeIfPresent(String.self, forKey: .resource)
        self.systemUserOrg = try container.decodeIfPresent(String.self, forKey: .systemUserOrg)
        self.issuer = try container.decodeIfPresent(String.self, forKey: .issuer)
        self.platform = try container.decodeIfPresent(String.self, forKey: .platform)
    }
}
