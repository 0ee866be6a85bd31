import AltinnAPI
import Transport

/// When an Altinn call may be repeated, and after how long.
///
/// A sign is a legal act: it is repeated only when libcurl proves the request never left
/// (DNS, connect, TLS). Reads are repeated on any transport failure and on 502/503/504.
package struct RetryPolicy: Sendable {
    package var maxRetries: Int
    package var baseDelay: Duration

    package init(maxRetries: Int = 2, baseDelay: Duration = .milliseconds(50)) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
    }

    package static let none = RetryPolicy(maxRetries: 0)

    enum CallKind {
        /// Safe to repeat: GET.
        case read
        /// Must not be repeated if it may have reached Altinn: sign, process/next.
        case write
    }

    static func mayRetry(_ error: AltinnError, kind: CallKind) -> Bool {
        switch (error, kind) {
        case (.transport(let transport, _), .write):
            return transport.requestNeverLeft
        case (.transport(let transport, _), .read):
            if case .cancelled = transport { return false }
            return true
        case (.rejected(let rejection), .read):
            return [502, 503, 504].contains(rejection.status)
        case (.rejected, .write), (.undecodable, _):
            return false
        }
    }

    /// Exponential backoff with full jitter: a random delay in [0, base * 2^attempt].
    func delay(beforeRetry attempt: Int) -> Duration {
        let ceiling = self.baseDelay * (1 << min(attempt, 10))
        let nanos = ceiling.components.seconds * 1_000_000_000 + ceiling.components.attoseconds / 1_000_000_000
        return .nanoseconds(Int64.random(in: 0...max(nanos, 1)))
    }
}
