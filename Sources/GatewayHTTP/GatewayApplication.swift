public import Foundation
public import Gateway
public import Hummingbird
public import Logging
import NIOCore
public import ServiceLifecycle
public import Storage
import Tokens
public import Webhooks

/// Builds the Hummingbird application around a `SigningService` and a `Store`.
public enum GatewayApplication {
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var maxBodyBytes: Int
        public var clients: ClientRegistry
        /// How far `webhook-timestamp` may be from now, either way.
        public var signatureTolerance: Duration
        public var maxHeaderBytes: Int
        /// The clock signature timestamps are checked against (tests move it).
        public var now: @Sendable () -> Date = { Date() }
        public var defaultTokenProfile: String
        /// How long an idempotency key stays "in flight" before a retry is told the outcome is unknown.
        public var idempotencyLease: Duration

        public init(
            host: String,
            port: Int,
            maxBodyBytes: Int = 64 * 1024,
            clients: ClientRegistry,
            defaultTokenProfile: String = "dev",
            idempotencyLease: Duration = .seconds(120),
            signatureTolerance: Duration = .seconds(300),
            maxHeaderBytes: Int = 16 * 1024
        ) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.clients = clients
            self.signatureTolerance = signatureTolerance
            self.maxHeaderBytes = maxHeaderBytes
            self.defaultTokenProfile = defaultTokenProfile
            self.idempotencyLease = idempotencyLease
        }
    }

    /// The events parts the routes use; the background loops that share them are the caller's services.
    public struct Events: Sendable {
        public let observer: InstanceObserver
        public let destinations: DestinationPolicy
        /// SHA-256 of the Altinn Events ingress secret; nil turns the ingress off.
        public let altinnEventsSecretDigest: [UInt8]?
        /// Rung when a commit created deliveries, so the dispatcher starts at once.
        public let deliveryDoorbell: Doorbell
        /// Rung when a request started tracking, so the first poll is not left to the idle wait.
        public let trackerDoorbell: Doorbell

        public init(
            observer: InstanceObserver, destinations: DestinationPolicy, altinnEventsSecretDigest: [UInt8]?,
            deliveryDoorbell: Doorbell, trackerDoorbell: Doorbell
        ) {
            self.observer = observer
            self.destinations = destinations
            self.altinnEventsSecretDigest = altinnEventsSecretDigest
            self.deliveryDoorbell = deliveryDoorbell
            self.trackerDoorbell = trackerDoorbell
        }
    }

    public static func make(
        settings: Settings,
        service: SigningService,
        store: any Store,
        events: Events,
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
        router.add(middleware: HeaderLimitMiddleware(limit: settings.maxHeaderBytes))
        ServiceRoutes(openAPIDocument: try ServiceRoutes.loadOpenAPIDocument()).register(on: router)
        ObservabilityRoutes(
            readiness: ReadinessCheck(store: store, tokens: service.tokenProvider, deadline: .seconds(2)),
            registry: GatewayMetrics.registry
        ).register(on: router)
        let v1 = router.group("v1")
            .add(
                middleware: ClientAuthMiddleware(
                    registry: settings.clients, limiter: RateLimiter(), store: store, audit: audit,
                    tolerance: settings.signatureTolerance.components.seconds, maxBodyBytes: settings.maxBodyBytes,
                    now: settings.now)
            )
            .add(middleware: RefusalAuditMiddleware(audit: audit))
        let gate = IdempotencyGate(
            store: store, lease: settings.idempotencyLease,
            outboxCommitted: { committed in
                if committed.deliveriesCreated > 0 { events.deliveryDoorbell.ring() }
                if committed.tracked?.status == .active { events.trackerDoorbell.ring() }
            })
        SigningRoutes(
            signUseCase: SignUseCase(
                service: service, observer: events.observer, gate: gate,
                defaultTokenProfile: settings.defaultTokenProfile),
            processNextUseCase: ProcessNextUseCase(
                service: service, gate: gate, defaultTokenProfile: settings.defaultTokenProfile),
            service: service, audit: audit,
            defaultTokenProfile: settings.defaultTokenProfile, maxBodyBytes: settings.maxBodyBytes
        ).register(on: v1)
        AuditRoutes(store: store).register(on: v1)
        TrackingRoutes(
            store: store, observer: events.observer, trackerDoorbell: events.trackerDoorbell,
            environment: service.environment,
            defaultTokenProfile: settings.defaultTokenProfile, maxBodyBytes: settings.maxBodyBytes
        ).register(on: v1)
        EventFeedRoutes(store: store).register(on: v1)
        SubscriptionRoutes(
            store: store, destinations: events.destinations, doorbell: events.deliveryDoorbell,
            maxBodyBytes: settings.maxBodyBytes
        ).register(on: v1)
        AltinnEventsRoutes(
            store: store, observer: events.observer, trackerDoorbell: events.trackerDoorbell,
            environment: service.environment, secretDigest: events.altinnEventsSecretDigest,
            maxBodyBytes: settings.maxBodyBytes
        ).register(on: router)
        // Last, after every route: it wraps only the not-found answer.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: settings.maxHeaderBytes * 4, maxHeaderListSize: settings.maxHeaderBytes * 4)
                )),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "signing-gateway"),
            services: services,
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
    }
}
