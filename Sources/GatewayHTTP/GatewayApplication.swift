package import Foundation
package import Gateway
package import Hummingbird
package import Logging
import NIOCore
package import ServiceLifecycle
package import Storage
import Tokens
package import Webhooks

/// Builds the Hummingbird application around a `SigningService` and a `Store`.
package enum GatewayApplication {
    package struct Settings: Sendable {
        package var host: String
        package var port: Int
        package var maxBodyBytes: Int
        package var clients: ClientRegistry
        /// How far `webhook-timestamp` may be from now, either way.
        package var signatureTolerance: Duration
        package var maxHeaderBytes: Int
        /// The clock signature timestamps are checked against (tests move it).
        package var now: @Sendable () -> Date = { Date() }
        package var defaultTokenProfile: String
        /// How long an idempotency key stays "in flight" before a retry is told the outcome is unknown.
        package var idempotencyLease: Duration

        package init(
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
    package struct Events: Sendable {
        package let observer: InstanceObserver
        package let destinations: DestinationPolicy
        /// SHA-256 of the Altinn Events ingress secret; nil turns the ingress off.
        package let altinnEventsSecretDigest: [UInt8]?
        /// Rung when a commit created deliveries, so the dispatcher starts at once.
        package let deliveryDoorbell: Doorbell
        /// Rung when a request started tracking, so the first poll is not left to the idle wait.
        package let trackerDoorbell: Doorbell

        package init(
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

    package static func make(
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
            signingStateUseCase: SigningStateUseCase(
                service: service, audit: audit, defaultTokenProfile: settings.defaultTokenProfile),
            service: service,
            defaultTokenProfile: settings.defaultTokenProfile, maxBodyBytes: settings.maxBodyBytes
        ).register(on: v1)
        let feeds = Feeds(store: store)
        AuditRoutes(feeds: feeds).register(on: v1)
        let tracking = Tracking(store: store, observer: events.observer, doorbell: events.trackerDoorbell)
        TrackingRoutes(
            tracking: tracking, environment: service.environment,
            defaultTokenProfile: settings.defaultTokenProfile, maxBodyBytes: settings.maxBodyBytes
        ).register(on: v1)
        EventFeedRoutes(feeds: feeds).register(on: v1)
        SubscriptionRoutes(
            subscriptions: Subscriptions(
                store: store, destinations: events.destinations, doorbell: events.deliveryDoorbell),
            maxBodyBytes: settings.maxBodyBytes
        ).register(on: v1)
        AltinnEventsRoutes(
            tracking: tracking, environment: service.environment, secretDigest: events.altinnEventsSecretDigest,
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
