import Foundation
import HTTPTypes
import Testing

/// Slow clients: a request head or body trickled a byte at a time is cut off by the gateway's deadlines, and the
/// gateway goes on serving everyone else.
@Suite struct SlowClientTests {
    static var options: Harness.Options {
        var options = Harness.Options()
        options.idleTimeout = .seconds(1)
        options.bodyTimeout = .seconds(1)
        return options
    }

    @Test func aTrickledHeadIsCutOff() async throws {
        try await Harness.run(Self.options) { h in
            let port = try #require(URLComponents(string: h.gatewayURL)?.port)
            // About 12 s of head at this pace; the deadline is 1 s.
            let head = Array(
                "GET /v1/instances/ttd/signing-app/\(Harness.demoA)/signees HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
            let closed = try await RawHTTP.trickle(port: port, prefix: [], trickle: head, pause: .milliseconds(150))
            #expect(closed)
            #expect(try await h.signees(Harness.demoA).status == 200)
        }
    }

    @Test func aTrickledBodyIsCutOff() async throws {
        try await Harness.run(Self.options) { h in
            let port = try #require(URLComponents(string: h.gatewayURL)?.port)
            let body = Array(#"{"app":"ttd/signing-app","instanceId":"\#(Harness.demoA)","mode":"parallel"}"#.utf8)
            let head = Array(
                ("POST /v1/signatures HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \(h.clientKey)\r\n"
                    + "Content-Type: application/json\r\nIdempotency-Key: \"slow-1\"\r\nContent-Length: \(body.count)\r\n\r\n")
                    .utf8)
            let closed = try await RawHTTP.trickle(port: port, prefix: head, trickle: body, pause: .milliseconds(150))
            #expect(closed)
            // Nothing was signed for the cut-off request, and others are served.
            #expect(await h.signCalls(Harness.demoA) == 0)
            #expect(try await h.sign(Harness.demoA).status == 200)
        }
    }
}
