public import CurlHTTP
import Foundation
public import Gateway
public import GatewayHTTP
public import Logging
public import ServiceLifecycle
public import Storage
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

    /// What the HTTP routes need of these parts.
    public var routes: GatewayApplication.Events {
        GatewayApplication.Events(
            observer: self.observer, destinations: self.destinations,
            altinnEventsSecretDigest: self.altinnEventsSecretDigest, deliveryDoorbell: self.deliveryDoorbell,
            trackerDoorbell: self.trackerDoorbell)
    }

    /// The loops of one process: the tracker, the dispatcher and the outbox gauges.
    public func backgroundServices(
        store: any Store, service: SigningService, logger: Logger
    ) -> [any Service] {
        [
            TrackerService(
                tracker: Tracker(
                    store: store, service: service, observer: self.observer, owner: self.owner,
                    deliveryDoorbell: self.deliveryDoorbell, logger: logger),
                doorbell: self.trackerDoorbell),
            DispatcherService(
                dispatcher: Dispatcher(
                    store: store, transport: self.transport, settings: self.delivery,
                    destinations: self.destinations, owner: self.owner, logger: logger),
                store: store, doorbell: self.deliveryDoorbell, logger: logger),
            EventGauges(store: store, logger: logger),
        ]
    }

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
