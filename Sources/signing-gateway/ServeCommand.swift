import AltinnAPI
import AltinnSimulator
import App
import ArgumentParser
import CurlHTTP
import Foundation
import Gateway
import GatewayHTTP
import Logging
import ServiceLifecycle
import Storage
import Tokens
import Transport
import UnixSignals

/// What `serve` reads, and `config check` too (so the check sees exactly what `serve` would run): the configuration,
/// then the flags that outrank it.
struct ServeOptions: ParsableArguments {
    @OptionGroup var config: ConfigOptions
    @OptionGroup var listen: ListenOptions

    @Option(help: "Upstream: simulator, tt02, production or an http(s):// base URL (overrides upstream.environment).")
    var upstream: String?

    func load() throws(ConfigurationError) -> GatewayConfiguration {
        var configuration = try self.config.load()
        if let host = self.listen.host { configuration.host = host }
        if let port = self.listen.port { configuration.port = port }
        if let upstream = self.upstream { configuration.upstream.environment = upstream }
        return configuration
    }
}

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Run the gateway (default: with the built-in Altinn simulator).",
        discussion: CommandHelp.discussion(
            examples: [
                .init(
                    "The embedded default: the built-in Altinn simulator, a dev client key in ./.signing-gateway",
                    "signing-gateway serve"),
                .init(
                    "Your configuration, checked first as config check does",
                    "signing-gateway serve --config config.json"),
                .init(
                    "The same on another port and data directory",
                    "signing-gateway serve --config config.json --port 9090 --data-dir ./gw2"),
            ],
            exitCodes: [
                .init(0, "stopped by SIGTERM or SIGINT after in-flight requests finished"),
                .init(1, "the configuration is invalid (each problem names its key) or the gateway could not start"),
                .usage,
            ]))

    @OptionGroup var options: ServeOptions

    func run() async throws {
        let started = ContinuousClock.now
        let configuration: GatewayConfiguration
        do {
            configuration = try self.options.load()
        } catch {
            FileHandle.standardError.write(Data("signing-gateway: \(error)\n".utf8))
            throw ExitCode.failure
        }
        // The same checks and messages as `config check`.
        let problems = ConfigurationCheck.problems(configuration)
        guard problems.isEmpty else {
            FileHandle.standardError.write(Data(problems.map { "signing-gateway: \($0)\n" }.joined().utf8))
            throw ExitCode.failure
        }
        LogBootstrap.install(
            format: ConfigurationCheck.logFormat(configuration, fromFile: self.options.config.config != nil),
            level: Logger.Level(rawValue: configuration.logLevel) ?? .info)
        let logger = Bootstrap.logger(level: configuration.logLevel)
        let dataDirectory = try DataDirectory(path: configuration.dataDirectory)
        let clients: ClientRegistry
        if configuration.clients.isEmpty {
            // No clients configured: the data directory's key is the `dev` client, with every permission.
            let key = try dataDirectory.devClientKey(logger: logger, announce: configuration.usesBuiltInSimulator)
            clients = try ClientRegistry.dev(apiKey: key)
        } else {
            do {
                clients = try ClientRegistry.configured(configuration.clients)
            } catch {
                FileHandle.standardError.write(Data("signing-gateway: \(error)\n".utf8))
                throw ExitCode.failure
            }
        }

        switch try configuration.upstreamKind() {
        case .builtInSimulator:
            try await self.runWithSimulator(configuration, clients: clients, logger: logger, started: started)
        case .altinn(let environment):
            let staticSources = try configuration.staticTokenSources()
            let profiles = try configuration.maskinportenProfiles()
            try await self.runGateway(
                configuration, environment: environment,
                tokens: { transport throws(TokenError) in
                    try await TokenAssembly.provider(
                        static: staticSources, maskinporten: profiles, transport: transport,
                        timeout: .milliseconds(configuration.upstream.timeoutMilliseconds), logger: logger)
                },
                clients: clients, logger: logger, started: started, upstreamLabel: environment.name,
                preflightProfiles: GatewayAssembly.preflightProfiles(configuration))
        }
    }

    /// The embedded default: an in-process simulator on a free loopback port, and a `dev` maskinporten
    /// profile whose key (made at first run in the data directory) is registered with it, so the demo
    /// walks the real grant → exchange → app-call path.
    private func runWithSimulator(
        _ configuration: GatewayConfiguration,
        clients: ClientRegistry,
        logger: Logger,
        started: ContinuousClock.Instant
    ) async throws {
        let simulator = await AltinnSimulator(
            configuration: SimulatorConfiguration(identities: [:]),
            logger: Logger(label: "altinn-simulator", level: .warning))
        let devKey = try await SimulatorDevProfile.prepare(
            dataDirectory: configuration.dataDirectory, simulator: simulator)
        let (ports, portContinuation) = AsyncStream.makeStream(of: Int.self)
        let simulatorApp = simulator.makeApplication { port in portContinuation.yield(port) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                try await ServiceGroup(services: [simulatorApp], gracefulShutdownSignals: [], logger: logger).run()
            }
            guard let port = await ports.first(where: { _ in true }), let base = BaseURL("http://127.0.0.1:\(port)")
            else { throw ExitCode.failure }
            var demo = ["demo instances (app ttd/signing-app):"]
            for instance in AltinnSimulator.demoInstances {
                demo.append("  \(instance.id)  \(instance.description)")
            }
            logger.info("\(demo.joined(separator: "\n"))")
            // Where the simulator's admin routes are (a demo signee signing, new demo instances): the README's
            // walkthrough reads it, as the port is a free one.
            try Data((base.value + "\n").utf8).write(
                to: URL(fileURLWithPath: configuration.dataDirectory).appendingPathComponent("simulator.url"))
            let profile = devKey.profile(simulatorURL: base.value)
            try await self.runGateway(
                configuration, environment: .baseURL(base),
                tokens: { transport throws(TokenError) in
                    try await TokenAssembly.provider(
                        static: [:], maskinporten: [configuration.defaultTokenProfile: profile], transport: transport,
                        timeout: .milliseconds(configuration.upstream.timeoutMilliseconds), logger: logger)
                },
                clients: clients, logger: logger, started: started,
                upstreamLabel: "built-in Altinn simulator at \(base.value)",
                preflightProfiles: [
                    PreflightTokenProfile(
                        name: configuration.defaultTokenProfile, kind: "maskinporten", scopes: profile.scopes)
                ])
            group.cancelAll()
        }
    }

    private func runGateway(
        _ configuration: GatewayConfiguration,
        environment: AltinnEnvironment,
        tokens makeTokens: (any HTTPTransport) async throws(TokenError) -> any TokenProvider,
        clients: ClientRegistry,
        logger: Logger,
        started: ContinuousClock.Instant,
        upstreamLabel: String,
        preflightProfiles: [PreflightTokenProfile]
    ) async throws {
        let events: EventsWiring
        do {
            events = try GatewayAssembly.events(configuration, environment: environment)
        } catch {
            FileHandle.standardError.write(Data("signing-gateway: \(error)\n".utf8))
            throw ExitCode.failure
        }
        defer { events.transport.shutdown() }
        let store = try await GatewayAssembly.store(configuration, serving: true, logger: logger)
        let transport = GatewayAssembly.transport(configuration)
        defer { transport.shutdown() }
        let tokens: any TokenProvider
        do {
            tokens = try await makeTokens(transport)
        } catch {
            FileHandle.standardError.write(Data("signing-gateway: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let service = GatewayAssembly.service(
            configuration, environment: environment, tokens: tokens, transport: transport, store: store,
            logger: logger)
        var settings = GatewayApplication.Settings(
            host: configuration.host, port: configuration.port, maxBodyBytes: configuration.maxRequestBodyBytes,
            clients: clients, signatureTolerance: .seconds(configuration.signatureToleranceSeconds),
            maxHeaderBytes: configuration.maxRequestHeaderBytes)
        settings.idleTimeout = .seconds(configuration.idleTimeoutSeconds)
        settings.bodyTimeout = .seconds(configuration.requestBodyTimeoutSeconds)
        settings.trustedProxies = try configuration.trustedProxyNetworks()
        settings.forwardedHeader = configuration.forwardedHeader
        settings.preAuth = PreAuthDefence(limits: configuration.preAuth.limits)
        settings.upstreamName = configuration.usesBuiltInSimulator ? "simulator" : environment.name
        settings.console = configuration.console.limits
        settings.consoleSecureCookie = configuration.console.secureCookie
        let checkpoints: [any Service]
        do {
            checkpoints = try AuditCheckpointWiring.services(configuration, store: store, logger: logger)
            settings.auditAnchors = AuditCheckpointWiring.anchors(configuration)
        } catch {
            await store.close()
            FileHandle.standardError.write(Data("signing-gateway: \(error)\n".utf8))
            throw ExitCode.failure
        }
        let pruner = RetentionPruner(
            store: store, idempotencyRetention: .seconds(configuration.storage.idempotencyRetentionHours * 3600),
            eventsRetention: configuration.events.retentionDays > 0
                ? .seconds(configuration.events.retentionDays * 86_400) : nil,
            logger: logger)
        let useCases = events.useCases(
            store: store, service: service, clients: clients,
            idempotencyLease: GatewayAssembly.idempotencyLease(configuration),
            preflight: GatewayAssembly.preflight(
                configuration, environment: environment, transport: transport, profiles: preflightProfiles))
        // Secrets still in plaintext (stored before sealing) or under a rotated-out key are sealed anew first.
        do {
            let resealed = try await useCases.subscriptions.resealSecrets()
            if resealed > 0 {
                logger.info("sealed subscription secrets under the current key", metadata: ["count": "\(resealed)"])
            }
        } catch {
            logger.warning(
                "sealing subscription secrets failed; they stay as they were", metadata: ["error": "\(error)"])
        }
        let app = try GatewayApplication.make(
            settings: settings,
            useCases: useCases,
            store: store, tokens: tokens, altinnEventsSecretDigest: events.altinnEventsSecretDigest, logger: logger,
            services: events.backgroundServices(store: store, service: service, logger: logger) + [pruner]
                + checkpoints
        ) { port in
            let elapsed = ContinuousClock.now - started
            logger.info(
                "signing-gateway \(GatewayVersion.current) ready",
                metadata: [
                    "listening": "http://\(configuration.host):\(port)", "upstream": "\(upstreamLabel)",
                    "tokenProfile": "\(configuration.defaultTokenProfile)",
                    "startupMillis":
                        "\(elapsed.components.seconds * 1000 + elapsed.components.attoseconds / 1_000_000_000_000_000)",
                ])
        }
        do {
            // SIGTERM/SIGINT: stop accepting, let in-flight requests finish within the drain time, then
            // cancel what is left; the store is closed after the server has stopped.
            var group = ServiceGroupConfiguration(
                services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
            group.maximumGracefulShutdownDuration = .seconds(configuration.drainTimeoutSeconds)
            group.maximumCancellationDuration = .seconds(5)
            try await ServiceGroup(configuration: group).run()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        logger.info("signing-gateway stopped")
    }
}
