package import AltinnAPI
import Crypto
package import CurlHTTP
import Foundation
package import Gateway
import GatewayHTTP
package import Logging
package import Storage
package import Tokens
package import Transport
import Webhooks

/// Wires the parts from a configuration: libcurl transport → Altinn client → signing service.
/// Shared by `serve` and the end-to-end tests so both run the same composition.
package enum GatewayAssembly {
    package static let userAgent = "signing-gateway/\(GatewayVersion.current)"

    package static func transport(_ configuration: GatewayConfiguration) -> CurlHTTPClient {
        var settings = CurlHTTPClient.Configuration()
        settings.connectTimeout = .milliseconds(configuration.upstream.connectTimeoutMilliseconds)
        settings.defaultTimeout = .milliseconds(configuration.upstream.timeoutMilliseconds)
        settings.caBundlePath = configuration.upstream.caBundle
        settings.maxResponseBodyBytes = configuration.upstream.maxResponseBytes
        settings.userAgent = Self.userAgent
        settings.proxy = configuration.upstream.proxy
        return CurlHTTPClient(configuration: settings)
    }

    package static func service(
        _ configuration: GatewayConfiguration,
        environment: AltinnEnvironment,
        tokens: any TokenProvider,
        transport: any HTTPTransport,
        store: any Store,
        logger: Logger
    ) -> SigningService {
        let altinn = AltinnClient(
            environment: environment, transport: transport, userAgent: Self.userAgent,
            timeout: .milliseconds(configuration.upstream.timeoutMilliseconds))
        // One write per instance at a time; across replicas through the shared store's leases. A lease outlives
        // a write's upstream calls (a sign makes up to four), like the idempotency lease.
        let worstCase = Duration.seconds(configuration.worstCaseRequestSeconds)
        let writes = InstanceWriteGate(
            leases: store as? any InstanceWriteLeases, leaseDuration: worstCase + .seconds(30),
            maxWait: worstCase + .seconds(5))
        return SigningService(
            altinn: altinn, tokens: tokens, defaultTokenProfile: configuration.defaultTokenProfile, writes: writes,
            logger: logger)
    }
}

extension GatewayAssembly {
    /// The store the configuration names, migrated and ready.
    /// `serving`: this process serves the API, so a SQLite file another process serves is refused.
    /// `mustExist`: for tools that work on the store `serve` made; a missing SQLite file is `StoreError.missing`
    /// and nothing is created.
    package static func store(
        _ configuration: GatewayConfiguration, serving: Bool = false, mustExist: Bool = false, logger: Logger
    ) async throws(StoreError) -> any Store {
        var settings = self.storeConfiguration(configuration)
        settings.serving = serving
        settings.mustExist = mustExist
        return try await StoreFactory.open(settings, logger: logger)
    }

    package static func storeConfiguration(_ configuration: GatewayConfiguration) -> StoreConfiguration {
        let storage = configuration.storage
        let engine: StoreConfiguration.Engine
        if storage.engine == .postgres, let url = storage.postgresURL {
            engine = .postgres(url: url, passwordFile: storage.postgresPasswordFile)
        } else {
            engine = .sqlite(
                path: storage.sqlitePath
                    ?? (configuration.dataDirectory as NSString).appendingPathComponent("signing-gateway.sqlite"))
        }
        return StoreConfiguration(
            engine: engine, postgresCAFile: storage.postgresCAFile, postgresPoolSize: storage.postgresPoolSize,
            postgresStatementTimeout: .seconds(storage.postgresStatementTimeoutSeconds))
    }

    /// Long enough to outlive any call the gateway makes for one request (every attempt hitting its deadline).
    package static func idempotencyLease(_ configuration: GatewayConfiguration) -> Duration {
        .seconds(configuration.worstCaseRequestSeconds) + .seconds(30)
    }
}

extension GatewayAssembly {
    /// Tracking and delivery from the `events` section. Reads the Altinn Events secret file.
    package static func events(
        _ configuration: GatewayConfiguration, environment: AltinnEnvironment
    ) throws(ConfigurationError) -> EventsWiring {
        let events = configuration.events
        var settings = CurlHTTPClient.Configuration()
        settings.connectTimeout = .seconds(min(events.deliveryTimeoutSeconds, 5))
        settings.defaultTimeout = .seconds(events.deliveryTimeoutSeconds)
        // Only an excerpt of a subscriber's answer is kept.
        settings.maxResponseBodyBytes = 64 * 1024
        settings.userAgent = Self.userAgent
        settings.proxy = events.proxy
        return EventsWiring(
            observer: InstanceObserver(events: CloudEventFactory(environment: environment), policy: events.tracking),
            delivery: try events.delivery(userAgent: Self.userAgent),
            destinations: try events.destinations(),
            transport: CurlHTTPClient(configuration: settings),
            altinnEventsSecretDigest: try events.altinnEventsSecretDigest(),
            maxSubscriptionsPerClient: events.maxSubscriptionsPerClient,
            sealer: try events.secretSealer(dataDirectory: configuration.dataDirectory))
    }
}

package enum GatewayVersion {
    package static let current = "0.1.0"
}
