import Foundation
import Gateway
import GatewayHTTP

/// Everything `config check` and `serve` verify before starting, and the effective configuration as an
/// operator may see it. One list of messages for both, so they cannot drift apart.
package enum ConfigurationCheck {
    /// Every problem found (empty when the configuration can be served): the shape checks of `validate()`,
    /// then what needs the file system: key, token, CA and password files readable, token variables set.
    /// `readingFiles: false` stops after the shape checks, for a deploy manifest checked away from its secrets.
    package static func problems(
        _ configuration: GatewayConfiguration,
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readingFiles: Bool = true
    ) -> [ConfigurationError] {
        var problems: [ConfigurationError] = []
        do {
            try configuration.validate()
        } catch {
            problems.append(error)
        }
        do { _ = try configuration.events.delivery(userAgent: "") } catch { problems.append(error) }
        do { _ = try configuration.events.destinations() } catch { problems.append(error) }
        if configuration.storage.engine == .postgres, let url = configuration.storage.postgresURL {
            let components = URLComponents(string: url)
            let scheme = components?.scheme ?? ""
            if !["postgres", "postgresql"].contains(scheme) || (components?.host?.isEmpty ?? true) {
                // The URL itself is not repeated: it may hold a password.
                problems.append(.invalid("storage.postgresURL", "must be postgres://user@host:port/database"))
            }
        }
        do {
            _ = try ClientRegistry.configured(
                configuration.clients, environment: environment, readingSecrets: readingFiles)
        } catch {
            problems.append(error)
        }
        guard readingFiles else { return problems }
        let files = FileManager.default
        func readable(_ path: String?, _ key: String) {
            if let path, !files.isReadableFile(atPath: path) {
                problems.append(.invalid(key, "\(path) is not readable"))
            }
        }
        readable(configuration.upstream.caBundle, "upstream.caBundle")
        do { _ = try configuration.events.altinnEventsSecretDigest() } catch { problems.append(error) }
        // Only a configured key file is checked: the default one is made at the first start.
        if configuration.events.secretKeyFile != nil {
            do { _ = try configuration.events.secretSealer(dataDirectory: configuration.dataDirectory) } catch {
                problems.append(error)
            }
        }
        if configuration.storage.engine == .postgres {
            readable(configuration.storage.postgresPasswordFile, "storage.postgresPasswordFile")
            readable(configuration.storage.postgresCAFile, "storage.postgresCAFile")
        }
        guard !configuration.usesBuiltInSimulator else { return problems }
        for name in configuration.tokenProfiles.keys.sorted() {
            guard let profile = configuration.tokenProfiles[name] else { continue }
            let key = "tokenProfiles.\(name)"
            readable(profile.keyFile, "\(key).keyFile")
            readable(profile.tokenFile, "\(key).tokenFile")
            if let variable = profile.tokenEnv, (environment[variable] ?? "").isEmpty {
                problems.append(.invalid("\(key).tokenEnv", "environment variable \(variable) is not set"))
            }
        }
        return problems
    }

    /// `json` or `text`: the configured format, else `json` when a file was given, `text` for the embedded default.
    package static func logFormat(_ configuration: GatewayConfiguration, fromFile: Bool) -> String {
        configuration.logFormat ?? (fromFile ? "json" : "text")
    }

    /// The configuration as `serve` will use it, as JSON that loads back as it is: every setting, each as the type
    /// the loader reads (numbers as numbers), so the output fed to `config check --config` prints the same again.
    /// Paths and variable names are shown (they are not secrets), and an API key's SHA-256 (the key is 256 random
    /// bits, so its hash reveals nothing and is what the file holds anyway). A password inside the PostgreSQL URL
    /// is masked: that one value does not load back as it was (keep it in `storage.postgresPasswordFile`).
    package static func effectiveJSON(_ configuration: GatewayConfiguration, fromFile: Bool) -> [UInt8] {
        let c = configuration
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        let profiles: [(String, JSONValue)] = c.tokenProfiles.keys.sorted().compactMap { name in
            guard let p = c.tokenProfiles[name] else { return nil }
            return (
                name,
                .object([
                    ("kind", .string(p.kind)), ("tokenFile", text(p.tokenFile)), ("tokenEnv", text(p.tokenEnv)),
                    ("clientId", text(p.clientId)), ("kid", text(p.kid)), ("keyFile", text(p.keyFile)),
                    ("scopes", p.scopes.map { .array($0.map(JSONValue.string)) } ?? .null),
                    ("resource", text(p.resource)), ("systemUserOrg", text(p.systemUserOrg)),
                    ("issuer", text(p.issuer)), ("platform", text(p.platform)),
                ])
            )
        }
        // Credentials show only what identifies them: secrets are references, never values.
        let clients: [(String, JSONValue)] = c.clients.keys.sorted().compactMap { id in
            guard let client = c.clients[id] else { return nil }
            let credentials: [JSONValue] = client.credentials.map { credential in
                .object([
                    ("id", .string(credential.id)),
                    ("apiKeySha256", text(credential.apiKeySha256)),
                    ("hmacSecretFile", text(credential.hmacSecretFile)),
                    ("hmacSecretEnv", text(credential.hmacSecretEnv)),
                ])
            }
            let policy = client.policy
            return (
                id,
                .object([
                    ("description", .string(client.description)), ("credentials", .array(credentials)),
                    (
                        "policy",
                        .object([
                            ("apps", .array(policy.apps.map(JSONValue.string))),
                            ("operations", .array(policy.operations.map(JSONValue.string))),
                            ("tokenProfiles", policy.tokenProfiles.map { .array($0.map(JSONValue.string)) } ?? .null),
                            ("defaultTokenProfile", text(policy.defaultTokenProfile)),
                            (
                                "rateLimit",
                                policy.rateLimit.map {
                                    .object([("perSecond", .number($0.perSecond)), ("burst", .int($0.burst))])
                                } ?? .null
                            ),
                        ])
                    ),
                ])
            )
        }
        let json: JSONValue = .object([
            ("host", .string(c.host)), ("port", .int(c.port)), ("dataDirectory", .string(c.dataDirectory)),
            ("logLevel", .string(c.logLevel)), ("logFormat", .string(Self.logFormat(c, fromFile: fromFile))),
            ("maxRequestBodyBytes", .int(c.maxRequestBodyBytes)), ("drainTimeoutSeconds", .int(c.drainTimeoutSeconds)),
            ("idleTimeoutSeconds", .int(c.idleTimeoutSeconds)),
            ("requestBodyTimeoutSeconds", .int(c.requestBodyTimeoutSeconds)),
            ("trustedProxies", .array(c.trustedProxies.map(JSONValue.string))),
            ("forwardedHeader", .string(c.forwardedHeader.rawValue)),
            (
                "upstream",
                .object([
                    ("environment", .string(c.upstream.environment)),
                    ("timeoutMilliseconds", .int(c.upstream.timeoutMilliseconds)),
                    ("connectTimeoutMilliseconds", .int(c.upstream.connectTimeoutMilliseconds)),
                    ("caBundle", text(c.upstream.caBundle)), ("maxResponseBytes", .int(c.upstream.maxResponseBytes)),
                    ("proxy", text(c.upstream.proxy)),
                    ("preflightCacheSeconds", .int(c.upstream.preflightCacheSeconds)),
                ])
            ),
            ("tokenProfiles", .object(profiles)), ("defaultTokenProfile", .string(c.defaultTokenProfile)),
            (
                "storage",
                .object([
                    ("engine", .string(c.storage.engine.rawValue)), ("sqlitePath", text(c.storage.sqlitePath)),
                    ("postgresURL", text(c.storage.postgresURL.map(Self.maskingPassword))),
                    ("postgresPasswordFile", text(c.storage.postgresPasswordFile)),
                    ("postgresCAFile", text(c.storage.postgresCAFile)),
                    ("postgresPoolSize", .int(c.storage.postgresPoolSize)),
                    ("postgresStatementTimeoutSeconds", .int(c.storage.postgresStatementTimeoutSeconds)),
                    ("idempotencyRetentionHours", .int(c.storage.idempotencyRetentionHours)),
                ])
            ),
            ("clients", .object(clients)),
            ("signatureToleranceSeconds", .int(c.signatureToleranceSeconds)),
            ("maxRequestHeaderBytes", .int(c.maxRequestHeaderBytes)),
            (
                "events",
                .object([
                    ("trackingInitialIntervalSeconds", .number(c.events.trackingInitialIntervalSeconds)),
                    ("trackingMaxIntervalSeconds", .number(c.events.trackingMaxIntervalSeconds)),
                    ("trackingDeadlineHours", .int(c.events.trackingDeadlineHours)),
                    ("stallAfterHours", .number(c.events.stallAfterHours)),
                    ("deliverySchedule", .array(c.events.deliverySchedule.map(JSONValue.string))),
                    ("deliveryJitter", .number(c.events.deliveryJitter)),
                    ("deliveryTimeoutSeconds", .int(c.events.deliveryTimeoutSeconds)),
                    ("deliveryConcurrency", .int(c.events.deliveryConcurrency)),
                    ("retryAfterCapSeconds", .int(c.events.retryAfterCapSeconds)),
                    ("allowedDestinations", .array(c.events.allowedDestinations.map(JSONValue.string))),
                    ("altinnEventsSecretFile", text(c.events.altinnEventsSecretFile)),
                    ("maxSubscriptionsPerClient", .int(c.events.maxSubscriptionsPerClient)),
                    ("retentionDays", .int(c.events.retentionDays)),
                    ("secretKeyFile", text(c.events.secretKeyFile)),
                    ("proxy", text(c.events.proxy)),
                ])
            ),
            (
                "audit",
                .object([
                    ("checkpointKeyFile", text(c.audit.checkpointKeyFile)),
                    ("checkpointIntervalSeconds", .int(c.audit.checkpointIntervalSeconds)),
                    ("retentionDays", c.audit.retentionDays.map { .int($0) } ?? .null),
                ])
            ),
            (
                "preAuth",
                .object([
                    ("perSecond", .number(c.preAuth.perSecond)), ("burst", .int(c.preAuth.burst)),
                    ("maxSources", .int(c.preAuth.maxSources)), ("windowSeconds", .int(c.preAuth.windowSeconds)),
                ])
            ),
            (
                "console",
                .object([
                    ("enabled", .bool(c.console.enabled)), ("sessionMinutes", .number(c.console.sessionMinutes)),
                    ("sessionMaxHours", .int(c.console.sessionMaxHours)),
                    ("secureCookie", c.console.secureCookie.map(JSONValue.bool) ?? .null),
                ])
            ),
        ])
        return json.serialized
    }

    /// `postgres://user:secret@host/db` → `postgres://user:***@host/db`; unparsable URLs are masked whole.
    static func maskingPassword(_ url: String) -> String {
        guard var components = URLComponents(string: url) else { return "***" }
        if components.password != nil { components.password = "***" }
        return components.string ?? "***"
    }
}
