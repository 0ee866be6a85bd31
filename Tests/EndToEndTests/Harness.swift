import AltinnAPI
import AltinnSimulator
import App
import CurlHTTP
import Foundation
import Gateway
import GatewayHTTP
import HTTPTypes
import Hummingbird
import Logging
import ServiceLifecycle
import Storage
import Synchronization
import Tokens
import Transport
import Webhooks

/// A gateway and a simulator, each a real HTTP server on a free loopback port, wired like `make run`;
/// tests talk to the gateway over real HTTP through libcurl.
struct Harness: Sendable {
    let gatewayURL: String
    let simulatorURL: String
    let clientKey: String
    let altinnToken: String
    let simulator: AltinnSimulator
    let client: CurlHTTPClient
    let logs: LogCapture
    let store: any Store
    let dataDirectory: String
    /// The gateway's use cases, for what the HTTP API does not expose (re-sealing secrets at start).
    let useCases: UseCases
    /// The pre-authentication defence the gateway runs with; `flushRefusals()` writes its counts now.
    let preAuth: PreAuthDefence

    static let demoA = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01"
    static let demoB = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02"
    static let demoC = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a03"
    static let demoD = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a04"
    static let demoE = "51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a05"

    struct Options {
        var upstreamTimeoutMilliseconds = 5_000
        /// Point the gateway somewhere other than the simulator (e.g. a closed port).
        var upstreamOverride: String?
        /// The token the gateway sends; by default the one the simulator accepts.
        var gatewayToken: String?
        var maxRequestBodyBytes = 64 * 1024
        var idempotencyLease: Duration = .seconds(120)
        /// Use a real `maskinporten` profile (grant + exchange at the simulator) instead of a static token.
        var maskinporten = false
        /// Clients besides `dev` (which holds `clientKey` and may do everything).
        var clients: [String: GatewayConfiguration.Client] = [:]
        /// Where `hmacSecretEnv` references are looked up.
        var clientEnvironment: [String: String] = [:]
        /// The gateway's clock, for signature timestamps.
        var now: @Sendable () -> Date = { Date() }
        var maxHeaderBytes = 16 * 1024
        /// The store on a fresh database of the test PostgreSQL server instead of a SQLite file.
        var postgres = false
        var maxSubscriptionsPerClient = 100
        var idleTimeout: Duration = .seconds(60)
        var bodyTimeout: Duration = .seconds(30)
        var trustedProxies: [String] = []
        var forwardedHeader = ForwardedHeader.xForwardedFor
        /// Serve the simulator over TLS with HTTP/2 by ALPN (a test CA made at test time, given to the
        /// gateway as `upstream.caBundle`), as production Altinn is reached.
        var tls = false
        /// Generous by default (and a window longer than any test), so other tests' bad credentials are answered
        /// 401 and counted until `flushRefusals()`.
        var preAuth = PreAuthLimits(perSecond: 1_000, burst: 1_000, window: .seconds(3_600))
        /// `upstream.preflightCacheSeconds`.
        var preflightCacheSeconds = 300
        /// The token profiles the preflight compares with an app's scopes (the harness's `dev` profile by default).
        var preflightProfiles = [
            PreflightTokenProfile(
                name: "dev", kind: "maskinporten", scopes: ["altinn:instances.read", "altinn:instances.write"])
        ]
        /// The defence's clock (frozen: no refill during a test).
        var preAuthNow: @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
        /// Turns the Altinn Events ingress on with this shared secret (`events.altinnEventsSecretFile`).
        var altinnEventsSecret: String?
        /// More static token profiles besides `dev`, each with a token the simulator maps to this identity.
        var staticProfiles: [String: SimulatedIdentity] = [:]
        /// `events.trackingInitialIntervalSeconds`, `events.trackingMaxIntervalSeconds`, `events.stallAfterHours`.
        var trackingInitialIntervalSeconds = 2.0
        var trackingMaxIntervalSeconds = 300.0
        var stallAfterHours = 72.0
        /// The simulator's faults at start.
        var simulatorFaults = SimulatorFaults()
    }

    /// Writes the unauthenticated refusals counted so far, as the window timer or shutdown would.
    func flushRefusals() async throws {
        try await self.preAuth.flush(into: self.store)
    }

    /// Polls `condition` every 25 ms until it holds or `seconds` pass; returns whether it held.
    static func eventually(
        within seconds: Double = 15, _ condition: @Sendable () async throws -> Bool
    ) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: .milliseconds(Int64(seconds * 1000)))
        while ContinuousClock.now < deadline {
            if try await condition() { return true }
            try await Task.sleep(for: .milliseconds(25))
        }
        return try await condition()
    }

    static func run(_ options: Options = Options(), _ body: @Sendable (Harness) async throws -> Void) async throws {
        let logs = LogCapture()
        let logger = logs.logger(label: "e2e")
        let altinnToken = "e2e-altinn-token-\(UInt64.random(in: 1 ... .max))"
        let profileTokens = options.staticProfiles.mapValues { identity in
            (token: "e2e-\(identity.kind.rawValue)-token-\(UInt64.random(in: 1 ... .max))", identity: identity)
        }
        var identities: [String: SimulatedIdentity] = [altinnToken: .defaultSystemUser]
        for profile in profileTokens.values { identities[profile.token] = profile.identity }
        let clientKey = "e2e-client-key-\(UInt64.random(in: 1 ... .max))"
        let simulator = await AltinnSimulator(
            configuration: SimulatorConfiguration(
                identities: identities, faults: options.simulatorFaults,
                tokens: SimulatorTokenSettings(
                    clients: options.maskinporten
                        ? [
                            MaskinportenClientRegistration(
                                clientId: E2EKey.clientId, publicJWK: Data(E2EKey.written.publicJWK.utf8))!
                        ] : [])),
            logger: logs.logger(label: "simulator"))
        let client = CurlHTTPClient(configuration: .init())
        defer { client.shutdown() }

        let (simulatorPorts, simulatorPort) = AsyncStream.makeStream(of: Int.self)
        let (gatewayPorts, gatewayPort) = AsyncStream.makeStream(of: Int.self)
        let simulatorService: any Service =
            options.tls
            ? try simulator.makeApplication(tls: TestCertificates.made.simulatorTLS) { simulatorPort.yield($0) }
            : simulator.makeApplication { simulatorPort.yield($0) }
        let simulatorGroup = ServiceGroup(services: [simulatorService], gracefulShutdownSignals: [], logger: logger)

        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await simulatorGroup.run() }
            let port = await simulatorPorts.first { _ in true } ?? 0
            let simulatorURL = "\(options.tls ? "https" : "http")://127.0.0.1:\(port)"

            var configuration = GatewayConfiguration()
            configuration.upstream.timeoutMilliseconds = options.upstreamTimeoutMilliseconds
            if options.tls { configuration.upstream.caBundle = TestCertificates.made.caPath }
            configuration.maxRequestBodyBytes = options.maxRequestBodyBytes
            let dataDirectory = FileManager.default.temporaryDirectory
                .appendingPathComponent("sg-e2e-\(UInt64.random(in: 1 ... .max))").path
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            configuration.dataDirectory = dataDirectory
            // Subscribers in these tests listen on loopback.
            configuration.events.allowedDestinations = ["127.0.0.0/8"]
            configuration.events.maxSubscriptionsPerClient = options.maxSubscriptionsPerClient
            if let secret = options.altinnEventsSecret {
                let file = dataDirectory + "/altinn-events.secret"
                try Data(secret.utf8).write(to: URL(fileURLWithPath: file))
                configuration.events.altinnEventsSecretFile = file
            }
            configuration.events.trackingInitialIntervalSeconds = options.trackingInitialIntervalSeconds
            configuration.events.trackingMaxIntervalSeconds = options.trackingMaxIntervalSeconds
            configuration.events.stallAfterHours = options.stallAfterHours
            if options.postgres {
                configuration.storage.engine = .postgres
                configuration.storage.postgresURL = try await FreshPostgres.database()
            }
            let store = try await GatewayAssembly.store(configuration, serving: true, logger: logger)
            let base = BaseURL(options.upstreamOverride ?? simulatorURL)!
            let transport = GatewayAssembly.transport(configuration)
            let tokens: any TokenProvider
            if options.maskinporten {
                let profile = MaskinportenProfile(
                    clientId: E2EKey.clientId, kid: E2EKey.kid, keyFile: E2EKey.written.privateKeyPath,
                    scopes: ["altinn:instances.read", "altinn:instances.write"], systemUserOrg: "310000001",
                    issuer: simulatorURL + "/maskinporten/", platform: simulatorURL)
                tokens = try await TokenAssembly.provider(
                    static: [:], maskinporten: ["dev": profile], transport: transport, timeout: .seconds(5),
                    logger: logger)
            } else {
                var tokensByProfile = ["dev": AccessToken(options.gatewayToken ?? altinnToken)]
                for (name, profile) in profileTokens { tokensByProfile[name] = AccessToken(profile.token) }
                tokens = StaticTokenProvider(tokens: tokensByProfile)
            }
            let service = GatewayAssembly.service(
                configuration, environment: .baseURL(base), tokens: tokens, transport: transport, store: store,
                logger: logger)
            var clients = options.clients
            clients["dev"] = ClientRegistry.devClient(apiKeySha256: APIKeyGenerator.sha256Hex(clientKey))
            let registry = try ClientRegistry.configured(clients, environment: options.clientEnvironment)
            var settings = GatewayApplication.Settings(
                host: "127.0.0.1", port: 0, maxBodyBytes: configuration.maxRequestBodyBytes, clients: registry,
                maxHeaderBytes: options.maxHeaderBytes)
            settings.now = options.now
            settings.idleTimeout = options.idleTimeout
            settings.bodyTimeout = options.bodyTimeout
            settings.trustedProxies = try options.trustedProxies.map { try IPNetwork(parsing: $0) }
            settings.forwardedHeader = options.forwardedHeader
            settings.preAuth = PreAuthDefence(limits: options.preAuth, now: options.preAuthNow)
            let events = try GatewayAssembly.events(configuration, environment: .baseURL(base))
            defer { events.transport.shutdown() }
            configuration.upstream.preflightCacheSeconds = options.preflightCacheSeconds
            let useCases = events.useCases(
                store: store, service: service, clients: registry, idempotencyLease: options.idempotencyLease,
                preflight: GatewayAssembly.preflight(
                    configuration, environment: .baseURL(base), transport: transport,
                    profiles: options.preflightProfiles))
            let app = try GatewayApplication.make(
                settings: settings,
                useCases: useCases,
                store: store, tokens: tokens, altinnEventsSecretDigest: events.altinnEventsSecretDigest,
                logger: logger,
                services: events.backgroundServices(store: store, service: service, logger: logger)
            ) { gatewayPort.yield($0) }
            let gatewayGroup = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: logger)
            group.addTask { try await gatewayGroup.run() }
            let gateway = await gatewayPorts.first { _ in true } ?? 0

            let harness = Harness(
                gatewayURL: "http://127.0.0.1:\(gateway)", simulatorURL: simulatorURL, clientKey: clientKey,
                altinnToken: altinnToken, simulator: simulator, client: client, logs: logs, store: store,
                dataDirectory: dataDirectory, useCases: useCases, preAuth: settings.preAuth)
            let outcome = await Result(catching: { try await body(harness) })
            await gatewayGroup.triggerGracefulShutdown()
            // The gateway's connections go first: an HTTP/2 server's graceful shutdown waits for its clients.
            transport.shutdown()
            events.transport.shutdown()
            await simulatorGroup.triggerGracefulShutdown()
            try await group.waitForAll()
            await store.close()
            try? FileManager.default.removeItem(atPath: dataDirectory)
            try outcome.get()
        }
    }

    struct Reply: Sendable {
        var status: Int
        var headers: HTTPFields
        var text: String
        var json: [String: Any] {
            (try? JSONSerialization.jsonObject(with: Data(self.text.utf8))) as? [String: Any] ?? [:]
        }
        var problemType: String? { self.json["type"] as? String }
    }

    /// A fresh key for every POST unless one is given; `nil` sends none.
    static let freshKey = "<fresh>"

    func send(
        _ method: HTTPRequest.Method,
        _ path: String,
        body: String? = nil,
        headers: HTTPFields? = nil,
        authorized: Bool = true,
        idempotencyKey: String? = Harness.freshKey
    ) async throws -> Reply {
        var fields = headers ?? (body != nil ? [.contentType: "application/json"] : [:])
        if authorized, fields[.authorization] == nil { fields[.authorization] = "Bearer \(self.clientKey)" }
        if method == .post, let key = idempotencyKey, fields[.idempotencyKey] == nil {
            fields[.idempotencyKey] = key == Self.freshKey ? "\"\(UUID().uuidString)\"" : key
        }
        let response = try await self.client.execute(
            OutboundRequest(
                method: method, url: self.gatewayURL + path, headerFields: fields, body: body.map { Array($0.utf8) }))
        return Reply(
            status: Int(response.status.code), headers: response.headerFields,
            text: String(decoding: response.body, as: UTF8.self))
    }

    func sign(
        _ instanceId: String,
        mode: String = "parallel",
        extra: String = "",
        key: String? = Harness.freshKey
    ) async throws -> Reply {
        try await self.send(
            .post, "/v1/signatures",
            body: #"{"app":"ttd/signing-app","instanceId":"\#(instanceId)","mode":"\#(mode)"\#(extra)}"#,
            idempotencyKey: key)
    }

    func processNext(_ instanceId: String, key: String? = Harness.freshKey) async throws -> Reply {
        try await self.send(
            .post, "/v1/process/next", body: #"{"app":"ttd/signing-app","instanceId":"\#(instanceId)"}"#,
            idempotencyKey: key)
    }

    func signees(_ instanceId: String, query: String = "") async throws -> Reply {
        try await self.send(.get, "/v1/instances/ttd/signing-app/\(instanceId)/signees\(query)")
    }

    func signCalls(_ instanceId: String) async -> Int {
        let parts = instanceId.split(separator: "/")
        return await self.simulator.state.signCalls(partyId: Int(parts[0])!, guid: UUID(uuidString: String(parts[1]))!)
    }

    func upstreamRequestCount() async -> Int {
        await self.simulator.state.recordedRequests().count
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}

/// Collects every log line (message and metadata) so tests can prove no secret was logged.
final class LogCapture: Sendable {
    private let lines = Mutex<[String]>([])
    /// The same events as the gateway's JSON log handler renders them, one object per line.
    private let jsonLines = Mutex<[String]>([])

    var text: String { self.lines.withLock { $0.joined(separator: "\n") } }
    var json: [String] { self.jsonLines.withLock { $0 } }

    func logger(label: String) -> Logger {
        var logger = Logger(label: label) { _ in CapturingHandler(capture: self) }
        logger.logLevel = .trace
        return logger
    }

    fileprivate func append(_ line: String) { self.lines.withLock { $0.append(line) } }
    fileprivate func appendJSON(_ line: [UInt8]) {
        self.jsonLines.withLock { $0.append(String(decoding: line, as: UTF8.self)) }
    }
}

private struct CapturingHandler: LogHandler {
    let capture: LogCapture
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        let merged = self.metadata.merging(event.metadata ?? [:]) { $1 }
        self.capture.append("\(event.level) \(event.message) \(merged)")
        self.capture.appendJSON(
            JSONLogHandler.line(
                time: Date(), level: event.level, label: "e2e", message: "\(event.message)", metadata: merged))
    }
}

/// One RSA key for the end-to-end run (generation is slow).
enum E2EKey {
    static let kid = "e2e-kid"
    static let clientId = "e2e-client"
    static let written: KeyGenerator.Written = {
        do {
            return try KeyGenerator.generate(
                kid: kid, directory: NSTemporaryDirectory() + "e2e-keys-\(UUID().uuidString)")
        } catch {
            fatalError("e2e key: \(error)")
        }
    }()
}
