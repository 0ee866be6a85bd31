package import Transport

/// `HTTPTransport` over libcurl's multi interface.
///
/// One dedicated thread owns a `curl_multi` handle and drives every transfer; callers only enqueue
/// work and await a continuation, so no Swift executor thread ever blocks in libcurl. Connections
/// are pooled (keep-alive, HTTP/2 multiplexing over TLS) for the lifetime of the client.
package final class CurlHTTPClient: HTTPTransport {
    package struct Configuration: Sendable {
        /// Limit for establishing a connection, TLS handshake included.
        package var connectTimeout: Duration
        /// Total deadline for an exchange whose request has no `timeout`.
        package var defaultTimeout: Duration
        /// PEM bundle of trusted CAs; nil uses the system default. Peer and host verification are always on.
        package var caBundlePath: String?
        /// Bodies larger than this abort the transfer with `TransportError.responseTooLarge`.
        package var maxResponseBodyBytes: Int
        /// Open connections per host; further exchanges wait for one (or multiplex over HTTP/2).
        package var maxConnectionsPerHost: Int
        /// Open connections overall; also the size of the idle keep-alive cache.
        package var maxTotalConnections: Int
        /// `User-Agent` for requests that do not set one; nil sends none.
        package var userAgent: String?
        /// A proxy URL (`http://host:port`); nil: none. libcurl's environment proxies (`http_proxy`, `https_proxy`,
        /// `all_proxy`) are never used: a proxy resolves names itself, so an unconfigured one would silently
        /// undo the pinning of vetted subscriber addresses and route Altinn calls through whoever set the
        /// variable.
        package var proxy: String?

        package init(
            connectTimeout: Duration = .seconds(5),
            defaultTimeout: Duration = .seconds(30),
            caBundlePath: String? = nil,
            maxResponseBodyBytes: Int = 8 * 1024 * 1024,
            maxConnectionsPerHost: Int = 32,
            maxTotalConnections: Int = 128,
            userAgent: String? = nil
        ) {
            self.connectTimeout = connectTimeout
            self.defaultTimeout = defaultTimeout
            self.caBundlePath = caBundlePath
            self.maxResponseBodyBytes = maxResponseBodyBytes
            self.maxConnectionsPerHost = maxConnectionsPerHost
            self.maxTotalConnections = maxTotalConnections
            self.userAgent = userAgent
        }
    }

    package let configuration: Configuration
    private let inbox = TransferInbox()
    private let thread: CurlThread?

    package init(configuration: Configuration = .init()) {
        CurlGlobal.ensureInitialized()
        self.configuration = configuration
        let inbox = self.inbox
        self.thread = CurlThread.start {
            guard let loop = MultiLoop(inbox: inbox, configuration: configuration) else {
                return inbox.closeWithoutLoop()
            }
            loop.run()
        }
        if thread == nil { inbox.closeWithoutLoop() }
    }

    deinit { shutdown() }

    /// Stops the curl thread and waits for it. In-flight and queued exchanges fail with
    /// `.cancelled(sent:)` (`sent` telling whether request bytes may have left); later calls to
    /// `execute` fail with `.cancelled(sent: false)`. Safe to call more than once.
    package func shutdown() {
        guard inbox.beginShutdown() else { return }
        thread?.join()
    }

    package func execute(_ request: OutboundRequest) async throws(TransportError) -> InboundResponse {
        if Task.isCancelled { throw .cancelled(sent: false) }
        let id = inbox.reserve()
        let result = await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                inbox.submit(Submission(id: id, request: request, continuation: continuation))
            }
        } onCancel: {
            inbox.cancel(id)
        }
        return try result.get()
    }
}
