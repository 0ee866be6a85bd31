import CCurl
import Transport

/// What is known about how far a failed (or cancelled) exchange got on the wire.
struct TransferFacts: Sendable, Equatable {
    /// `CURLINFO_REQUEST_SIZE`: request bytes the first send accepted. Only a lower bound:
    /// a request whose first `send()` would block is counted as 0 even though its tail goes out later.
    var requestBytes: Int = 0
    /// `CURLOPT_PREREQFUNCTION` ran: libcurl had a usable connection (TLS done) and was about to
    /// write the request. Catches the case `requestBytes` misses.
    var requestPhaseReached: Bool = false
    /// Our write callback aborted the transfer because the body exceeded the cap.
    var bodyCapExceeded: Bool = false

    /// Conservative: true unless we can prove no request byte was handed to the socket.
    var mayHaveSent: Bool { requestBytes > 0 || requestPhaseReached }
}

/// Maps a failed libcurl transfer to a `TransportError`, deciding whether a retry is safe.
///
/// Why each class is (un)safe to retry:
/// - DNS, connection refused, TLS handshake/certificate failures and malformed requests all fail
///   before libcurl writes a single request byte, so the server cannot have acted: `notSent`.
/// - A timeout or a send/receive failure is only `notSent` when libcurl never reached the request
///   phase; once it may have written bytes the server may have processed the request: `ambiguous`.
/// - libcurl itself resends a request, silently, when a *reused* keep-alive connection turns out to be
///   dead before any response byte arrived (the idle-close race). It does so for safe methods only:
///   writes are configured so that it cannot (see `Transfer`), and fail with CURLE_SEND_FAIL_REWIND
///   instead, which is `ambiguous`: the request was written on a connection that died unanswered.
/// - An oversized body means the server answered, so the request was processed: never `notSent`.
enum FailureClassifier {
    static func classify(_ code: CURLcode, facts: TransferFacts, responseLimit: Int) -> TransportError {
        // Our own abort surfaces as CURLE_WRITE_ERROR; the flag says it was the cap, not a bug.
        if facts.bodyCapExceeded { return .responseTooLarge(limit: responseLimit) }
        switch code {
        case CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .notSent(.dnsFailure)
        case CURLE_COULDNT_CONNECT:
            return .notSent(.connectFailed)
        case CURLE_OPERATION_TIMEDOUT:
            return facts.mayHaveSent ? .ambiguous(.deadlineExceeded) : .notSent(.connectTimeout)
        case _ where tlsFailures.contains(code):
            return .notSent(.tlsFailure)
        case _ where invalidRequests.contains(code):
            return .notSent(.invalidRequest)
        case CURLE_SEND_FAIL_REWIND:
            return .ambiguous(.connectionReset)
        case CURLE_SEND_ERROR, CURLE_RECV_ERROR, CURLE_GOT_NOTHING:
            return facts.mayHaveSent ? .ambiguous(.connectionReset) : .notSent(.connectFailed)
        case CURLE_PARTIAL_FILE, CURLE_WEIRD_SERVER_REPLY, CURLE_HTTP2, CURLE_HTTP2_STREAM,
            CURLE_BAD_CONTENT_ENCODING, CURLE_WRITE_ERROR:
            return facts.mayHaveSent ? .ambiguous(.incompleteResponse) : .notSent(.connectFailed)
        default:
            // Unknown failure: only the wire facts can make it safe.
            return facts.mayHaveSent ? .ambiguous(.connectionReset) : .notSent(.connectFailed)
        }
    }

    /// Handshake and certificate errors: they happen before the request is written.
    static let tlsFailures = Set<UInt32>(
        [
            CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CACERT_BADFILE,
            CURLE_SSL_CERTPROBLEM, CURLE_SSL_CIPHER, CURLE_SSL_ENGINE_NOTFOUND,
            CURLE_SSL_ENGINE_SETFAILED,
            CURLE_SSL_ENGINE_INITFAILED, CURLE_USE_SSL_FAILED, CURLE_SSL_CRL_BADFILE,
            CURLE_SSL_ISSUER_ERROR,
            CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CLIENTCERT,
        ].map(\.rawValue))

    /// The request could not even be built or is not allowed by our option set.
    static let invalidRequests = Set<UInt32>(
        [
            CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL, CURLE_BAD_FUNCTION_ARGUMENT,
            CURLE_UNKNOWN_OPTION, CURLE_NOT_BUILT_IN, CURLE_FAILED_INIT,
        ].map(\.rawValue))
}

extension Set<UInt32> {
    fileprivate func contains(_ code: CURLcode) -> Bool { contains(code.rawValue) }
}
