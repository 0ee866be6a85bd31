public import AltinnAPI
public import CurlHTTP
public import Gateway
public import Logging
public import Tokens

/// Wires the parts from a configuration: libcurl transport → Altinn client → signing service.
/// Shared by `serve` and the end-to-end tests so both run the same composition.
public enum GatewayAssembly {
    public static let userAgent = "signing-gateway/\(GatewayVersion.current)"

    public static func transport(_ configuration: GatewayConfiguration) -> CurlHTTPClient {
        var settings = CurlHTTPClient.Configuration()
        settings.connectTimeout = .milliseconds(configuration.upstream.connectTimeoutMilliseconds)
        settings.defaultTimeout = .milliseconds(configuration.upstream.timeoutMilliseconds)
        settings.caBundlePath = configuration.upstream.caBundle
        settings.maxResponseBodyBytes = configuration.upstream.maxResponseBytes
        settings.userAgent = Self.userAgent
        return CurlHTTPClient(configuration: settings)
    }

    public static func service(
        _ configuration: GatewayConfiguration,
        environment: AltinnEnvironment,
        tokens: any TokenProvider,
        transport: any HTTPTransport,
        logger: Logger
    ) -> SigningService {
        let altinn = AltinnClient(
            environment: environment, transport: transport, userAgent: Self.userAgent,
            timeout: .milliseconds(configuration.upstream.timeoutMilliseconds))
        return SigningService(
            altinn: altinn, tokens: tokens, defaultTokenProfile: configuration.defaultTokenProfile, logger: logger)
    }
}

public enum GatewayVersion {
    public static let current = "0.1.0"
}
