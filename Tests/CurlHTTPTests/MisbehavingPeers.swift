import NIOCore
import NIOPosix
import Synchronization

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Raw loopback sockets for peers Hummingbird cannot imitate.
enum LoopbackSocket {
    /// A TCP socket bound to 127.0.0.1 on an ephemeral port. Returns (fd, port).
    static func bound() throws -> (fd: Int32, port: Int) {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw SocketError(step: "socket") }
        var address = loopback(port: 0)
        let bindResult = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard bindResult == 0 else {
            close(fd)
            throw SocketError(step: "bind")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let nameResult = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard nameResult == 0 else {
            close(fd)
            throw SocketError(step: "getsockname")
        }
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    /// A port on which nothing listens: bound once, then closed, so connecting is refused.
    static func refusedPort() throws -> Int {
        let (fd, port) = try bound()
        close(fd)
        return port
    }

    /// A listener whose accept queue is full and never drained: new SYNs are dropped by the
    /// kernel, so a connect attempt hangs until the client's connect timeout.
    /// Returns the listener and the filler sockets; close all of them when done.
    static func blackHole() throws -> (port: Int, fds: [Int32]) {
        let (listener, port) = try bound()
        guard listen(listener, 0) == 0 else {
            close(listener)
            throw SocketError(step: "listen")
        }
        var fds = [listener]
        // Backlog 0 admits one completed connection; two fillers make sure the queue is full.
        for _ in 0..<2 {
            #if canImport(Glibc)
                let filler = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            #else
                let filler = socket(AF_INET, SOCK_STREAM, 0)
                _ = fcntl(filler, F_SETFL, O_NONBLOCK)
            #endif
            var address = loopback(port: port)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    connect(filler, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
            fds.append(filler)
        }
        return (port, fds)
    }

    private static func loopback(port: Int) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        return address
    }

    struct SocketError: Error { let step: String }
}

/// Reads a request head, then closes the connection without a byte of response.
final class CloseAfterRequestHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    private var received: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = unwrapInboundIn(data)
        received.append(contentsOf: buffer.readableBytesView)
        if received.firstRange(of: Array("\r\n\r\n".utf8)) != nil {
            context.close(promise: nil)
        }
    }
}

enum CloseAfterRequestPeer {
    /// Runs `body` with the port of a server that hangs up on every request it reads.
    static func run<T: Sendable>(_ body: (Int) async throws -> T) async throws -> T {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(CloseAfterRequestHandler())
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        do {
            let result = try await body(channel.localAddress?.port ?? 0)
            try await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }
}

/// An HTTP/1.1 peer that answers `200 ok` with keep-alive, except for requests it is told to drop: it reads
/// such a request whole (as a server that processed it would) and then closes the connection without a
/// byte of answer, with a FIN or a reset. Every complete request it read is logged, so a test can count
/// what reached the peer.
final class DroppingPeer: Sendable {
    enum Hangup: Sendable { case fin, reset }

    struct Arrival: Sendable, Equatable {
        var method: String
        /// Requests this connection had answered before this one: above 0 means a warm connection.
        var answeredBefore: Int
    }

    private struct State {
        var dropsLeft: [String: Int]
        var arrivals: [Arrival] = []
    }
    private let state: Mutex<State>
    let hangup: Hangup

    init(drop method: String, times: Int = 1, hangup: Hangup = .fin) {
        state = Mutex(State(dropsLeft: [method: times]))
        self.hangup = hangup
    }

    var arrivals: [Arrival] { state.withLock { $0.arrivals } }

    /// Logs the arrival and says whether to hang up on it.
    fileprivate func arrived(_ arrival: Arrival) -> Bool {
        state.withLock { state in
            state.arrivals.append(arrival)
            guard let left = state.dropsLeft[arrival.method], left > 0 else { return false }
            state.dropsLeft[arrival.method] = left - 1
            return true
        }
    }

    func run<T: Sendable>(_ body: (Int) async throws -> T) async throws -> T {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(DroppingPeerHandler(peer: self))
                }
            }
            .bind(host: "127.0.0.1", port: 0)
            .get()
        do {
            let result = try await body(channel.localAddress?.port ?? 0)
            try await channel.close()
            return result
        } catch {
            try? await channel.close()
            throw error
        }
    }
}

private final class DroppingPeerHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer
    private let peer: DroppingPeer
    private var pending: [UInt8] = []
    private var answered = 0

    init(peer: DroppingPeer) { self.peer = peer }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        pending.append(contentsOf: unwrapInboundIn(data).readableBytesView)
        while let (method, length) = completeRequest() {
            pending.removeFirst(length)
            if peer.arrived(.init(method: method, answeredBefore: answered)) {
                if peer.hangup == .reset, let socket = context.channel as? any SocketOptionProvider {
                    // SO_LINGER 0: close() sends RST instead of FIN.
                    let channel = context.channel
                    socket.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in
                        channel.close(promise: nil)
                    }
                } else {
                    context.close(promise: nil)
                }
                return
            }
            answered += 1
            var reply = context.channel.allocator.buffer(capacity: 64)
            reply.writeString("HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
            context.writeAndFlush(wrapOutboundOut(reply), promise: nil)
        }
    }

    /// The method and byte length of the first complete request in `pending` (head plus Content-Length body).
    private func completeRequest() -> (String, Int)? {
        guard let headEnd = pending.firstRange(of: Array("\r\n\r\n".utf8)) else { return nil }
        let head = String(decoding: pending[..<headEnd.lowerBound], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let method = lines.first.map { String($0.split(separator: " ").first ?? "") } ?? ""
        let contentLength =
            lines.dropFirst().compactMap { line -> Int? in
                let parts = line.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, parts[0].lowercased() == "content-length" else { return nil }
                return Int(parts[1].filter { $0 != " " })
            }.first ?? 0
        let total = headEnd.upperBound + contentLength
        return pending.count >= total ? (method, total) : nil
    }
}
