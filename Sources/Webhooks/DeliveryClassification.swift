/// The outcome of one delivery attempt. Raw values are stable: they go into logs, metric
/// labels and stored attempt records, so never rename one.
package enum DeliveryVerdict: String, Sendable, CaseIterable {
    /// Any 2xx.
    case delivered
    /// 410: the subscriber says the endpoint is gone; disable the subscription, stop retrying.
    case gone
    /// 3xx: redirects are never followed (they could point anywhere, including inside our network).
    case redirect
    /// 429, 502, 503, 504: Standard Webhooks says slow down; honour Retry-After.
    case throttled
    /// Other 4xx: the subscriber's endpoint is misconfigured.
    case clientError = "client_error"
    /// Other 5xx, and 1xx or unknown codes.
    case serverError = "server_error"
    case timeout
    /// DNS failure, connection refused, TLS handshake failure.
    case connectFailed = "connect_failed"
    /// Any other transport failure.
    case sendFailed = "send_failed"
    /// Not sent: the URL now resolves to an address the destination policy refuses (e.g. DNS rebinding).
    case destinationRefused = "destination_refused"

    package static func classify(status: Int) -> DeliveryVerdict {
        switch status {
        case 200...299: .delivered
        case 410: .gone
        case 429, 502, 503, 504: .throttled
        case 300...399: .redirect
        case 400...499: .clientError
        default: .serverError
        }
    }

    package static func classify(transportFailure: TransportFailureKind) -> DeliveryVerdict {
        switch transportFailure {
        case .timeout: .timeout
        case .connect: .connectFailed
        case .other: .sendFailed
        }
    }

    /// Whether another attempt may follow (if the schedule has one left).
    package var retryable: Bool {
        switch self {
        case .delivered, .gone: false
        default: true
        }
    }

    /// True when the subscriber has to fix something on their side; false for delivered and
    /// for failures that may be on either side or in between (5xx, timeouts, network).
    package var isSubscriberMisconfiguration: Bool {
        switch self {
        case .clientError, .redirect, .gone, .destinationRefused: true
        default: false
        }
    }

    /// Only throttling responses have their `Retry-After` honoured.
    package var honoursRetryAfter: Bool { self == .throttled }
}

/// The transport failure classes the gateway maps its HTTP client's errors into.
package enum TransportFailureKind: Sendable, Equatable {
    case timeout
    /// DNS, connection refused, TLS handshake: no request reached the subscriber.
    case connect
    case other

    package var verdict: DeliveryVerdict { DeliveryVerdict.classify(transportFailure: self) }
}
