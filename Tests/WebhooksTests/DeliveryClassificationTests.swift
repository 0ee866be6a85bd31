import Testing
import Webhooks

@Suite struct DeliveryClassificationTests {
    @Test(arguments: [
        (200, DeliveryVerdict.delivered), (201, .delivered), (204, .delivered), (299, .delivered),
        (410, .gone),
        (300, .redirect), (301, .redirect), (302, .redirect), (307, .redirect), (308, .redirect),
        (429, .throttled), (502, .throttled), (503, .throttled), (504, .throttled),
        (400, .clientError), (401, .clientError), (403, .clientError), (404, .clientError), (413, .clientError),
        (499, .clientError),
        (500, .serverError), (501, .serverError), (505, .serverError), (599, .serverError),
        (100, .serverError), (101, .serverError), (0, .serverError), (600, .serverError), (-1, .serverError),
    ])
    func statusCodes(status: Int, verdict: DeliveryVerdict) {
        #expect(DeliveryVerdict.classify(status: status) == verdict)
    }

    @Test func transportFailures() {
        #expect(DeliveryVerdict.classify(transportFailure: .timeout) == .timeout)
        #expect(DeliveryVerdict.classify(transportFailure: .connect) == .connectFailed)
        #expect(DeliveryVerdict.classify(transportFailure: .other) == .sendFailed)
        #expect(TransportFailureKind.connect.verdict == .connectFailed)
    }

    @Test func rawValuesAreStable() {
        #expect(
            DeliveryVerdict.allCases.map(\.rawValue) == [
                "delivered", "gone", "redirect", "throttled", "client_error", "server_error", "timeout",
                "connect_failed", "send_failed", "destination_refused",
            ])
    }

    @Test func onlyDeliveredAndGoneAreFinal() {
        let final = DeliveryVerdict.allCases.filter { !$0.retryable }
        #expect(final == [.delivered, .gone])
    }

    @Test func subscriberMisconfigurationVersusSystemFailure() {
        let misconfigured = DeliveryVerdict.allCases.filter(\.isSubscriberMisconfiguration)
        #expect(misconfigured == [.gone, .redirect, .clientError, .destinationRefused])
        #expect(DeliveryVerdict.allCases.filter(\.honoursRetryAfter) == [.throttled])
    }
}
