package import CurlHTTP
import Foundation
package import Gateway
package import GatewayHTTP
package import Logging
package import ServiceLifecycle
package import Storage
import Transport
package import Webhooks

/// The events parts shared by the routes and the background loops of one gateway process.
package struct EventsWiring: Sendable {
    package let observer: InstanceObserver
    package let delivery: DeliverySettings
    package let destinations: DestinationPolicy
    /// Its own libcurl client: subscribers' slowness never queues Altinn calls, and answers are capped small.
    package let transport: CurlHTTPClient
    /// SHA-256 of the Altinn Events ingress secret; nil turns the ingress off.
    package let altinnEventsSecretDigest: [UInt8]?
    /// Rung when a commit created deliveries, so the dispatcher starts at once.
    package let deliveryDoorbell = Doorbell()
    /// Rung when a request of this process created, changed or deleted a subscription, so the dispatcher starts or
    /// stops its loop at once; other replicas' changes are seen at its next refresh.
    package let subscriptionsDoorbell = Doorbell()
    /// Rung when a request's commit left a tracked instance due now (a sign that may have happened, one that
    /// completed the signing for `completeWhenAllSigned`), so that poll is not left to the idle wait.
    package let trackerDoorbell = Doorbell()
    /// This process's name on leases (tracker rows, deliveries).
    package let owner = "gw_\(UUID().uuidString)"
    package let maxSubscriptionsPerClient: Int
    /// Seals subscription secrets at rest (the key file of `events.secretKeyFile`).
    package let sealer: SecretSealer

    /// The use cases of one process, over `store` and `service`, sharing this process's doorbells.
    package func useCases(
        store: any Store, service: SigningService, clients: ClientRegistry, idempotencyLease: Duration,
        preflight: AppPreflight
    ) -> UseCases {
        let profile = service.defaultTokenProfile
        let audit = AuditTrail(store: store)
        let gate = IdempotencyGate(
            store: store, lease: idempotencyLease, writes: service.writes,
            outboxCommitted: { [deliveryDoorbell, trackerDoorbell] committed in
                if committed.deliveriesCreated > 0 { deliveryDoorbell.ring() }
                // A poll due later is found by the tracker's idle check like any other; ringing for it would wake
                // the tracker, and a claim on the store's writer, once per sign.
                if committed.leavesAPollDue(at: Date()) { trackerDoorbell.ring() }
            })
        return UseCases(
            sign: SignUseCase(service: service, observer: self.observer, gate: gate, defaultTokenProfile: profile),
            processNext: ProcessNextUseCase(
                service: service, observer: self.observer, gate: gate, defaultTokenProfile: profile),
            reject: RejectUseCase(service: service, observer: self.observer, gate: gate, defaultTokenProfile: profile),
            signingState: SigningStateUseCase(service: service, audit: audit, defaultTokenProfile: profile),
            tracking: Tracking(store: store, audit: audit, observer: self.observer, doorbell: self.trackerDoorbell),
            subscriptions: Subscriptions(
                store: store, audit: audit, destinations: self.destinations, sealer: self.sealer,
                deliveries: self.deliveryDoorbell, changed: self.subscriptionsDoorbell,
                appsOf: { clients.apps(of: $0) }, maxPerClient: self.maxSubscriptionsPerClient),
            feeds: Feeds(store: store), audit: audit,
            preflight: AppPreflightUseCase(preflight: preflight, audit: audit),
            environment: service.environment, defaultTokenProfile: profile)
    }

    /// The loops of one process: the tracker, the dispatcher and the outbox gauges.
    package func backgroundServices(
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
                    destinations: self.destinations, sealer: self.sealer, owner: self.owner, logger: logger),
                store: store, deliveries: self.deliveryDoorbell, subscriptionsChanged: self.subscriptionsDoorbell,
                logger: logger),
            EventGauges(store: store, stallAfter: self.observer.policy.stallAfter, logger: logger),
        ]
    }

    package init(
        observer: InstanceObserver,
        delivery: DeliverySettings,
        destinations: DestinationPolicy,
        transport: CurlHTTPClient,
        altinnEventsSecretDigest: [UInt8]?,
        maxSubscriptionsPerClient: Int,
        sealer: SecretSealer
    ) {
        self.sealer = sealer
        self.observer = observer
        self.delivery = delivery
        self.destinations = destinations
        self.transport = transport
        self.altinnEventsSecretDigest = altinnEventsSecretDigest
        self.maxSubscriptionsPerClient = maxSubscriptionsPerClient
    }
}
