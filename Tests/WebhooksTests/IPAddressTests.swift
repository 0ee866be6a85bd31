import Testing
import Webhooks

@Suite struct IPAddressTests {
    @Test(arguments: [
        ("0.0.0.0", "0.0.0.0"),
        ("192.168.1.10", "192.168.1.10"),
        ("255.255.255.255", "255.255.255.255"),
        ("::", "::"),
        ("::1", "::1"),
        ("[::1]", "::1"),
        ("1::", "1::"),
        ("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1"),
        ("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"),
        ("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"),
        ("2001:0:0:1:0:0:0:1", "2001:0:0:1::1"),
        ("::ffff:10.0.0.5", "::ffff:10.0.0.5"),
        ("::FFFF:0a00:0005", "::ffff:10.0.0.5"),
        ("64:ff9b::10.0.0.1", "64:ff9b::a00:1"),
        ("fe80::1:2:3:4", "fe80::1:2:3:4"),
    ])
    func parsesAndPrintsCanonically(text: String, canonical: String) throws {
        let address = try #require(IPAddress(text))
        #expect(address.description == canonical)
        #expect(IPAddress(canonical) == address)
    }

    @Test(arguments: [
        "", "1.2.3", "1.2.3.4.5", "256.1.1.1", "01.2.3.4", "1.2.3.-4", "1.2.3.4 ", "1..2.3", "0x7f.0.0.1",
        "2130706433", "::1::", ":::", "12345::", "g::", ":1::", "1:2:3:4:5:6:7:8:9", "1:2:3:4:5:6:7",
        "1:2:3:4:5:6:7::8",
        "fe80::1%eth0", "::1.2.3.4:5", "::256.0.0.1", "localhost", "[::1", "[10.0.0.1]x",
    ])
    func refusesMalformedText(text: String) {
        #expect(IPAddress(text) == nil)
    }

    @Test func bytesRoundTrip() throws {
        #expect(IPAddress(bytes: [127, 0, 0, 1]) == IPAddress("127.0.0.1"))
        #expect(IPAddress("10.1.2.3")?.bytes == [10, 1, 2, 3])
        let v6 = try #require(IPAddress("2001:db8::ff00:42:8329"))
        #expect(IPAddress(bytes: v6.bytes) == v6)
        #expect(v6.bytes.count == 16)
        #expect(IPAddress(bytes: [1, 2, 3]) == nil)
    }

    @Test func mappedIPv4() {
        #expect(IPAddress("::ffff:1.2.3.4")?.mappedIPv4 == 0x0102_0304)
        #expect(IPAddress("::1.2.3.4")?.mappedIPv4 == nil)
        #expect(IPAddress("1.2.3.4")?.mappedIPv4 == nil)
    }
}

@Suite struct IPNetworkTests {
    @Test(arguments: [
        ("127.0.0.0/8", "127.0.0.0/8"),
        ("10.1.2.3", "10.1.2.3/32"),
        ("10.1.2.3/8", "10.0.0.0/8"),
        ("0.0.0.0/0", "0.0.0.0/0"),
        ("::1/128", "::1/128"),
        ("::1", "::1/128"),
        ("fc00::/7", "fc00::/7"),
        ("fdff::1/7", "fc00::/7"),
    ])
    func parses(text: String, canonical: String) throws {
        #expect(try IPNetwork(parsing: text).description == canonical)
    }

    @Test(arguments: ["abc", "/8", "10.0.0/8", ""])
    func refusesBadAddresses(text: String) {
        #expect(throws: IPNetworkError.invalidAddress(text)) { try IPNetwork(parsing: text) }
    }

    @Test(arguments: ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x", "10.0.0.0/-1", "::/129", "::/0128", "10.0.0.0/8/8"])
    func refusesBadPrefixes(text: String) {
        #expect(throws: IPNetworkError.invalidPrefixLength(text)) { try IPNetwork(parsing: text) }
    }

    @Test func containment() throws {
        let loopback = try IPNetwork(parsing: "127.0.0.0/8")
        #expect(try loopback.contains(#require(IPAddress("127.255.0.1"))))
        #expect(try !loopback.contains(#require(IPAddress("128.0.0.1"))))
        #expect(try !loopback.contains(#require(IPAddress("::ffff:127.0.0.1"))))
        #expect(try IPNetwork(parsing: "0.0.0.0/0").contains(#require(IPAddress("203.0.113.9"))))
        #expect(try !IPNetwork(parsing: "0.0.0.0/0").contains(#require(IPAddress("::1"))))
        #expect(try IPNetwork(parsing: "fe80::/10").contains(#require(IPAddress("febf:ffff::1"))))
        #expect(try !IPNetwork(parsing: "fe80::/10").contains(#require(IPAddress("fec0::1"))))
        #expect(throws: IPNetworkError.self) { try IPNetwork(address: .v4(0), prefixLength: 33) }
    }
}
