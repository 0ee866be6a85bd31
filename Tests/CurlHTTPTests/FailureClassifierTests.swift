import CCurl
import Testing
import Transport

@testable import CurlHTTP

@Suite("Failure classification")
struct FailureClassifierTests {
    private let nothingSent = TransferFacts()
    private let sent = TransferFacts(requestBytes: 120, requestPhaseReached: true)
    /// The first `send()` accepted nothing, but libcurl had already started writing the request.
    private let writing = TransferFacts(requestBytes: 0, requestPhaseReached: true)

    private func classify(_ code: CURLcode, _ facts: TransferFacts) -> TransportError {
        FailureClassifier.classify(code, facts: facts, responseLimit: 1024)
    }

    @Test func dnsFailuresAreNotSent() {
        #expect(classify(CURLE_COULDNT_RESOLVE_HOST, nothingSent) == .notSent(.dnsFailure))
        #expect(classify(CURLE_COULDNT_RESOLVE_PROXY, nothingSent) == .notSent(.dnsFailure))
    }

    @Test func refusedConnectIsNotSent() {
        #expect(classify(CURLE_COULDNT_CONNECT, nothingSent) == .notSent(.connectFailed))
    }

    @Test func timeoutBeforeRequestIsConnectTimeout() {
        #expect(classify(CURLE_OPERATION_TIMEDOUT, nothingSent) == .notSent(.connectTimeout))
    }

    @Test func timeoutAfterRequestIsAmbiguous() {
        #expect(classify(CURLE_OPERATION_TIMEDOUT, sent) == .ambiguous(.deadlineExceeded))
        #expect(classify(CURLE_OPERATION_TIMEDOUT, writing) == .ambiguous(.deadlineExceeded))
        #expect(
            classify(CURLE_OPERATION_TIMEDOUT, TransferFacts(requestBytes: 10))
                == .ambiguous(.deadlineExceeded))
    }

    @Test(
        arguments: [
            CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH,
            CURLE_SSL_CLIENTCERT,
        ].map(\.rawValue))
    func tlsFailuresAreNotSent(code: UInt32) {
        #expect(classify(CURLcode(code), nothingSent) == .notSent(.tlsFailure))
    }

    @Test(
        arguments: [
            CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT,
            CURLE_UNKNOWN_OPTION,
            CURLE_NOT_BUILT_IN,
        ].map(\.rawValue))
    func invalidRequestsAreNotSent(code: UInt32) {
        #expect(classify(CURLcode(code), nothingSent) == .notSent(.invalidRequest))
    }

    @Test(arguments: [CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING].map(\.rawValue))
    func resetsDependOnWhetherBytesLeft(code: UInt32) {
        #expect(classify(CURLcode(code), sent) == .ambiguous(.connectionReset))
        #expect(classify(CURLcode(code), writing) == .ambiguous(.connectionReset))
        #expect(classify(CURLcode(code), nothingSent) == .notSent(.connectFailed))
    }

    @Test(
        arguments: [CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2_STREAM].map(\.rawValue))
    func truncatedRepliesAreIncomplete(code: UInt32) {
        #expect(classify(CURLcode(code), sent) == .ambiguous(.incompleteResponse))
        #expect(classify(CURLcode(code), nothingSent) == .notSent(.connectFailed))
    }

    @Test func writeErrorFromOurCapIsResponseTooLarge() {
        var capped = sent
        capped.bodyCapExceeded = true
        #expect(classify(CURLE_WRITE_ERROR, capped) == .responseTooLarge(limit: 1024))
        // A write error we did not cause is a broken exchange, not a size problem.
        #expect(classify(CURLE_WRITE_ERROR, sent) == .ambiguous(.incompleteResponse))
    }

    @Test func unknownCodesAreOnlyNotSentWhenNothingLeft() {
        #expect(classify(CURLE_OUT_OF_MEMORY, sent) == .ambiguous(.connectionReset))
        #expect(classify(CURLE_OUT_OF_MEMORY, nothingSent) == .notSent(.connectFailed))
    }

    @Test func timeoutsRoundUpToWholeMillisecondsAndNeverZero() {
        #expect(Duration.seconds(5).curlMilliseconds == 5000)
        #expect(Duration.microseconds(1500).curlMilliseconds == 2)
        #expect(Duration.zero.curlMilliseconds == 1)
        #expect(Duration.seconds(-3).curlMilliseconds == 1)
        #expect(Duration.seconds(Int64.max).curlMilliseconds == Int(Int32.max))
    }
}
