package import HTTPTypes
import Primitives

/// One outbound HTTP exchange. The body is sent as-is; the transport adds nothing
/// but `Content-Length` (and whatever libcurl needs for the protocol).
package struct OutboundRequest: Sendable {
    package var method: HTTPRequest.Method
    /// Absolute `http://` or `https://` URL.
    package var url: String
    package var headerFields: HTTPFields
    package var body: [UInt8]?
    /// Total deadline for this exchange (connect + send + receive). `nil` uses the client default.
    package var timeout: Duration?
    /// Connect to these addresses instead of resolving the URL's host again, so the addresses a caller checked
    /// are the ones used (no DNS answer can change in between). Empty: resolve as usual.
    package var pinnedAddresses: PinnedAddresses?

    package init(
        method: HTTPRequest.Method,
        url: String,
        headerFields: HTTPFields = [:],
        body: [UInt8]? = nil,
        timeout: Duration? = nil,
        pinnedAddresses: PinnedAddresses? = nil
    ) {
        self.method = method
        self.url = url
        self.headerFields = headerFields
        self.body = body
        self.timeout = timeout
        self.pinnedAddresses = pinnedAddresses
    }
}

/// A host name and port of the URL, and the numeric addresses to use for it (`CURLOPT_RESOLVE`).
package struct PinnedAddresses: Sendable, Equatable {
    package var host: String
    package var port: Int
    /// Numeric IPv4 or IPv6 addresses (without brackets).
    package var addresses: [String]

    package init(host: String, port: Int, addresses: [String]) {
        self.host = host
        self.port = port
        self.addresses = addresses
    }
}

/// What came back. Any HTTP status is a response, not an error.
package struct InboundResponse: Sendable {
    package var status: HTTPResponse.Status
    /// From a transport, the header block as received, parsed when read: the gateway reads one header of one kind
    /// of answer (a webhook's `Retry-After`), and parsing every upstream answer's fields was a thirtieth of a
    /// sign's instructions (`bench/profile.sh callgrind`).
    package var headerFields: HTTPFields {
        get {
            switch head {
            case .fields(let fields): fields
            case .block(let block): HTTPFields(headerBlock: block)
            }
        }
        set { head = .fields(newValue) }
    }
    private var head: Head
    package var body: [UInt8]
    /// Connections libcurl had to open for this exchange (`CURLINFO_NUM_CONNECTS`): 0 means a pooled one was reused.
    package var newConnections: Int
    /// Wall time of the exchange as libcurl measured it.
    package var duration: Duration

    package init(
        status: HTTPResponse.Status,
        headerFields: HTTPFields = [:],
        body: [UInt8] = [],
        newConnections: Int = 0,
        duration: Duration = .zero
    ) {
        self.status = status
        self.head = .fields(headerFields)
        self.body = body
        self.newConnections = newConnections
        self.duration = duration
    }

    /// `headerBlock`: the header lines of the final response as received (`Name: value`, each ending in CRLF or
    /// LF), without the status line and the blank line.
    package init(
        status: HTTPResponse.Status, headerBlock: [UInt8], body: [UInt8], newConnections: Int, duration: Duration
    ) {
        self.init(status: status, body: body, newConnections: newConnections, duration: duration)
        self.head = .block(headerBlock)
    }

    private enum Head: Sendable {
        case fields(HTTPFields)
        case block([UInt8])
    }
}

extension HTTPFields {
    /// The fields of a header block. Folded lines (obsolete, leading whitespace), lines without a colon and invalid
    /// names are malformed and skipped.
    package init(headerBlock: [UInt8]) {
        self.init()
        for var line in headerBlock.split(separator: UInt8(ascii: "\n")) {
            if line.last == UInt8(ascii: "\r") { line = line.dropLast() }
            guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t"),
                let colon = line.firstIndex(of: UInt8(ascii: ":")),
                let name = HTTPField.Name(String(decoding: line[..<colon], as: UTF8.self))
            else { continue }
            self.append(
                HTTPField(name: name, lenientValue: line[line.index(after: colon)...].trimmingOptionalWhitespace()))
        }
    }
}

/// Why an exchange produced no response, classified so callers can decide whether a retry is safe.
package enum TransportError: Error, Sendable, Equatable {
    /// The request provably never left this process: DNS failure, connection refused, connect timeout,
    /// TLS handshake or certificate failure, malformed URL. Safe to retry even a non-idempotent call.
    case notSent(NotSentReason)
    /// The request may have reached the server: deadline exceeded or connection reset after the request
    /// was (partly) written, or the reply was cut off. Never blindly retry a non-idempotent call.
    case ambiguous(AmbiguousReason)
    /// The response body exceeded the configured cap; the transfer was aborted (the request was sent).
    case responseTooLarge(limit: Int)
    /// The calling task was cancelled; the transfer was removed from libcurl.
    /// `sent` says whether any request bytes may have reached the server.
    case cancelled(sent: Bool)

    package enum NotSentReason: Sendable, Equatable {
        case dnsFailure
        case connectFailed
        case connectTimeout
        case tlsFailure
        case invalidRequest
    }

    package enum AmbiguousReason: Sendable, Equatable {
        case deadlineExceeded
        case connectionReset
        case incompleteResponse
    }

    /// True when the server cannot have seen the request.
    package var requestNeverLeft: Bool {
        switch self {
        case .notSent: return true
        case .cancelled(let sent): return !sent
        case .ambiguous, .responseTooLarge: return false
        }
    }
}

/// The upstream transport seam. `CurlHTTPClient` is the production implementation.
package protocol HTTPTransport: Sendable {
    func execute(_ request: OutboundRequest) async throws(TransportError) -> InboundResponse
}
