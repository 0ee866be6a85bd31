import Foundation
import HTTPTypes
package import Logging
package import Storage
package import Transport
package import Webhooks

/// How deliveries are attempted.
package struct DeliverySettings: Sendable, Equatable {
    package var schedule: RetrySchedule
    /// Per attempt: connect, send and answer.
    package var timeout: Duration
    /// `Retry-After` is honoured up to the scheduled wait plus this.
    package var retryAfterCap: Duration
    /// Attempts in flight at once, per subscription.
    package var concurrency: Int
    /// Deliveries claimed per round (larger rounds spend less of each delivery on claiming and recording).
    package var batch: Int
    package var userAgent: String

    package init(
        schedule: RetrySchedule = .standard,
        timeout: Duration = .seconds(15),
        retryAfterCap: Duration = .seconds(7200),
        concurrency: Int = 64,
        batch: Int = 512,
        userAgent: String = "signing-gateway"
    ) {
        self.schedule = schedule
        self.timeout = timeout
        self.retryAfterCap = retryAfterCap
        self.concurrency = concurrency
        self.batch = batch
        self.userAgent = userAgent
    }

    /// How long a claimed batch stays leased: long enough for every wave of the round to take the whole timeout,
    /// so no other dispatcher takes a delivery over while it is still being attempted.
    var lease: Duration {
        let waves = (self.batch + self.concurrency - 1) / max(self.concurrency, 1)
        return self.timeout * waves + .seconds(30)
    }
}

/// Sends due outbox deliveries to subscribers as Standard Webhooks, and records every attempt.
/// Order per (subscription, instance) comes from the store's claim: a later event is never claimed while an
/// earlier one for the same pair is pending. Other instances are not blocked.
package struct Dispatcher: Sendable {
    private let store: any Store
    private let transport: any HTTPTransport
    private let settings: DeliverySettings
    private let destinations: DestinationPolicy
    /// Opens the secrets as stored (sealed at rest).
    private let sealer: SecretSealer
    private let owner: String
    private let logger: Logger

    package init(
        store: any Store, transport: any HTTPTransport, settings: DeliverySettings, destinations: DestinationPolicy,
        sealer: SecretSealer, owner: String, logger: Logger
    ) {
        self.sealer = sealer
        self.store = store
        self.transport = transport
        self.settings = settings
        self.destinations = destinations
        self.owner = owner
        self.logger = logger
    }

    /// One round: claim due deliveries (of one subscription when given), attempt them concurrently, record the
    /// outcomes in one transaction. Returns how many were attempted.
    @discardableResult
    package func deliverDue(subscriptionId: String? = nil) async -> Int {
        let now = Date()
        let claimed: [ClaimedDelivery]
        do {
            claimed = try await self.store.claimDeliveries(
                owner: self.owner, now: now, leaseUntil: now.adding(self.settings.lease), limit: self.settings.batch,
                subscriptionId: subscriptionId)
        } catch {
            self.logger.warning("claiming deliveries failed", metadata: ["error": "\(error)"])
            return 0
        }
        guard !claimed.isEmpty else { return 0 }
        let outcomes = await self.attemptAll(claimed)
        do {
            try await self.store.finishDeliveries(outcomes)
        } catch {
            // The leases expire and the deliveries are attempted again: at least once, same webhook-id.
            self.logger.error("recording delivery outcomes failed", metadata: ["error": "\(error)"])
        }
        return claimed.count
    }

    private func attemptAll(_ claimed: [ClaimedDelivery]) async -> [DeliveryOutcome] {
        let destinations = await self.vet(claimed)
        return await withTaskGroup(of: DeliveryOutcome.self) { group in
            var outcomes: [DeliveryOutcome] = []
            outcomes.reserveCapacity(claimed.count)
            var pending = claimed.makeIterator()
            for _ in 0..<self.settings.concurrency {
                guard let next = pending.next() else { break }
                group.addTask { await self.attempt(next, to: destinations[next.subscription.url]) }
            }
            while let outcome = await group.next() {
                outcomes.append(outcome)
                if let next = pending.next() {
                    group.addTask { await self.attempt(next, to: destinations[next.subscription.url]) }
                }
            }
            return outcomes
        }
    }

    /// Each distinct URL of the round checked once more against the destination policy, and resolved: the
    /// attempt connects to exactly the addresses checked, so a DNS answer changed since the subscription was
    /// created (rebinding to an internal address) is refused rather than followed.
    private func vet(_ claimed: [ClaimedDelivery]) async -> [String: Result<VettedDestination, DestinationError>] {
        var vetted: [String: Result<VettedDestination, DestinationError>] = [:]
        for url in Set(claimed.map(\.subscription.url)) {
            do {
                vetted[url] = .success(try await self.destinations.vet(url))
            } catch {
                vetted[url] = .failure(error)
            }
        }
        return vetted
    }

    func attempt(
        _ claimed: ClaimedDelivery, to destination: Result<VettedDestination, DestinationError>?
    ) async -> DeliveryOutcome {
        let subscription = claimed.subscription
        let delivery = claimed.delivery
        let started = Date()
        let secrets = Self.signingSecrets(subscription, now: started, sealer: self.sealer)
        let timestamp = Int64(started.timeIntervalSince1970)
        var headers: HTTPFields = [
            .contentType: "application/cloudevents+json",
            .userAgent: self.settings.userAgent,
        ]
        for (name, value) in WebhookSigner.headers(
            id: delivery.eventId, timestamp: timestamp, body: claimed.body, secrets: secrets)
        {
            if let field = HTTPField.Name(name) { headers[field] = value }
        }
        // The event's own trace continues into its delivery, as a new span.
        if let traceparent = Self.traceparent(claimed.body).flatMap(TraceContext.init(traceparent:)) {
            headers[HTTPField.Name("traceparent")!] = traceparent.child().traceparent
        }
        let verdict: DeliveryVerdict
        var status: Int?
        var excerpt: String?
        var retryAfter: Duration?
        switch destination {
        case .success(let vetted):
            var request = OutboundRequest(
                method: .post, url: subscription.url, headerFields: headers, body: claimed.body,
                timeout: self.settings.timeout)
            if IPAddress(vetted.host) == nil {
                request.pinnedAddresses = PinnedAddresses(
                    host: vetted.host, port: vetted.port, addresses: vetted.addresses.map(\.description))
            }
            (verdict, status, excerpt, retryAfter) = await self.send(request, secrets: secrets)
        case .failure(let refusal):
            verdict = .destinationRefused
            excerpt = String(refusal.description.prefix(ResponseExcerpt.defaultLimit))
        case nil:
            verdict = .destinationRefused
        }
        let elapsed = Date().timeIntervalSince(started)
        let number = delivery.attempts + 1
        let attempt = DeliveryAttempt(
            deliveryId: delivery.id, number: number, time: started, status: status,
            latencyMicros: Int64(elapsed * 1_000_000), verdict: verdict.rawValue, responseExcerpt: excerpt)
        EventMetrics.attempt(subscription: subscription.id, verdict: verdict.rawValue, seconds: elapsed)
        let outcome = Self.outcome(
            verdict, attempt: attempt, failures: delivery.failuresSinceArmed, retryAfter, settings: self.settings)
        if outcome.next == .dead {
            EventMetrics.deadLettered(subscription: subscription.id)
            self.logger.warning(
                "delivery dead-lettered",
                metadata: [
                    "subscription": "\(subscription.id)", "event": "\(delivery.eventId)",
                    "verdict": "\(verdict.rawValue)", "attempts": "\(number)",
                ])
        }
        return outcome
    }

    private func send(
        _ request: OutboundRequest, secrets: [WebhookSecret]
    ) async -> (DeliveryVerdict, Int?, String?, Duration?) {
        do {
            let response = try await self.transport.execute(request)
            let verdict = DeliveryVerdict.classify(status: response.status.code)
            let excerpt = ResponseExcerpt.make(response.body, redacting: secrets.flatMap(\.redactionStrings))
            var retryAfter: Duration?
            if verdict.honoursRetryAfter, let value = response.headerFields[HTTPField.Name("Retry-After")!] {
                retryAfter = RetryAfter.parse(value, now: Date())
            }
            return (verdict, response.status.code, excerpt, retryAfter)
        } catch {
            return (Self.failureKind(error).verdict, nil, nil, nil)
        }
    }

    /// The next step after an attempt: delivered, dead (410 also disables), or a retry at the scheduled wait
    /// (at least `Retry-After`, capped).
    static func outcome(
        _ verdict: DeliveryVerdict,
        attempt: DeliveryAttempt,
        failures: Int,
        _ retryAfter: Duration?,
        settings: DeliverySettings
    ) -> DeliveryOutcome {
        switch verdict {
        case .delivered:
            return DeliveryOutcome(attempt: attempt, next: .delivered)
        case .gone:
            return DeliveryOutcome(
                attempt: attempt, next: .dead, disableSubscription: "the endpoint answered 410 Gone")
        default:
            var rng = SystemRandomNumberGenerator()
            guard let backoff = settings.schedule.delay(afterFailedAttempt: failures + 1, using: &rng) else {
                return DeliveryOutcome(attempt: attempt, next: .dead)
            }
            let wait = RetryAfter.nextDelay(backoff: backoff, retryAfter: retryAfter, cap: settings.retryAfterCap)
            return DeliveryOutcome(attempt: attempt, next: .retry(at: attempt.time.adding(wait)))
        }
    }

    /// The current secret, and the previous one during its grace period (both signatures are sent), opened from
    /// their sealed form. One that does not open (its key gone from the key file) signs nothing.
    static func signingSecrets(_ subscription: Subscription, now: Date, sealer: SecretSealer) -> [WebhookSecret] {
        func open(_ stored: String) -> WebhookSecret? {
            (try? sealer.open(stored, subscription: subscription.id)).flatMap { try? WebhookSecret(encoded: $0) }
        }
        var secrets: [WebhookSecret] = []
        if let current = open(subscription.secret) { secrets.append(current) }
        if let previous = subscription.previousSecret, let until = subscription.previousSecretExpiresAt, until > now,
            let secret = open(previous)
        {
            secrets.append(secret)
        }
        return secrets
    }

    private static func failureKind(_ error: TransportError) -> TransportFailureKind {
        switch error {
        case .notSent(.connectTimeout), .ambiguous(.deadlineExceeded): return .timeout
        case .notSent: return .connect
        case .ambiguous, .responseTooLarge, .cancelled: return .other
        }
    }

    /// The `traceparent` attribute of a stored CloudEvent, found without parsing the body (this runs for every
    /// attempt): `CloudEventFactory` writes it as a top-level member before `data`, and inside string values a
    /// quote is escaped, so the first match is the attribute. `TraceContext` then validates it.
    static func traceparent(_ body: [UInt8]) -> String? {
        let length = 55  // 00-<32 hex>-<16 hex>-<2 hex>
        guard let start = body.firstRange(of: Self.traceparentMember)?.upperBound, body.count >= start + length
        else { return nil }
        return String(decoding: body[start..<start + length], as: UTF8.self)
    }

    private static let traceparentMember = Array(#""traceparent":""#.utf8)
}
