package import Hummingbird
import HummingbirdCore
import HummingbirdHTTP2
package import Logging
import NIOSSL

/// A local Altinn app API: the other side of the gateway's wire. Written from Altinn's OpenAPI and
/// the reference, importing nothing of the gateway.
package struct AltinnSimulator: Sendable {
    package let configuration: SimulatorConfiguration
    package let logger: Logger
    package let state: SimulatorState
    /// The simulated Maskinporten and Altinn Authentication.
    package let authority: TokenAuthority
    /// The apps whose metadata and process definition it serves (the demo apps, or what a test installs).
    package let apps = SimulatedApps()

    /// The seeded scenarios (see `SeedData`).
    package static let demoInstances: [DemoInstance] = SeedData.demoInstances

    package init(configuration: SimulatorConfiguration, logger: Logger) async {
        self.configuration = configuration
        self.logger = logger
        self.state = SimulatorState(configuration: configuration)
        self.authority = await TokenAuthority(settings: configuration.tokens)
    }

    /// A Hummingbird application on plain HTTP/1.1, ready to run; `onServerRunning` gets the bound port.
    package func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let faults = state.network
        // Network faults are played by the connection, below the router (see `NetworkFault`).
        return self.application(
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestFaultHandler(plan: faults)])),
            onServerRunning: onServerRunning)
    }

    /// The same over TLS, with HTTP/2 chosen by ALPN (HTTP/1.1 for clients that do not offer h2), as
    /// production Altinn serves.
    package func makeApplication(
        tls: SimulatorTLS, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let faults = state.network
        let tlsConfiguration = TLSConfiguration.makeServerConfiguration(
            certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificateChainPath).map { .certificate($0) },
            privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)))
        let streams = HTTP1Channel.Configuration(additionalChannelHandlers: [RequestFaultHandler(plan: faults)])
        return self.application(
            server: try .http2Upgrade(
                tlsConfiguration: tlsConfiguration,
                // On shutdown, GOAWAY and then at most a second for idle clients (libcurl keeps its
                // connection until it next needs it) instead of waiting for them forever.
                configuration: .init(gracefulCloseTimeout: .seconds(1), streamConfiguration: streams)),
            onServerRunning: onServerRunning)
    }

    private func application(
        server: HTTPServerBuilder, onServerRunning: @escaping @Sendable (Int) async -> Void
    ) -> some ApplicationProtocol {
        let router = Router(context: SimulatorRequestContext.self)
        router.add(middleware: AltinnConventionsMiddleware())
        AdminRoutes(state: state).register(on: router)
        MaskinportenTokenRoute(authority: authority).register(on: router)
        ExchangeRoute(authority: authority).register(on: router)
        AppRoutes(state: state, authority: authority).register(on: router, identities: configuration.identities)
        AppDefinitionRoutes(apps: apps, state: state).register(on: router)
        return Application(
            router: router,
            server: server,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port),
                serverName: nil
            ),
            onServerRunning: { channel in
                await onServerRunning(channel.localAddress?.port ?? 0)
            },
            logger: logger
        )
    }
}

/// PEM files of the simulator's TLS server certificate (chain first) and its private key.
package struct SimulatorTLS: Sendable {
    package var certificateChainPath: String
    package var privateKeyPath: String

    package init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}
