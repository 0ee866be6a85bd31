package import AltinnAPI
import Crypto
import Foundation
package import Gateway
package import GatewayHTTP
package import Tokens
package import Webhooks

/// Everything `serve` needs, from a JSON file, then environment variables, then flags.
/// With no file at all it runs the embedded default: the built-in simulator and a `dev` profile.
package struct GatewayConfiguration: Sendable, Equatable {
    package var host = "127.0.0.1"
    package var port = 8080
    package var dataDirectory = "./.signing-gateway"
    package var logLevel = "info"
    /// `json` (one object per line) or `text`; when unset, `json` with a configuration file, `text` without.
    package var logFormat: String?
    package var maxRequestBodyBytes = 64 * 1024
    /// On SIGTERM/SIGINT: how long in-flight requests may take to finish before they are cancelled.
    /// At least the longest one request may take (`worstCaseRequestSeconds`), so a rollout never cuts a sign
    /// mid-flight into "outcome unknown".
    package var drainTimeoutSeconds = 45
    /// An inbound connection with no request in progress, or whose request head is incomplete, is closed after this.
    package var idleTimeoutSeconds = 60
    /// A request whose body has not fully arrived this long after its head is cut off.
    package var requestBodyTimeoutSeconds = 30
    /// CIDRs of reverse proxies in front of the gateway: from them, `X-Forwarded-For` gives the audited source
    /// address. Empty: the header is ignored.
    package var trustedProxies: [String] = []
    /// The header those proxies write: `x-forwarded-for` or RFC 7239 `forwarded`. One only, since a proxy passes
    /// the other on untouched from the caller.
    package var forwardedHeader = ForwardedHeader.xForwardedFor

    package func trustedProxyNetworks() throws(ConfigurationError) -> [IPNetwork] {
        var networks: [IPNetwork] = []
        for text in self.trustedProxies {
            do {
                networks.append(try IPNetwork(parsing: text))
            } catch {
                throw .invalid("trustedProxies", error.description)
            }
        }
        return networks
    }
    package var upstream = Upstream()
    /// Named token profiles. Ignored for the built-in simulator, which gets a fresh `dev` token.
    package var tokenProfiles: [String: TokenProfile] = [:]
    package var defaultTokenProfile = "dev"
    package var storage = StorageSettings()
    /// Who may call `/v1`. Empty: `serve` runs the single `dev` client of the data directory's key.
    package var clients: [String: Client] = [:]
    /// How far a signed request's `webhook-timestamp` may be from the gateway's clock, either way.
    package var signatureToleranceSeconds = 300
    /// Requests whose header fields add up to more are answered 431 (the HTTP parser's hard cap is 4x this).
    package var maxRequestHeaderBytes = 16 * 1024
    package var events = Events()
    /// Signed checkpoints of the audit chain and audit retention (`AuditConfiguration.swift`).
    package var audit = Audit()
    /// Limits and aggregated auditing of unauthenticated refusals (`AuditConfiguration.swift`).
    package var preAuth = PreAuth()
    /// The operator console (`ConsoleConfiguration.swift`).
    package var console = Console()

    /// Tracking, delivery and the Altinn Events ingress.
    package struct Events: Sendable, Equatable {
        /// First wait between polls of a tracked instance; it doubles up to the maximum.
        package var trackingInitialIntervalSeconds = 2.0
        package var trackingMaxIntervalSeconds = 300.0
        /// Tracking stops after this.
        package var trackingDeadlineHours = 14 * 24
        /// A tracked signee unsigned this long (or whose notification or delegation failed and stayed so) is told
        /// once as `signee.stalled` and counted by `signing_gateway_stalled_signees`. Altinn's own reminder comes
        /// only after a week.
        package var stallAfterHours = 72.0
        /// Waits between delivery attempts (`500ms`, `5s`, `5m`, `2h`); the last entry is the last retry.
        package var deliverySchedule = ["5s", "5m", "30m", "2h", "5h", "10h", "14h", "20h", "24h"]
        /// ± fraction added to each wait.
        package var deliveryJitter = 0.2
        package var deliveryTimeoutSeconds = 15
        /// Deliveries in flight at once per gateway.
        package var deliveryConcurrency = 64
        /// `Retry-After` is honoured up to the scheduled wait plus this.
        package var retryAfterCapSeconds = 7200
        /// Subscriber addresses allowed although private, loopback or link-local (CIDRs).
        /// Without a configuration file (the embedded default) loopback is allowed.
        package var allowedDestinations: [String] = []
        /// File holding the shared secret Altinn Events must present (`Authorization: Bearer …`) on
        /// `POST /v1/altinn-events`; the ingress is off without one. `SIGNING_GATEWAY_ALTINN_EVENTS_SECRET_FILE`.
        package var altinnEventsSecretFile: String?
        /// The key file that seals subscription secrets at rest (`<id>:<base64 of 32 bytes>` per line, the current
        /// key first). Default `<dataDirectory>/subscription-secrets.key`, created when missing; replicas that do
        /// not share a data directory must share this file (a mounted secret).
        package var secretKeyFile: String?
        /// Proxy for deliveries to subscribers (`http://host:port`); none when absent. A proxy resolves names
        /// itself, so the gateway's check of the addresses a subscriber's name resolves to does not hold through it.
        package var proxy: String?
        /// Subscriptions one client may own at once.
        package var maxSubscriptionsPerClient = 100
        /// Delivered and dead deliveries (with their attempts), and events with no pending delivery and no longer
        /// needed by a tracked instance, are removed this long after they were last touched; 0 keeps them forever.
        package var retentionDays = 30

        package init() {}
    }

    /// The store engines: a closed choice.
    package enum StorageEngine: String, Sendable, Equatable, CaseIterable {
        /// A file in the data directory; the default, for one instance.
        case sqlite
        /// A PostgreSQL server shared by any number of replicas.
        case postgres
    }

    /// Where idempotency keys and the audit log live.
    package struct StorageSettings: Sendable, Equatable {
        package var engine = StorageEngine.sqlite
        /// SQLite file; default `<dataDirectory>/signing-gateway.sqlite`.
        package var sqlitePath: String?
        /// `postgres://user@host:port/database`, without the password.
        package var postgresURL: String?
        /// File holding the PostgreSQL password (a mounted secret).
        package var postgresPasswordFile: String?
        /// CA file the server's certificate is checked against (`sslmode=verify-ca` or `verify-full`).
        package var postgresCAFile: String?
        /// Connections per replica; replicas × this must stay under the server's `max_connections`.
        package var postgresPoolSize = 10
        /// How long one statement may take before the server cancels it (and the gateway gives up on a server that
        /// does not answer at all); the call is then answered 503.
        package var postgresStatementTimeoutSeconds = 30
        /// How long idempotency keys are kept.
        package var idempotencyRetentionHours = 24

        package init() {}
    }

    package struct Upstream: Sendable, Equatable {
        /// `simulator` (built-in, in-process), `tt02`, `production`, or an `http(s)://` base URL.
        package var environment = "simulator"
        package var timeoutMilliseconds = 10_000
        package var connectTimeoutMilliseconds = 3_000
        /// CA bundle for TLS verification; the system store when absent.
        package var caBundle: String?
        package var maxResponseBytes = 1024 * 1024
        /// Proxy for Altinn and Maskinporten calls (`http://host:port`); none when absent. Environment proxy
        /// variables are never used.
        package var proxy: String?
        /// How long an app's metadata and process definition are kept for `GET /v1/apps/{org}/{app}` (0: not kept).
        package var preflightCacheSeconds = 300

        package init() {}

        /// What a configuration file without `upstream.environment` gives: refused by `validate`, unless the
        /// environment (`SIGNING_GATEWAY_UPSTREAM`) or `--upstream` names one.
        static var unset: Upstream {
            var upstream = Upstream()
            upstream.environment = ""
            return upstream
        }
    }

    package struct TokenProfile: Sendable, Equatable {
        /// `static` (a token from a file or env var) or `maskinporten` (JWT grant + Altinn exchange).
        package var kind = "static"
        package var tokenFile: String?
        package var tokenEnv: String?
        // maskinporten
        package var clientId: String?
        package var kid: String?
        /// PEM or JWK private key file; read once at start, never logged.
        package var keyFile: String?
        package var scopes: [String]?
        package var resource: String?
        /// Organisation number of the system user to act as.
        package var systemUserOrg: String?
        /// `test`, `prod` or the issuer URL.
        package var issuer: String?
        /// `tt02`, `production` or the platform base URL.
        package var platform: String?

        package init(kind: String = "static", tokenFile: String? = nil, tokenEnv: String? = nil) {
            self.kind = kind
            self.tokenFile = tokenFile
            self.tokenEnv = tokenEnv
        }
    }

    package init() {}

    /// What `upstream.environment` names: a closed choice, read once.
    package enum UpstreamKind: Sendable, Equatable {
        /// The in-process fake Altinn (its port is only known once it runs).
        case builtInSimulator
        case altinn(AltinnEnvironment)
    }

    package func upstreamKind() throws(ConfigurationError) -> UpstreamKind {
        switch self.upstream.environment {
        case "simulator": return .builtInSimulator
        case "tt02": return .altinn(.tt02)
        case "production": return .altinn(.production)
        case let raw:
            guard let base = BaseURL(raw) else {
                throw .invalid("upstream.environment", "must be simulator, tt02, production or an http(s):// base URL")
            }
            return .altinn(.baseURL(base))
        }
    }

    /// The longest one request may take: a token fetch and up to three Altinn calls (a sign, its read-back, a
    /// process read), each at most the upstream deadline. Drain, idempotency and write leases are sized from it.
    package var worstCaseRequestSeconds: Int { (self.upstream.timeoutMilliseconds * 4 + 999) / 1000 }

    package var usesBuiltInSimulator: Bool { (try? self.upstreamKind()) == .builtInSimulator }

    /// The Altinn environment, for any upstream but the built-in simulator.
    package func altinnEnvironment() throws(ConfigurationError) -> AltinnEnvironment {
        guard case .altinn(let environment) = try self.upstreamKind() else {
            throw .invalid("upstream.environment", "the built-in simulator has no fixed Altinn environment")
        }
        return environment
    }

    /// Static token sources per profile, checked for shape (not yet read).
    package func staticTokenSources() throws(ConfigurationError) -> [String: StaticTokenSource] {
        var sources: [String: StaticTokenSource] = [:]
        for (name, profile) in self.tokenProfiles where profile.kind != "maskinporten" {
            guard profile.kind == "static" else {
                throw .invalid("tokenProfiles.\(name).kind", "must be \"static\" or \"maskinporten\"")
            }
            switch (profile.tokenFile, profile.tokenEnv) {
            case (let file?, nil): sources[name] = .file(file)
            case (nil, let variable?): sources[name] = .environment(variable)
            default: throw .invalid("tokenProfiles.\(name)", "give exactly one of tokenFile or tokenEnv")
            }
        }
        return sources
    }

    /// `maskinporten` profiles, checked for shape (the key file is read when the provider starts).
    package func maskinportenProfiles() throws(ConfigurationError) -> [String: MaskinportenProfile] {
        var profiles: [String: MaskinportenProfile] = [:]
        for (name, profile) in self.tokenProfiles where profile.kind == "maskinporten" {
            let key = "tokenProfiles.\(name)"
            guard let clientId = profile.clientId, !clientId.isEmpty else { throw .invalid(key, "needs clientId") }
            guard let kid = profile.kid, !kid.isEmpty else { throw .invalid(key, "needs kid") }
            guard let keyFile = profile.keyFile, !keyFile.isEmpty else { throw .invalid(key, "needs keyFile") }
            guard let scopes = profile.scopes, !scopes.isEmpty else { throw .invalid(key, "needs scopes") }
            let names = try self.maskinportenNames(profile, key: key)
            guard let issuer = MaskinportenProfile.issuer(named: names.issuer) else {
                throw .invalid("\(key).issuer", "must be test, prod or an http(s):// URL")
            }
            guard let platform = MaskinportenProfile.platform(named: names.platform) else {
                throw .invalid("\(key).platform", "must be tt02, production or an http(s):// URL")
            }
            if let org = profile.systemUserOrg, org.count != 9 || !org.allSatisfy({ $0.isASCII && $0.isNumber }) {
                throw .invalid("\(key).systemUserOrg", "must be a 9-digit organisation number")
            }
            profiles[name] = MaskinportenProfile(
                clientId: clientId, kid: kid, keyFile: keyFile, scopes: scopes, resource: profile.resource,
                systemUserOrg: profile.systemUserOrg, issuer: issuer, platform: platform)
        }
        return profiles
    }

    /// A profile's Maskinporten issuer and token-exchange platform: by default those of `upstream.environment`
    /// (tt02: `test` and `tt02`; production: `prod` and `production`). A name that contradicts the upstream is
    /// refused, since a test token never opens production Altinn and the reverse would sign in the wrong place; a URL
    /// is an explicit override (a proxy, a test stand), though never plain http in production.
    func maskinportenNames(_ profile: TokenProfile, key: String) throws(ConfigurationError) -> (
        issuer: String, platform: String
    ) {
        let expected: (issuer: String, platform: String)
        switch try? self.upstreamKind() {
        case .altinn(.production): expected = ("prod", "production")
        default: expected = ("test", "tt02")
        }
        let issuer = profile.issuer ?? expected.issuer
        let platform = profile.platform ?? expected.platform
        if case .altinn(let environment) = try? self.upstreamKind(), environment == .tt02 || environment == .production
        {
            // Both fields accept both spellings of each environment's name.
            let named: [String: AltinnEnvironment] = [
                "test": .tt02, "tt02": .tt02, "prod": .production, "production": .production,
            ]
            for (field, value, wanted) in [
                ("issuer", issuer, expected.issuer), ("platform", platform, expected.platform),
            ] {
                if let other = named[value], other != environment {
                    throw .invalid(
                        "\(key).\(field)",
                        "'\(value)' does not match upstream.environment \(self.upstream.environment) (expected "
                            + "\(wanted), or a URL to override)")
                }
                if environment == .production, value.lowercased().hasPrefix("http://") {
                    throw .invalid("\(key).\(field)", "must not be plain http:// with the production upstream")
                }
            }
        }
        return (issuer, platform)
    }

    /// Both kinds, and the default profile among them.
    package func checkTokenProfiles() throws(ConfigurationError) {
        let names = Set(try self.staticTokenSources().keys).union(try self.maskinportenProfiles().keys)
        guard names.contains(self.defaultTokenProfile) else {
            throw .invalid(
                "defaultTokenProfile",
                "'\(self.defaultTokenProfile)' is not among tokenProfiles: configure "
                    + "tokenProfiles.\(self.defaultTokenProfile) or name one of \(Self.list(names))")
        }
    }

    /// The token profiles `serve` will have: the configured ones, or with the built-in simulator only the default
    /// one (its fresh `dev` key; `tokenProfiles` is ignored there).
    package var servedTokenProfiles: Set<String> {
        self.usesBuiltInSimulator ? [self.defaultTokenProfile] : Set(self.tokenProfiles.keys)
    }

    /// Every profile a client names is one the gateway has, so a typo is refused at start and not on the first
    /// request that uses it. `*` means any.
    func checkClientTokenProfiles() throws(ConfigurationError) {
        let served = self.servedTokenProfiles
        func unknown(_ name: String, at key: String, otherwise: String) -> ConfigurationError {
            if self.usesBuiltInSimulator {
                return .invalid(
                    key,
                    "'\(name)' is not a token profile of the built-in simulator, which has only "
                        + "'\(self.defaultTokenProfile)' (defaultTokenProfile): \(otherwise)")
            }
            return .invalid(
                key,
                "'\(name)' is not a configured token profile: configure tokenProfiles.\(name) or \(otherwise)"
                    + (served.isEmpty ? "" : " (configured: \(Self.list(served)))"))
        }
        for id in self.clients.keys.sorted() {
            guard let policy = self.clients[id]?.policy else { continue }
            let key = "clients.\(id).policy"
            for (index, name) in (policy.tokenProfiles ?? []).enumerated() where name != "*" && !served.contains(name) {
                throw unknown(name, at: "\(key).tokenProfiles[\(index)]", otherwise: "remove it")
            }
            if let name = policy.defaultTokenProfile, !served.contains(name) {
                throw unknown(name, at: "\(key).defaultTokenProfile", otherwise: "name a configured one")
            }
        }
    }

    static func list(_ names: some Collection<String>) -> String {
        names.isEmpty ? "none" : names.sorted().joined(separator: ", ")
    }

    /// Checks what can be checked without touching the network.
    package func validate() throws(ConfigurationError) {
        guard !self.upstream.environment.isEmpty else {
            throw .invalid(
                "upstream.environment",
                "is required in a configuration file: tt02, production or an http(s):// base URL (or simulator, "
                    + "the built-in fake Altinn, only for trying the gateway out)")
        }
        guard (0...65535).contains(self.port) else { throw .invalid("port", "must be 0-65535") }
        _ = try self.trustedProxyNetworks()
        guard (1...3600).contains(self.idleTimeoutSeconds) else {
            throw .invalid("idleTimeoutSeconds", "must be 1-3600")
        }
        guard (1...3600).contains(self.requestBodyTimeoutSeconds) else {
            throw .invalid("requestBodyTimeoutSeconds", "must be 1-3600")
        }
        guard (1...600).contains(self.drainTimeoutSeconds) else {
            throw .invalid("drainTimeoutSeconds", "must be 1-600")
        }
        guard self.drainTimeoutSeconds >= self.worstCaseRequestSeconds else {
            throw .invalid(
                "drainTimeoutSeconds",
                "must be at least \(self.worstCaseRequestSeconds) s, the longest a request may take "
                    + "(4 × upstream.timeoutMilliseconds), so a shutdown never cuts a sign off mid-flight")
        }
        guard self.maxRequestBodyBytes >= 1024 else { throw .invalid("maxRequestBodyBytes", "must be at least 1024") }
        for (key, proxy) in [("upstream.proxy", self.upstream.proxy), ("events.proxy", self.events.proxy)] {
            guard let proxy else { continue }
            let scheme = URLComponents(string: proxy)?.scheme?.lowercased()
            guard let scheme, ["http", "https", "socks5", "socks5h"].contains(scheme),
                URLComponents(string: proxy)?.host?.isEmpty == false
            else { throw .invalid(key, "must be an http://, https:// or socks5:// proxy URL") }
        }
        guard self.upstream.timeoutMilliseconds > 0, self.upstream.connectTimeoutMilliseconds > 0 else {
            throw .invalid("upstream", "timeouts must be positive")
        }
        guard (0...86_400).contains(self.upstream.preflightCacheSeconds) else {
            throw .invalid("upstream.preflightCacheSeconds", "must be 0-86400")
        }
        guard ["trace", "debug", "info", "notice", "warning", "error", "critical"].contains(self.logLevel) else {
            throw .invalid("logLevel", "must be trace, debug, info, notice, warning, error or critical")
        }
        guard self.logFormat.map({ ["json", "text"].contains($0) }) ?? true else {
            throw .invalid("logFormat", "must be json or text")
        }
        guard self.storage.engine != .postgres || self.storage.postgresURL != nil else {
            throw .invalid("storage.postgresURL", "is required for the postgres engine")
        }
        guard (1...3600).contains(self.signatureToleranceSeconds) else {
            throw .invalid("signatureToleranceSeconds", "must be 1-3600")
        }
        guard (1024...1024 * 1024).contains(self.maxRequestHeaderBytes) else {
            throw .invalid("maxRequestHeaderBytes", "must be 1024-1048576")
        }
        guard (1...200).contains(self.storage.postgresPoolSize) else {
            throw .invalid("storage.postgresPoolSize", "must be 1-200")
        }
        guard (1...3600).contains(self.storage.postgresStatementTimeoutSeconds) else {
            throw .invalid("storage.postgresStatementTimeoutSeconds", "must be 1-3600")
        }
        guard self.storage.idempotencyRetentionHours >= 1 else {
            throw .invalid("storage.idempotencyRetentionHours", "must be at least 1")
        }
        try self.events.validate()
        try self.audit.validate()
        try self.preAuth.validate()
        try self.console.validate()
        // What tt02 and production need first: without them, the other token checks' messages give no hint.
        try self.checkRealAltinnSettings()
        if !self.usesBuiltInSimulator {
            _ = try self.altinnEnvironment()
            try self.checkTokenProfiles()
        }
        try self.checkClientTokenProfiles()
    }

    /// Where a message about a real-Altinn configuration sends the operator next.
    static let configurationGuide =
        "see the README's Configuration section, then run signing-gateway config check --config FILE"

    /// Against tt02 or production, what only makes sense beside a simulator is refused: the data directory's
    /// dev key as a client with every permission (a real deployment names its clients), and in production a
    /// `static` token (what the simulator hands out; production tokens come from Maskinporten and expire).
    func checkRealAltinnSettings() throws(ConfigurationError) {
        guard case .altinn(let environment) = try self.upstreamKind(),
            environment == .tt02 || environment == .production
        else { return }
        // `serve --upstream tt02` without a file lands here: say everything it needs at once.
        guard !self.clients.isEmpty || !self.tokenProfiles.isEmpty else {
            throw .invalid(
                "upstream.environment",
                "\(environment.name) needs a configuration file (--config FILE) with clients and a maskinporten token "
                    + "profile, and this configuration has neither; \(Self.configurationGuide)")
        }
        guard !self.clients.isEmpty else {
            throw .invalid(
                "clients",
                "is required with upstream.environment \(environment.name): without it the data directory's dev key "
                    + "would be a client with every permission (make them with signing-gateway clients new; "
                    + "\(Self.configurationGuide))")
        }
        guard !self.tokenProfiles.isEmpty else {
            throw .invalid(
                "tokenProfiles",
                "is required with upstream.environment \(environment.name): a maskinporten profile (its key made "
                    + "with signing-gateway keys generate) as defaultTokenProfile; \(Self.configurationGuide)")
        }
        if environment == .production {
            for name in self.tokenProfiles.keys.sorted() where self.tokenProfiles[name]?.kind == "static" {
                throw .invalid(
                    "tokenProfiles.\(name).kind",
                    "static tokens are for the simulator and tests; production needs maskinporten")
            }
        }
    }
}

package enum ConfigurationError: Error, Sendable, Equatable, CustomStringConvertible {
    case unreadable(String)
    case invalid(String, String)

    package var description: String {
        switch self {
        case .unreadable(let what): return "configuration: \(what)"
        case .invalid(let key, let why): return "configuration: \(key) \(why)"
        }
    }
}

extension GatewayConfiguration.Events {
    func validate() throws(ConfigurationError) {
        guard self.trackingInitialIntervalSeconds >= 0.01,
            self.trackingMaxIntervalSeconds >= self.trackingInitialIntervalSeconds
        else {
            throw .invalid("events.trackingInitialIntervalSeconds", "must be at least 0.01 and at most the maximum")
        }
        guard self.trackingDeadlineHours >= 1 else { throw .invalid("events.trackingDeadlineHours", "must be >= 1") }
        guard self.stallAfterHours > 0, self.stallAfterHours <= 8760 else {
            throw .invalid("events.stallAfterHours", "must be more than 0 and at most 8760 (a year)")
        }
        guard (0...1).contains(self.deliveryJitter) else { throw .invalid("events.deliveryJitter", "must be 0-1") }
        guard (1...300).contains(self.deliveryTimeoutSeconds) else {
            throw .invalid("events.deliveryTimeoutSeconds", "must be 1-300")
        }
        guard (1...1024).contains(self.deliveryConcurrency) else {
            throw .invalid("events.deliveryConcurrency", "must be 1-1024")
        }
        guard self.retryAfterCapSeconds >= 0 else { throw .invalid("events.retryAfterCapSeconds", "must be >= 0") }
        guard (1...10_000).contains(self.maxSubscriptionsPerClient) else {
            throw .invalid("events.maxSubscriptionsPerClient", "must be 1-10000")
        }
        guard (0...3650).contains(self.retentionDays) else {
            throw .invalid("events.retentionDays", "must be 0-3650 (0 keeps everything)")
        }
    }
}

extension GatewayConfiguration.Events {
    package var tracking: TrackingPolicy {
        TrackingPolicy(
            initialInterval: .milliseconds(Int64(self.trackingInitialIntervalSeconds * 1000)),
            maxInterval: .milliseconds(Int64(self.trackingMaxIntervalSeconds * 1000)),
            deadline: .seconds(self.trackingDeadlineHours * 3600),
            stallAfter: .milliseconds(Int64((self.stallAfterHours * 3_600_000).rounded())))
    }

    package func delivery(userAgent: String) throws(ConfigurationError) -> DeliverySettings {
        let schedule: RetrySchedule
        do {
            schedule = try RetrySchedule(parsing: self.deliverySchedule, jitter: self.deliveryJitter)
        } catch {
            throw .invalid("events.deliverySchedule", "\(error)")
        }
        return DeliverySettings(
            schedule: schedule, timeout: .seconds(self.deliveryTimeoutSeconds),
            retryAfterCap: .seconds(self.retryAfterCapSeconds), concurrency: self.deliveryConcurrency,
            userAgent: userAgent)
    }

    package func destinations() throws(ConfigurationError) -> DestinationPolicy {
        var allowed: [IPNetwork] = []
        for text in self.allowedDestinations {
            do {
                allowed.append(try IPNetwork(parsing: text))
            } catch {
                throw .invalid("events.allowedDestinations", "'\(text.prefix(64))' is not a CIDR such as 10.0.0.0/8")
            }
        }
        return DestinationPolicy(allowed: allowed, allowListName: "events.allowedDestinations")
    }

    /// SHA-256 of the secret in `altinnEventsSecretFile`; nil when none is configured (the ingress is off).
    /// The sealer of subscription secrets, from `secretKeyFile`; the default file in `dataDirectory` is created
    /// when missing (link(2) into place, so replicas starting at once on one data directory agree on one key).
    package func secretSealer(dataDirectory: String) throws(ConfigurationError) -> SecretSealer {
        let key = "events.secretKeyFile"
        let path: String
        if let configured = self.secretKeyFile {
            path = configured
        } else {
            path = (dataDirectory as NSString).appendingPathComponent("subscription-secrets.key")
            if !FileManager.default.fileExists(atPath: path) {
                let temporary = path + ".\(getpid()).tmp"
                guard
                    FileManager.default.createFile(
                        atPath: temporary, contents: Data(SecretSealer.newKeyFile().utf8),
                        attributes: [.posixPermissions: 0o600])
                else { throw .invalid(key, "\(path) could not be created") }
                defer { unlink(temporary) }
                guard link(temporary, path) == 0 || errno == EEXIST else {
                    throw .invalid(key, "\(path) could not be created")
                }
            }
        }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8)
        else { throw .invalid(key, "\(path) is not a readable file") }
        do {
            return try SecretSealer(keyFile: text)
        } catch {
            throw .invalid(key, error.description)
        }
    }

    package func altinnEventsSecretDigest() throws(ConfigurationError) -> [UInt8]? {
        guard let file = self.altinnEventsSecretFile else { return nil }
        guard let data = FileManager.default.contents(atPath: file),
            let secret = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines),
            secret.count >= 16
        else {
            throw .invalid("events.altinnEventsSecretFile", "must be a readable file holding at least 16 characters")
        }
        return Array(SHA256.hash(data: Data(secret.utf8)))
    }
}
