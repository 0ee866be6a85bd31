import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// One HTTP/1.1 request written byte for byte on a fresh loopback socket: for request lines that a client
/// library would rewrite before sending (libcurl collapses `/../` unless told otherwise).
enum RawHTTP {
    /// Sends `GET {target}` with `headers` to 127.0.0.1:`port` and returns the status code of the answer.
    static func status(port: Int, target: String, headers: [String] = []) async throws -> Int {
        // Blocking socket calls run on a thread of their own: the gateway under test shares this process's
        // cooperative pool, and a blocked pool thread would starve it.
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(with: Result { try exchange(port: port, target: target, headers: headers) })
            }
        }
    }

    private static func exchange(port: Int, target: String, headers: [String]) throws -> Int {
        let fd = try connected(port: port)
        defer { close(fd) }
        let lines = ["GET \(target) HTTP/1.1", "Host: 127.0.0.1", "Connection: close"] + headers
        let request = Array((lines.joined(separator: "\r\n") + "\r\n\r\n").utf8)
        guard send(fd, request, request.count, 0) == request.count else { throw RawHTTPError.send }
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = recv(fd, &buffer, buffer.count, 0)
            if count <= 0 { break }
            answer.append(contentsOf: buffer[0..<count])
        }
        // "HTTP/1.1 404 Not Found"
        let statusLine = String(decoding: answer.prefix { $0 != 13 }, as: UTF8.self).split(separator: " ")
        guard statusLine.count >= 2, let status = Int(statusLine[1]) else { throw RawHTTPError.noStatusLine }
        return status
    }
}

enum RawHTTPError: Error { case socket, connect, send, noStatusLine }

extension RawHTTP {
    /// A blocking TCP socket connected to 127.0.0.1:`port`; the caller closes it.
    fileprivate static func connected(port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw RawHTTPError.socket }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard result == 0 else {
            close(fd)
            throw RawHTTPError.connect
        }
        return fd
    }
}

extension RawHTTP {
    /// Sends `prefix` at once, then `trickle` one byte per `pause`, until all is sent or the server closes the
    /// connection. Returns whether the server closed it before the last byte. Runs on a thread of its own.
    static func trickle(port: Int, prefix: [UInt8], trickle: [UInt8], pause: Duration) async throws -> Bool {
        try await withCheckedThrowingContinuation { continuation in
            Thread.detachNewThread {
                continuation.resume(
                    with: Result { try trickling(port: port, prefix: prefix, trickle: trickle, pause: pause) })
            }
        }
    }

    private static func trickling(port: Int, prefix: [UInt8], trickle: [UInt8], pause: Duration) throws -> Bool {
        let fd = try connected(port: port)
        defer { close(fd) }
        // MSG_NOSIGNAL: a write to a connection the server closed fails instead of raising SIGPIPE.
        if !prefix.isEmpty, send(fd, prefix, prefix.count, Int32(MSG_NOSIGNAL)) != prefix.count {
            return true
        }
        var scratch = [UInt8](repeating: 0, count: 4096)
        for byte in trickle {
            // The client's own pace, not a wait for the server.
            Thread.sleep(
                forTimeInterval: Double(pause.components.attoseconds) / 1e18 + Double(pause.components.seconds))
            // A closed connection reads as end-of-stream (0) or an error; an open one has nothing to read.
            let peeked = recv(fd, &scratch, scratch.count, Int32(MSG_DONTWAIT))
            if peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { return true }
            if send(fd, [byte], 1, Int32(MSG_NOSIGNAL)) != 1 { return true }
        }
        return false
    }
}
