import CurlHTTP
import HTTPTypes
import Testing
import Transport

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// End-to-end tests against real servers on 127.0.0.1.
@Suite("CurlHTTPClient")
struct CurlHTTPClientTests {
    private static let xTest = HTTPField.Name("x-test")!

    @Test func getPostPutRoundTrip() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            defer { client.shutdown() }

            let get = try await client.execute(
                OutboundRequest(method: .get, url: server.url("/echo"), headerFields: [Self.xTest: "hello"])
            )
            #expect(get.status == .ok)
            #expect(get.headerFields[echo("method")] == "GET")
            #expect(get.headerFields[echo("test")] == "hello")
            #expect(get.headerFields[.contentType] == "application/octet-stream")
            #expect(get.body.isEmpty)
            #expect(get.newConnections == 1)
            #expect(get.duration > .zero)

            let post = try await client.execute(
                OutboundRequest(method: .post, url: server.url("/echo"), body: Array("payload".utf8)))
            #expect(post.headerFields[echo("method")] == "POST")
            #expect(post.body == Array("payload".utf8))
            // libcurl adds neither a form Content-Type nor `Expect: 100-continue`.
            #expect(post.headerFields[echo("content-type")] == "none")
            #expect(post.headerFields[echo("expect")] == "none")
            #expect(post.headerFields[echo("content-length")] == "7")

            let putBody = Array(#"{"a":1}"#.utf8)
            let put = try await client.execute(
                OutboundRequest(
                    method: .put, url: server.url("/echo"), headerFields: [.contentType: "application/json"],
                    body: putBody))
            #expect(put.headerFields[echo("method")] == "PUT")
            #expect(put.headerFields[echo("content-type")] == "application/json")
            #expect(put.body == putBody)

            let emptyPost = try await client.execute(
                OutboundRequest(method: .post, url: server.url("/echo")))
            #expect(emptyPost.headerFields[echo("content-length")] == "0")

            let delete = try await client.execute(
                OutboundRequest(method: .delete, url: server.url("/echo")))
            #expect(delete.headerFields[echo("method")] == "DELETE")

            // Statuses are responses, not errors.
            let notFound = try await client.execute(
                OutboundRequest(method: .get, url: server.url("/status/404")))
            #expect(notFound.status == .notFound)
            #expect(notFound.body == Array("status 404".utf8))
            let failed = try await client.execute(
                OutboundRequest(method: .get, url: server.url("/status/500")))
            #expect(failed.status == .internalServerError)
        }
    }

    @Test func sequentialRequestsReuseOneConnection() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let warmUp = try await client.execute(OutboundRequest(method: .get, url: server.url("/conn")))
            #expect(warmUp.newConnections == 1)
            var remotePorts: Set<[UInt8]> = [warmUp.body]
            for _ in 0..<20 {
                let response = try await client.execute(
                    OutboundRequest(method: .get, url: server.url("/conn")))
                #expect(response.newConnections == 0)
                remotePorts.insert(response.body)
            }
            // The server saw every request on the same client port, i.e. one TCP connection.
            #expect(remotePorts.count == 1)
        }
    }

    @Test func thousandConcurrentRequests() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let mismatches = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<1000 {
                    group.addTask {
                        let body = Array("request-\(index)".utf8)
                        let result = await outcome(
                            client, OutboundRequest(method: .post, url: server.url("/echo"), body: body))
                        return (try? result.get().body) == body
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 0 : 1) }
            }
            #expect(mismatches == 0)
        }
    }

    @Test func cancellingTheTaskAbortsTheTransferAndKeepsTheClientUsable() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let task = Task {
                await outcome(client, OutboundRequest(method: .get, url: server.url("/hold")))
            }
            var arrivals = server.arrivals.makeAsyncIterator()
            await arrivals.next()  // the server has the request: bytes were sent
            let clock = ContinuousClock()
            let start = clock.now
            task.cancel()
            let result = await task.value
            #expect(result.failure == .cancelled(sent: true))
            #expect(clock.now - start < .seconds(10))  // not the 30 s default deadline (a loaded machine took 2.4 s)

            let after = try await client.execute(
                OutboundRequest(method: .get, url: server.url("/bytes/3")))
            #expect(after.body == Array("xxx".utf8))
        }
    }

    @Test func aRequestHeldOpenDoesNotQueueTheNextOnPlainHTTP() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let held = Task { await outcome(client, OutboundRequest(method: .get, url: server.url("/hold"))) }
            var arrivals = server.arrivals.makeAsyncIterator()
            await arrivals.next()
            // While the first exchange waits for its answer, a second one completes on its own connection.
            let second = try await client.execute(OutboundRequest(method: .get, url: server.url("/bytes/2")))
            #expect(second.body == Array("xx".utf8))
            #expect(second.newConnections == 1)
            server.gate.open()
            #expect(await held.value.failure == nil)
        }
    }

    @Test func alreadyCancelledTaskDoesNotStart() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let task = Task {
                withUnsafeCurrentTask { $0?.cancel() }
                return await outcome(client, OutboundRequest(method: .get, url: server.url("/hold")))
            }
            #expect(await task.value.failure == .cancelled(sent: false))
        }
    }

    @Test func totalDeadlineAfterSendIsAmbiguous() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            // The deadline is long enough for a loaded machine to send; what is asserted is the cause and effect:
            // the server had the request, then the deadline passed, so the outcome is ambiguous.
            var arrivals = server.arrivals.makeAsyncIterator()
            let result = Task {
                await outcome(client, OutboundRequest(method: .get, url: server.url("/hold"), timeout: .seconds(2)))
            }
            await arrivals.next()
            #expect(await result.value.failure == .ambiguous(.deadlineExceeded))
        }
    }

    @Test func connectTimeoutIsNotSent() async throws {
        let (port, fds) = try LoopbackSocket.blackHole()
        defer { for fd in fds { close(fd) } }
        let client = CurlHTTPClient(configuration: .init(connectTimeout: .milliseconds(200)))
        defer { client.shutdown() }
        let result = await outcome(
            client, OutboundRequest(method: .get, url: "http://127.0.0.1:\(port)/", timeout: .seconds(1)))
        #expect(result.failure == .notSent(.connectTimeout))
    }

    @Test func refusedConnectionIsNotSent() async throws {
        let port = try LoopbackSocket.refusedPort()
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let result = await outcome(
            client, OutboundRequest(method: .get, url: "http://127.0.0.1:\(port)/"))
        #expect(result.failure == .notSent(.connectFailed))
    }

    @Test func disallowedSchemesAndMalformedURLsAreInvalidRequests() async {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        // Only http and https are enabled; neither URL gets as far as a connection attempt.
        let ftp = await outcome(client, OutboundRequest(method: .get, url: "ftp://127.0.0.1:9/file"))
        #expect(ftp.failure == .notSent(.invalidRequest))
        let malformed = await outcome(client, OutboundRequest(method: .get, url: "http://[::1/"))
        #expect(malformed.failure == .notSent(.invalidRequest))
    }

    @Test func tlsToPlainHTTPServerIsNotSent() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let result = await outcome(
                client,
                OutboundRequest(method: .post, url: "https://127.0.0.1:\(server.port)/echo", body: [1]))
            #expect(result.failure == .notSent(.tlsFailure))
        }
    }

    @Test func peerClosingAfterReadingRequestIsAmbiguous() async throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let result = try await CloseAfterRequestPeer.run { port in
            await outcome(
                client, OutboundRequest(method: .post, url: "http://127.0.0.1:\(port)/", body: [1, 2]))
        }
        let failure = try #require(result.failure)
        #expect(failure == .ambiguous(.connectionReset) || failure == .ambiguous(.incompleteResponse))
    }

    // libcurl resends a request whose reused connection died before any answer byte (see `Transfer`).
    // A write must reach the peer once, whatever the connection does after the peer read it.
    @Test(
        "a write on a warm connection that dies after the peer read it is sent once",
        arguments: [
            ("POST", [UInt8]("{\"action\":\"sign\"}".utf8), DroppingPeer.Hangup.fin),
            ("POST", [UInt8]("{\"action\":\"sign\"}".utf8), .reset),
            ("PUT", [UInt8]("{}".utf8), .fin),
            ("PUT", [], .fin),
            ("PUT", [], .reset),
            ("PATCH", [1], .fin),
        ])
    func writeOnDyingWarmConnectionIsSentOnce(method: String, body: [UInt8], hangup: DroppingPeer.Hangup)
        async throws
    {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let peer = DroppingPeer(drop: method, hangup: hangup)
        let result = try await peer.run { port in
            let warmUp = try await client.execute(OutboundRequest(method: .get, url: "http://127.0.0.1:\(port)/"))
            #expect(warmUp.status == .ok)
            return await outcome(
                client,
                OutboundRequest(
                    method: HTTPRequest.Method(method)!, url: "http://127.0.0.1:\(port)/sign", body: body))
        }
        #expect(peer.arrivals.filter { $0.method == method }.count == 1)
        let failure = try #require(result.failure)
        #expect(!failure.requestNeverLeft)
        if !body.isEmpty {
            // The body rode the warm connection (that is where libcurl would have resent it).
            #expect(peer.arrivals.last?.answeredBefore == 1)
            #expect(failure == .ambiguous(.connectionReset))
        }
    }

    @Test func aReadOnADyingWarmConnectionIsResentAndAnswered() async throws {
        let client = CurlHTTPClient()
        defer { client.shutdown() }
        let peer = DroppingPeer(drop: "GET")
        let response = try await peer.run { port in
            _ = try await client.execute(OutboundRequest(method: .head, url: "http://127.0.0.1:\(port)/"))
            return try await client.execute(OutboundRequest(method: .get, url: "http://127.0.0.1:\(port)/"))
        }
        #expect(response.status == .ok)
        #expect(response.body == Array("ok".utf8))
        #expect(peer.arrivals.map(\.method) == ["HEAD", "GET", "GET"])
    }

    @Test func bodyOverTheCapIsRejected() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient(configuration: .init(maxResponseBodyBytes: 1024))
            defer { client.shutdown() }
            let atLimit = try await client.execute(
                OutboundRequest(method: .get, url: server.url("/bytes/1024")))
            #expect(atLimit.body.count == 1024)
            let over = await outcome(
                client, OutboundRequest(method: .get, url: server.url("/bytes/100000")))
            #expect(over.failure == .responseTooLarge(limit: 1024))
        }
    }

    @Test func shutdownFailsInFlightTransfersAndLaterCalls() async throws {
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            let task = Task {
                await outcome(client, OutboundRequest(method: .get, url: server.url("/hold")))
            }
            var arrivals = server.arrivals.makeAsyncIterator()
            await arrivals.next()
            client.shutdown()
            #expect(await task.value.failure == .cancelled(sent: true))
            let later = await outcome(client, OutboundRequest(method: .get, url: server.url("/bytes/1")))
            #expect(later.failure == .cancelled(sent: false))
            client.shutdown()  // idempotent
        }
    }

    private func echo(_ suffix: String) -> HTTPField.Name { HTTPField.Name("x-echo-\(suffix)")! }
}

func outcome(_ client: CurlHTTPClient, _ request: OutboundRequest) async -> Result<
    InboundResponse, TransportError
> {
    do {
        return .success(try await client.execute(request))
    } catch {
        return .failure(error)
    }
}

extension Result {
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}

/// libcurl honours `http_proxy` from the environment by itself; the client must not, and must use a configured
/// proxy. The "proxy" is a port where nothing listens: a request sent there fails to connect.
@Suite(.serialized) struct ProxyTests {
    @Test func anEnvironmentProxyIsIgnored() async throws {
        let deadProxy = try LoopbackSocket.refusedPort()
        setenv("http_proxy", "http://127.0.0.1:\(deadProxy)", 1)
        setenv("ALL_PROXY", "http://127.0.0.1:\(deadProxy)", 1)
        defer {
            unsetenv("http_proxy")
            unsetenv("ALL_PROXY")
        }
        try await TestServer.run { server in
            let client = CurlHTTPClient()
            defer { client.shutdown() }
            let reply = try await client.execute(OutboundRequest(method: .get, url: server.url("/echo")))
            #expect(reply.status == .ok)
        }
    }

    @Test func aConfiguredProxyIsUsed() async throws {
        let deadProxy = try LoopbackSocket.refusedPort()
        try await TestServer.run { server in
            var configuration = CurlHTTPClient.Configuration()
            configuration.proxy = "http://127.0.0.1:\(deadProxy)"
            let client = CurlHTTPClient(configuration: configuration)
            defer { client.shutdown() }
            await #expect(throws: TransportError.self) {
                _ = try await client.execute(OutboundRequest(method: .get, url: server.url("/echo")))
            }
        }
    }
}
