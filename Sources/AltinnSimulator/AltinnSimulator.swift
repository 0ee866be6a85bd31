import Hummingbird
import Logging

/// A local Altinn app API: the other side of the gateway's wire. Written from Altinn's OpenAPI and
/// the reference, importing nothing of the gateway.
public struct AltinnSimulator: Sendable {
    public let configuration: SimulatorConfiguration
    public let logger: Logger
    public let state: SimulatorState
    /// The simulated Maskinporten and Altinn Authentication.
    public let authority: TokenAuthority

    /// The seeded scenarios (see `SeedData`).
    public static let demoInstances: [DemoInstance] = SeedData.demoInstances

    public init(configuration: SimulatorConfiguration, logger: Logger) async {
        self.configuration = configuration
        self.logger = logger
        self.state = SimulatorState(configuration: configuration)
        self.authority = await TokenAuthority(settings: configuration.tokens)
    }

    /// A Hummingbird application ready to run; `onServerRunning` gets the bound port.
    public func makeApplication(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol
    {
        let router = Router(context: SimulatorRequestContext.self)
        router.add(middleware: AltinnConventionsMiddleware())
        AdminRoutes(state: state).register(on: router)
        MaskinportenTokenRoute(authority: authority).register(on: router)
        ExchangeRoute(authority: authority).register(on: router)
        AppRoutes(state: state, authority: authority).register(on: router, identities: configuration.identities)
        let plan = state.network
        return Application(
            router: router,
            // Network faults are played by the connection, below the router (see `NetworkFault`).
            server: .http1(configuration: .init(additionalChannelHandlers: [RequestFaultHandler(plan: plan)])),
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
