public import Gateway
public import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
public import Storage
public import Tokens

/// Builds the Hummingbird application around a `SigningService` and a `Store`.
public enum GatewayApplication {
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var maxBodyBytes: Int
        public var clientKey: AccessToken
        public var defaultTokenProfile: String
        /// How long an idempotency key stays "in flight" before a retry is told the outcome is unknown.
        public var idempotencyLease: Duration

        public init(
            host: String,
            port: Int,
            maxBodyBytes: Int = 64 * 1024,
            clientKey: AccessToken,
            defaultTokenProfile: String = "dev",
            idempotencyLease: Duration = .seconds(120)
        ) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.clientKey = clientKey
            self.defaultTokenProfile = defaultTokenProfile
            self.idempotencyLease = idempotencyLease
        }
    }

    public static func make(
        settings: Settings,
        service: SigningService,
        store: any Store,
        logger: Logger,
        services: [any Service] = [],
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let audit = AuditTrail(store: store)
        GatewayMetrics.bootstrap()
        let router = Router(context: GatewayRequestContext.self)
        // Outermost: metrics and tracing see every answer, problems included.
        router.add(middleware: HTTPMetricsMiddleware())
        router.add(middleware: TraceMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: RequestLogMiddleware())
        ServiceRoutes(openAPIDocument: try ServiceRoutes.loadOpenAPIDocument()).register(on: router)
        ObservabilityRoutes(
            readiness: ReadinessCheck(store: store, tokens: service.tokenProvider, deadline: .seconds(2)),
            registry: GatewayMetrics.registry
        ).register(on: router)
        let v1 = router.group("v1")
            .add(middleware: ClientKeyMiddleware(key: settings.clientKey, audit: audit))
            .add(middleware: RefusalAuditMiddleware(audit: audit))
        SigningRoutes(
            service: service, gate: IdempotencyGate(store: store, lease: settings.idempotencyLease), audit: audit,
            defaultTokenProfile: settings.defaultTokenProfile, maxBodyBytes: settings.maxBodyBytes
        ).register(on: v1)
        AuditRoutes(store: store).register(on: v1)
        return Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "signing-gateway"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
    }
}
