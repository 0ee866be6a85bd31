import Foundation
import GatewayHTTP
import HTTPTypes
import Storage
import Testing

/// The audited source address behind a reverse proxy: `X-Forwarded-For` counts only from a trusted proxy.
@Suite struct ForwardedForTests {
    static let forwardedFor = HTTPField.Name("X-Forwarded-For")!

    static func lastSource(_ h: Harness, forwarded: String, in field: HTTPField.Name = Self.forwardedFor)
        async throws -> String?
    {
        let reply = try await h.send(
            .get, "/v1/instances/ttd/signing-app/\(Harness.demoA)/signees",
            headers: [.authorization: "Bearer \(h.clientKey)", field: forwarded])
        #expect(reply.status == 200)
        return try await h.store.auditRecords(after: 0, limit: 100, filter: AuditFilter()).last?.entry.sourceAddress
    }

    @Test func fromATrustedProxyTheNearestUntrustedHopIsTheCaller() async throws {
        var options = Harness.Options()
        options.trustedProxies = ["127.0.0.0/8", "10.0.0.0/8"]
        try await Harness.run(options) { h in
            // The client, then an inner proxy (trusted) that appended it.
            let viaInner = try await Self.lastSource(h, forwarded: "203.0.113.7, 10.1.2.3")
            #expect(viaInner == "203.0.113.7")
            // A value the client wrote itself sits left of what the proxy appended: not taken.
            let spoofed = try await Self.lastSource(h, forwarded: "198.51.100.1, 203.0.113.9")
            #expect(spoofed == "203.0.113.9")
            // Malformed: the peer stays.
            let malformed = try await Self.lastSource(h, forwarded: "not-an-address")
            #expect(malformed == "127.0.0.1")
        }
    }

    @Test func withoutTrustedProxiesTheHeaderIsIgnored() async throws {
        try await Harness.run { h in
            let ignored = try await Self.lastSource(h, forwarded: "203.0.113.7")
            #expect(ignored == "127.0.0.1")
        }
    }

    @Test("RFC 7239 Forwarded, when the proxies are said to write it; then X-Forwarded-For is ignored")
    func rfc7239Forwarded() async throws {
        var options = Harness.Options()
        options.trustedProxies = ["127.0.0.0/8", "10.0.0.0/8"]
        options.forwardedHeader = .forwarded
        let forwarded = HTTPField.Name("Forwarded")!
        try await Harness.run(options) { h in
            let v4 = try await Self.lastSource(
                h, forwarded: #"for="198.51.100.4:47011";proto=https, for=10.1.2.3"#, in: forwarded)
            #expect(v4 == "198.51.100.4")
            let v6 = try await Self.lastSource(
                h, forwarded: #"For="[2001:db8:cafe::17]:4711";by=10.0.0.1"#, in: forwarded)
            #expect(v6 == "2001:db8:cafe::17")
            // An obfuscated or unknown node is no address: the peer stays.
            let hidden = try await Self.lastSource(h, forwarded: "for=_hidden, for=10.1.2.3", in: forwarded)
            #expect(hidden == "127.0.0.1")
            // The header the proxies do not write comes from the caller: never read.
            let other = try await Self.lastSource(h, forwarded: "203.0.113.7")
            #expect(other == "127.0.0.1")
        }
    }
}
