package import Foundation
package import Gateway
package import Hummingbird
package import Logging
import NIOCore
package import ServiceLifecycle
package import Storage
package import Tokens
package import Webhooks

/// Builds the Hummingbird application around the use cases the composition root made.
package enum GatewayApplication {
    package struct Settings: Sendable {
        package var host: String
        package var port: Int
        package var maxBodyBytes: Int
        package var clients: ClientRegistry
        /// How far `webhook-timestamp` may be from now, either way.
        package var signatureTolerance: Duration
        package var maxHeaderBytes: Int
        /// A connection with no request in progress, or whose request head is still incomplete, is closed after this.
        package var idleTimeout: Duration = .seconds(60)
        /// A request whose body has not fully arrived this long after its head is cut off (connection closed).
        package var bodyTimeout: Duration = .seconds(30)
        /// Reverse proxies whose `X-Forwarded-For` names the caller (see `ForwardedForMiddleware`).
        package var trustedProxies: [IPNetwork] = []
        /// The one header those proxies write the caller into.
        package var forwardedHeader = ForwardedHeader.xForwardedFor
        /// The clock signature timestamps are checked against (tests move it).
        package var now: @Sendable () -> Date = { Date() }
        /// Limits and counts refusals where no client was established (see `PreAuthDefence`).
        package var preAuth = PreAuthDefence()
        /// What `/readyz` names as the upstream: `simulator` (built in), `tt02`, `production` or the base URL, so a
        /// probe shows at a glance whether this replica signs for real.
        package var upstreamName = "simulator"
        /// The operator console's sign-in sessions (`/console/`); nil turns the console off.
        /// The console's session lifetimes; nil turns the console off.
        package var console: ConsoleSessions.Limits? = ConsoleSessions.Limits()
        /// The console cookie's `Secure` attribute: nil sets it when the request came over HTTPS via a proxy.
        package var consoleSecureCookie: Bool?
        /// What `GET /v1/audit/verify` checks the chain against (the checkpoint key's public half).
        package var auditAnchors = AuditAnchors()

        package init(
            host: String,
            port: Int,
            maxBodyBytes: Int = 64 * 1024,
            clients: ClientRegistry,
            signatureTolerance: Duration = .seconds(300),
            maxHeaderBytes: Int = 16 * 1024
        ) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.clients = clients
            self.signatureTolerance = signatureTolerance
            self.maxHeaderBytes = maxHeaderBytes
        }
    }

    /// `store` answers readiness and remembers webhook ids; `tokens` answers readiness; `altinnEventsSecretDigest`
    /// (SHA-256 of the Altinn Events ingress secret) turns that ingress on.
    package static func make(
        settings: Settings,
        useCases: UseCases,
        store: any Store,
        tokens: any TokenProvider,
        altinnEventsSecretDigest: [UInt8]?,
        logger: Logger,
        services: [any Service] = [],
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        GatewayMetrics.bootstrap()
        UseCaseMetrics.registerFailureSeries()
        let router = Router(context: GatewayRequestContext.self)
        // Outermost: metrics and tracing see every answer, problems included.
        // First: every later step (audit, pre-auth limits, logs) sees the caller's address, not the proxy's.
        router.add(
            middleware: ForwardedForMiddleware(trusted: settings.trustedProxies, header: settings.forwardedHeader))
        router.add(middleware: HTTPMetricsMiddleware())
        router.add(middleware: TraceMiddleware())
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: RequestLogMiddleware())
        router.add(middleware: HeaderLimitMiddleware(limit: settings.maxHeaderBytes))
        ServiceRoutes(openAPIDocument: try ServiceRoutes.loadOpenAPIDocument()).register(on: router)
        let readiness = ReadinessCheck(store: store, tokens: tokens, deadline: .seconds(2))
        ObservabilityRoutes(
            readiness: readiness,
            registry: GatewayMetrics.registry, upstreamName: settings.upstreamName
        ).register(on: router)
        let sessions = settings.console.map { ConsoleSessions(store: store, limits: $0, now: settings.now) }
        let v1 = router.group("v1")
            .add(
                middleware: ClientAuthMiddleware(
                    registry: settings.clients, limiter: RateLimiter(), preAuth: settings.preAuth, store: store,
                    audit: useCases.audit,
                    tolerance: settings.signatureTolerance.components.seconds, maxBodyBytes: settings.maxBodyBytes,
                    now: settings.now, sessions: sessions)
            )
            .add(middleware: RefusalAuditMiddleware(audit: useCases.audit))
        SigningRoutes(useCases: useCases, maxBodyBytes: settings.maxBodyBytes).register(on: v1)
        AppRoutes(useCases: useCases).register(on: v1)
        AuditRoutes(feeds: useCases.feeds).register(on: v1)
        TrackingRoutes(useCases: useCases, maxBodyBytes: settings.maxBodyBytes).register(on: v1)
        EventFeedRoutes(feeds: useCases.feeds).register(on: v1)
        SubscriptionRoutes(subscriptions: useCases.subscriptions, maxBodyBytes: settings.maxBodyBytes).register(on: v1)
        let lastVerify = LastAuditVerify()
        StatusRoutes(
            readiness: readiness, store: store, subscriptions: useCases.subscriptions,
            upstreamName: settings.upstreamName, lastVerify: lastVerify
        ).register(on: v1)
        AuditVerifyRoute(store: store, anchors: settings.auditAnchors, last: lastVerify).register(on: v1)
        if let sessions {
            ConsoleRoutes(
                assets: try ConsoleAssets.load(), sessions: sessions, registry: settings.clients,
                preAuth: settings.preAuth, audit: useCases.audit, secureCookie: settings.consoleSecureCookie
            ).register(on: router)
        }
        AltinnEventsRoutes(
            tracking: useCases.tracking, environment: useCases.environment, secretDigest: altinnEventsSecretDigest,
            maxBodyBytes: settings.maxBodyBytes
        ).register(on: router)
        // Last, after every route: it wraps only the not-found answer.
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return Application(
            router: router,
            server: .http1(
                configuration: .init(
                    additionalChannelHandlers: [BodyDeadlineHandler(timeout: .init(settings.bodyTimeout))],
                    idleTimeout: .init(settings.idleTimeout),
                    httpDecoderConfiguration: .init(
                        maxHeaderFieldSize: settings.maxHeaderBytes * 4, maxHeaderListSize: settings.maxHeaderBytes * 4)
                )),
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "signing-gateway"),
            // After the others: shut down (in reverse order) right after the server has drained.
            services: services + [PreAuthFlusher(defence: settings.preAuth, store: store, logger: logger)],
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
    }
}
