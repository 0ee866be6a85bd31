public import CurlHTTP
import Foundation
public import Gateway
import Transport
public import Webhooks

/// The events parts shared by the routes and the background loops of one gateway process.
public struct EventsWiring: Sendable {
    public let observer: InstanceObserver
    public let delivery: DeliverySettings
    public let destinations: DestinationPolicy
    /// Its own libcurl client: subscribers' slowness never queues Altinn calls, and answers are capped small.
    public let transport: CurlHTTPClient
    /// SHA-256 of the Altinn Events ingress secret; nil turns the ingress off.
    public let altinnEventsSecretDigest: [UInt8]?
    /// Rung when a commit created deliveries, so the dispatcher starts at once.
    public let deliveryDoorbell = Doorbell()
    /// Rung when a request started tracking, so the first poll is not left to the idle wait.
    public let trackerDoorbell = Doorbell()
    /// This process's name on leases (tracker rows, deliveries).
    public let owner = "gw_\(UUID().uuidString)"

    public init(
        observer: InstanceObserver,
        delivery: DeliverySettings,
        destinations: DestinationPolicy,
        transport: CurlHTTPClient,
        altinnEventsSecretDigest: [UInt8]?
    ) {
        self.observer = observer
        self.delivery = delivery
        self.destinations = destinations
        self.transport = transport
        self.altinnEventsSecretDigest = altinnEventsSecretDigest
    }
}
