public import Gateway
public import Hummingbird
public import Logging
import NIOCore
public import Tokens

/// Builds the Hummingbird application around a `SigningService`.
public enum GatewayApplication {
    public struct Settings: Sendable {
        public var host: String
        public var port: Int
        public var maxBodyBytes: Int
        public var clientKey: AccessToken

        public init(host: String, port: Int, maxBodyBytes: Int = 64 * 1024, clientKey: AccessToken) {
            self.host = host
            self.port = port
            self.maxBodyBytes = maxBodyBytes
            self.clientKey = clientKey
        }
    }

    public static func make(
        settings: Settings,
        service: SigningService,
        logger: Logger,
        onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
    ) throws -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.add(middleware: RequestLogMiddleware())
        ServiceRoutes(openAPIDocument: try ServiceRoutes.loadOpenAPIDocument()).register(on: router)
        let v1 = router.group("v1").add(middleware: ClientKeyMiddleware(key: settings.clientKey))
        SigningRoutes(service: service, maxBodyBytes: settings.maxBodyBytes).register(on: v1)
        return Application(
            router: router,
            configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "signing-gateway"),
            onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? settings.port) },
            logger: logger
        )
    }
}
