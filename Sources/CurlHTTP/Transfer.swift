import CCurl
import HTTPTypes
import Transport

/// One exchange while libcurl owns it. Lives only on the curl thread: created there from a
/// `Submission`, reached from libcurl callbacks (which run on that thread inside `curl_multi_perform`)
/// through an unretained pointer, and dropped there. The owning dictionary keeps it alive while the
/// easy handle is attached to the multi handle.
final class Transfer {
    let id: UInt64
    let easy: UnsafeMutableRawPointer
    let continuation: ExchangeContinuation
    private let responseLimit: Int
    private var headerList: UnsafeMutablePointer<curl_slist>?
    private var resolveList: UnsafeMutablePointer<curl_slist>?
    /// The request body, handed to libcurl only through `onRead` and never rewindable (see "Why libcurl cannot resend a write" below).
    private var requestBody: [UInt8] = []
    private var requestBodySent = 0
    private var head = ResponseHeadParser()
    private var body: [UInt8] = []
    private var bodyCapExceeded = false
    private var requestPhaseReached = false

    init(submission: Submission, easy: UnsafeMutableRawPointer, responseLimit: Int) {
        self.id = submission.id
        self.easy = easy
        self.continuation = submission.continuation
        self.responseLimit = responseLimit
    }

    deinit {
        curl_slist_free_all(headerList)
        curl_slist_free_all(resolveList)
    }

    /// Sets every option for this exchange on a freshly reset easy handle.
    /// Returns the first failing `CURLcode` (e.g. out of memory), or `CURLE_OK`.
    func configure(_ request: OutboundRequest, _ config: CurlHTTPClient.Configuration) -> CURLcode {
        let userData = Unmanaged.passUnretained(self).toOpaque()
        var options = OptionSetter(easy: easy)
        options.set(CURLOPT_URL, request.url)
        options.set(CURLOPT_NOSIGNAL, 1)  // no SIGALRM games in a multithreaded process
        options.set(CURLOPT_PROTOCOLS_STR, "http,https")
        options.set(CURLOPT_FOLLOWLOCATION, 0)  // redirects are the caller's decision
        options.set(CURLOPT_HTTP_VERSION, Int(CURL_HTTP_VERSION_2TLS))
        // On https, wait for a pending connection's ALPN answer so h2 can multiplex instead of opening more.
        // Never on plain http: it is always HTTP/1.1 there, and curl would queue every new request behind
        // the first one's response.
        options.set(CURLOPT_PIPEWAIT, request.url.lowercased().hasPrefix("https://") ? 1 : 0)
        options.set(CURLOPT_SSL_VERIFYPEER, 1)
        options.set(CURLOPT_SSL_VERIFYHOST, 2)
        if let caBundlePath = config.caBundlePath { options.set(CURLOPT_CAINFO, caBundlePath) }
        if let userAgent = config.userAgent { options.set(CURLOPT_USERAGENT, userAgent) }
        // "" switches proxies off, the environment's included (see `Configuration.proxy`).
        options.set(CURLOPT_PROXY, config.proxy ?? "")
        options.set(CURLOPT_TIMEOUT_MS, (request.timeout ?? config.defaultTimeout).curlMilliseconds)
        options.set(CURLOPT_CONNECTTIMEOUT_MS, config.connectTimeout.curlMilliseconds)
        options.apply { cg_easy_setopt_write_cb($0, Self.onBody) }
        options.set(CURLOPT_WRITEDATA, userData)
        options.apply { cg_easy_setopt_header_cb($0, Self.onHeaderLine) }
        options.set(CURLOPT_HEADERDATA, userData)
        options.apply { cg_easy_setopt_prereq_cb($0, Self.onRequestPhase) }
        options.set(CURLOPT_PREREQDATA, userData)
        setMethodAndBody(request, &options)
        guard options.result == CURLE_OK else { return options.result }
        guard let list = Self.headerList(request.headerFields) else { return CURLE_OUT_OF_MEMORY }
        headerList = list
        options.apply { cg_easy_setopt_slist($0, CURLOPT_HTTPHEADER, list) }
        if let pinned = request.pinnedAddresses, !pinned.addresses.isEmpty {
            guard let entry = curl_slist_append(nil, pinned.curlEntry) else { return CURLE_OUT_OF_MEMORY }
            resolveList = entry
            options.apply { cg_easy_setopt_slist($0, CURLOPT_RESOLVE, entry) }
        }
        return options.result
    }

    // MARK: Why libcurl cannot resend a write
    //
    // libcurl (7.88: lib/transfer.c `Curl_retry_request`, lib/multi.c) silently resends a request on a fresh
    // connection when a *reused* connection dies before one response byte arrives ("Connection died, retrying
    // a fresh connect"), or when the send on a reused connection fails, up to 5 times, for every method. That
    // is right for a GET racing an idle close, and a second legal act for a sign: the peer may have processed
    // the request and then closed (a crashing pod, a load balancer's idle timeout, a restart). This libcurl has
    // no option to forbid it (CURLOPT_FORBID_RETRY_ON_REUSE is only proposed upstream, curl PR #18417).
    // What decides it is the body: when body bytes were written, libcurl sets `rewindbeforesend`, and
    // `readrewind` (lib/multi.c) runs on the new connection before a byte is sent. With CURLOPT_POSTFIELDS it
    // needs no rewind and resends; with a CURLOPT_READFUNCTION and no CURLOPT_SEEKFUNCTION it fails the
    // transfer with CURLE_SEND_FAIL_REWIND. So a write carries its body through `onRead`. A write with no
    // body leaves nothing to rewind and would be resent: it gets a connection of its own
    // (CURLOPT_FRESH_CONNECT), and `Curl_retry_request` retries only on a reused one. HTTP/2 takes the same
    // retry path (a stream cut by a dying connection, GOAWAY, REFUSED_STREAM), so the two rules hold there
    // too. The classifier maps CURLE_SEND_FAIL_REWIND to ambiguous: the request was written on a connection
    // that died unanswered. Pinned by CurlHTTPClientTests ("a write on a warm connection that dies after the
    // peer read it is sent once") and the simulator's network faults (EndToEndTests NetworkFaultTests,
    // TLSTests). libcurl's own verbose trace of this option set, against a peer that reads the POST on a warm
    // connection and closes without answering (with POSTFIELDS instead, the POST arrives a second time):
    //   * Re-using existing connection #0 with host 127.0.0.1
    //   * Connection died, retrying a fresh connect (retry count: 1)
    //   * state.rewindbeforesend = TRUE
    //   * Connected to 127.0.0.1 (127.0.0.1) port 18999 (#1)
    //   * necessary data rewind wasn't possible
    //   → CURLE_SEND_FAIL_REWIND (65); the peer saw the POST once.

    /// Safe methods (GET, HEAD, OPTIONS) may be resent by libcurl on its own; every other method is configured
    /// so that it cannot: the body comes from `onRead`, which has no rewind, and a write without a body never
    /// rides a reused connection.
    private func setMethodAndBody(_ request: OutboundRequest, _ options: inout OptionSetter) {
        switch request.method {
        case .get where request.body == nil:
            options.set(CURLOPT_HTTPGET, 1)
        case .head:
            options.set(CURLOPT_NOBODY, 1)  // CUSTOMREQUEST "HEAD" would wait for a body that never comes
        default:
            options.set(CURLOPT_CUSTOMREQUEST, request.method.rawValue)
            // Methods that carry a body get `Content-Length: 0` when there is none, as servers expect.
            let bytes = request.body ?? ([.post, .put, .patch].contains(request.method) ? [] : nil)
            if let bytes {
                requestBody = bytes
                // POST with a read callback and a known size: `Content-Length`, no chunking; the method
                // string on the wire is CUSTOMREQUEST's. No CURLOPT_SEEKFUNCTION: libcurl cannot rewind.
                options.set(CURLOPT_POST, 1)
                options.apply { cg_easy_setopt_off($0, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(bytes.count)) }
                options.apply { cg_easy_setopt_read_cb($0, Self.onRead) }
                options.set(CURLOPT_READDATA, Unmanaged.passUnretained(self).toOpaque())
            }
            if !request.method.isSafe && (bytes?.isEmpty ?? true) {
                // libcurl rewinds only when body bytes were written; with none it would resend silently.
                options.set(CURLOPT_FRESH_CONNECT, 1)
            }
        }
    }

    /// Caller headers, plus blanks that stop libcurl from adding its own defaults
    /// (`Expect: 100-continue` costs a round trip; the POSTFIELDS form `Content-Type` would be wrong).
    private static func headerList(_ fields: HTTPFields) -> UnsafeMutablePointer<curl_slist>? {
        var lines = ["Expect:"]
        lines.reserveCapacity(fields.count + 3)
        // One pass, no `fields[name]`: a lookup builds the fields' index, a fifth of configuring a transfer.
        var hasContentType = false
        var hasAccept = false
        for field in fields {
            hasContentType = hasContentType || field.name == .contentType
            hasAccept = hasAccept || field.name == .accept
            // libcurl sends a header with an empty value only in the `Name;` form.
            lines.append(field.value.isEmpty ? "\(field.name.rawName);" : "\(field.name.rawName): \(field.value)")
        }
        if !hasContentType { lines.append("Content-Type:") }
        if !hasAccept { lines.append("Accept:") }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let extended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                return nil
            }
            list = extended
        }
        return list
    }

    /// What libcurl knows about how far the exchange got, plus what our callbacks saw.
    func facts() -> TransferFacts {
        var requestSize = 0
        _ = cg_easy_getinfo_long(easy, CURLINFO_REQUEST_SIZE, &requestSize)
        return TransferFacts(
            requestBytes: requestSize,
            requestPhaseReached: requestPhaseReached,
            bodyCapExceeded: bodyCapExceeded
        )
    }

    /// Turns the finished transfer into the caller's result.
    func outcome(_ code: CURLcode) -> Result<InboundResponse, TransportError> {
        guard code == CURLE_OK else {
            return .failure(
                FailureClassifier.classify(code, facts: facts(), responseLimit: responseLimit))
        }
        var status = 0
        var connects = 0
        var totalMicros: curl_off_t = 0
        _ = cg_easy_getinfo_long(easy, CURLINFO_RESPONSE_CODE, &status)
        _ = cg_easy_getinfo_long(easy, CURLINFO_NUM_CONNECTS, &connects)
        _ = cg_easy_getinfo_off(easy, CURLINFO_TOTAL_TIME_T, &totalMicros)
        // HTTPResponse.Status traps outside 100...999; a "success" without a status line is a broken reply.
        guard (100...999).contains(status), head.headComplete else {
            return .failure(.ambiguous(.incompleteResponse))
        }
        return .success(
            InboundResponse(
                status: HTTPResponse.Status(code: status),
                headerBlock: head.block,
                body: body,
                newConnections: connects,
                duration: .microseconds(totalMicros)
            )
        )
    }

    // MARK: libcurl callbacks (curl thread, inside curl_multi_perform)

    private static let onBody:
        @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
            data, size, count, userData in
            guard let userData else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(userData).takeUnretainedValue()
            let length = size * count
            guard transfer.body.count + length <= transfer.responseLimit else {
                transfer.bodyCapExceeded = true
                return 0  // any count other than `length` makes libcurl abort with CURLE_WRITE_ERROR
            }
            transfer.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length))
            return length
        }

    /// Feeds the request body once. A second pass would need a rewind, which libcurl can only do through
    /// CURLOPT_SEEKFUNCTION; without one it fails the transfer (CURLE_SEND_FAIL_REWIND) instead of resending.
    private static let onRead:
        @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
            buffer, size, count, userData in
            guard let userData, let buffer else { return Int(CURL_READFUNC_ABORT) }
            let transfer = Unmanaged<Transfer>.fromOpaque(userData).takeUnretainedValue()
            let length = min(size * count, transfer.requestBody.count - transfer.requestBodySent)
            guard length > 0 else { return 0 }
            transfer.requestBody.withUnsafeBytes { bytes in
                UnsafeMutableRawPointer(buffer).copyMemory(
                    from: bytes.baseAddress! + transfer.requestBodySent, byteCount: length)
            }
            transfer.requestBodySent += length
            return length
        }

    private static let onHeaderLine:
        @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = {
            data, size, count, userData in
            guard let userData else { return 0 }
            let transfer = Unmanaged<Transfer>.fromOpaque(userData).takeUnretainedValue()
            transfer.head.consume(line: UnsafeRawBufferPointer(start: data, count: size * count))
            return size * count
        }

    private static let onRequestPhase:
        @convention(c) (
            UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?, UnsafeMutablePointer<CChar>?, Int32,
            Int32
        ) -> Int32 = {
            userData, _, _, _, _ in
            if let userData {
                Unmanaged<Transfer>.fromOpaque(userData).takeUnretainedValue().requestPhaseReached = true
            }
            return CURL_PREREQFUNC_OK
        }
}

extension HTTPRequest.Method {
    /// RFC 9110 safe methods: the only ones libcurl may resend on its own.
    var isSafe: Bool { self == .get || self == .head || self == .options }
}

/// Applies options in order and remembers the first failure, so configuration reads as a flat list.
private struct OptionSetter {
    let easy: UnsafeMutableRawPointer
    private(set) var result = CURLE_OK

    init(easy: UnsafeMutableRawPointer) { self.easy = easy }

    mutating func apply(_ body: (UnsafeMutableRawPointer) -> CURLcode) {
        guard result == CURLE_OK else { return }
        result = body(easy)
    }

    mutating func set(_ option: CURLoption, _ value: Int) {
        apply { cg_easy_setopt_long($0, option, value) }
    }

    /// libcurl copies string options (except POSTFIELDS), so a temporary C string is fine.
    mutating func set(_ option: CURLoption, _ value: String) {
        apply { easy in value.withCString { cg_easy_setopt_str(easy, option, $0) } }
    }

    mutating func set(_ option: CURLoption, _ value: UnsafeRawPointer?) {
        apply { cg_easy_setopt_ptr($0, option, value) }
    }
}

extension Duration {
    /// libcurl millisecond timeouts treat 0 as "no timeout", so round up and never go below 1 ms.
    var curlMilliseconds: Int {
        let (seconds, attoseconds) = components
        guard seconds >= 0 else { return 1 }
        let (ms, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        guard !overflow else { return Int(Int32.max) }
        let extra = (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        return Int(max(1, min(ms + extra, Int64(Int32.max))))
    }
}

extension PinnedAddresses {
    /// `host:port:addr[,addr]`, IPv6 in brackets, as libcurl's CURLOPT_RESOLVE reads it.
    var curlEntry: String {
        "\(self.host):\(self.port):" + self.addresses.map { $0.contains(":") ? "[\($0)]" : $0 }.joined(separator: ",")
    }
}
