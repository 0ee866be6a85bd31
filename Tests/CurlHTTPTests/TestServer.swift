import Hummingbird
import Logging
import NIOCore
import NIOPosix
import Synchronization

/// Request context that remembers which client connection (remote port) carried the request.
struct ConnectionContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let remotePort: Int?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.remotePort = source.channel.remoteAddress?.port
    }
}

/// A latch handlers can wait on until the test opens it; opened at teardown so no handler outlives the test.
final class Gate: Sendable {
    private let state = Mutex<(open: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

    func wait() async {
        await withCheckedContinuation { continuation in
            let resumeNow = state.withLock { state in
                if state.open { return true }
                state.waiters.append(continuation)
                return false
            }
            if resumeNow { continuation.resume() }
        }
    }

    func open() {
        let waiters = state.withLock { state in
            state.open = true
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume() }
    }
}

/// A real Hummingbird server on 127.0.0.1 with an ephemeral port.
struct TestServer: Sendable {
    let port: Int
    /// Yields once each time a `/hold` request has fully arrived.
    let arrivals: AsyncStream<Void>
    let gate: Gate

    func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    static func run<T: Sendable>(_ body: @Sendable (TestServer) async throws -> T) async throws -> T {
        let gate = Gate()
        let (arrivals, arrived) = AsyncStream.makeStream(of: Void.self)
        let (ports, portSink) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: makeRouter(gate: gate, arrived: arrived),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? 0)
                portSink.finish()
            },
            logger: quietLogger
        )
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await app.runService(gracefulShutdownSignals: []) }
            defer {
                gate.open()
                group.cancelAll()
            }
            var iterator = ports.makeAsyncIterator()
            guard let port = await iterator.next(), port != 0 else { throw ServerStartFailed() }
            return try await body(TestServer(port: port, arrivals: arrivals, gate: gate))
        }
    }

    struct ServerStartFailed: Error {}

    /// Teardown by cancellation makes Hummingbird log errors that are expected here.
    private static let quietLogger: Logger = {
        var logger = Logger(label: "curl-http-test-server")
        logger.logLevel = .critical
        return logger
    }()

    private static func makeRouter(gate: Gate, arrived: AsyncStream<Void>.Continuation) -> Router<
        ConnectionContext
    > {
        let router = Router(context: ConnectionContext.self)
        for method in [HTTPRequest.Method.get, .post, .put, .delete, .patch] {
            router.on("/echo", method: method) { request, _ in
                let body = try await request.body.collect(upTo: 1 << 20)
                var headers = HTTPFields()
                headers[.init("x-echo-method")!] = request.method.rawValue
                headers[.init("x-echo-test")!] = request.headers[.init("x-test")!] ?? "none"
                headers[.init("x-echo-content-type")!] = request.headers[.contentType] ?? "none"
                headers[.init("x-echo-content-length")!] = request.headers[.contentLength] ?? "none"
                headers[.init("x-echo-expect")!] = request.headers[.expect] ?? "none"
                headers[.contentType] = "application/octet-stream"
                return Response(status: .ok, headers: headers, body: .init(byteBuffer: body))
            }
        }
        router.get("/status/:code") { _, context in
            let code = try context.parameters.require("code", as: Int.self)
            return Response(
                status: .init(code: code), body: .init(byteBuffer: ByteBuffer(string: "status \(code)")))
        }
        router.get("/bytes/:count") { _, context in
            let count = try context.parameters.require("count", as: Int.self)
            return Response(
                status: .ok, body: .init(byteBuffer: ByteBuffer(repeating: UInt8(ascii: "x"), count: count))
            )
        }
        router.get("/conn") { _, context in
            Response(
                status: .ok, body: .init(byteBuffer: ByteBuffer(string: "\(context.remotePort ?? -1)")))
        }
        router.get("/hold") { _, _ in
            arrived.yield()
            await gate.wait()
            return Response(status: .ok, body: .init(byteBuffer: ByteBuffer(string: "released")))
        }
        return router
    }
}
