import Testing
import Webhooks

@Suite struct DestinationPolicyTests {
    let policy = DestinationPolicy(allowListName: "events.allowedDestinations")

    func address(_ text: String) throws -> IPAddress { try #require(IPAddress(text)) }

    func deniedRange(_ text: String, policy: DestinationPolicy? = nil) throws -> IPNetwork? {
        do {
            try (policy ?? self.policy).check(addresses: [address(text)])
            return nil
        } catch let error as DestinationError {
            guard case .deniedAddress(_, let range, _) = error else {
                Issue.record("\(text): expected .deniedAddress, got \(error)")
                return nil
            }
            return range.network
        }
    }

    // MARK: Reserved ranges

    @Test(arguments: [
        ("0.1.2.3", "0.0.0.0/8"),
        ("10.0.0.5", "10.0.0.0/8"),
        ("100.64.0.1", "100.64.0.0/10"),
        ("100.127.255.255", "100.64.0.0/10"),
        ("127.0.0.1", "127.0.0.0/8"),
        ("169.254.169.254", "169.254.0.0/16"),
        ("172.16.0.1", "172.16.0.0/12"),
        ("172.31.255.255", "172.16.0.0/12"),
        ("192.0.0.8", "192.0.0.0/24"),
        ("192.168.1.1", "192.168.0.0/16"),
        ("198.18.0.1", "198.18.0.0/15"),
        ("198.19.255.255", "198.18.0.0/15"),
        ("224.0.0.1", "224.0.0.0/4"),
        ("239.255.255.250", "224.0.0.0/4"),
        ("240.0.0.1", "240.0.0.0/4"),
        ("255.255.255.255", "255.255.255.255/32"),
        ("::", "::/128"),
        ("::1", "::1/128"),
        ("fc00::1", "fc00::/7"),
        ("fd12:3456::1", "fc00::/7"),
        ("fe80::1", "fe80::/10"),
        ("febf::1", "fe80::/10"),
        ("fec0::1", "fec0::/10"),
        ("ff02::1", "ff00::/8"),
        ("64:ff9b:1::1", "64:ff9b:1::/48"),
        // IPv4 carried inside IPv6 is judged by the IPv4 address.
        ("::ffff:127.0.0.1", "127.0.0.0/8"),
        ("::ffff:169.254.169.254", "169.254.0.0/16"),
        ("::10.0.0.1", "10.0.0.0/8"),
        ("64:ff9b::10.0.0.1", "10.0.0.0/8"),
        ("64:ff9b::7f00:1", "127.0.0.0/8"),
        ("2002:c0a8:101::1", "192.168.0.0/16"),
        // Refused whatever they carry: IPv4-mapped, Teredo, discard-only.
        ("::ffff:8.8.8.8", "::ffff:0:0/96"),
        ("2001::1", "2001::/32"),
        ("2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001::/32"),
        ("100::1", "100::/64"),
    ])
    func reservedAddressesAreDenied(address: String, network: String) throws {
        #expect(try deniedRange(address) == IPNetwork(parsing: network))
    }

    @Test(arguments: [
        "8.8.8.8", "1.1.1.1", "100.63.255.255", "100.128.0.0", "172.15.255.255", "172.32.0.0", "192.0.1.1",
        "192.167.255.255", "198.17.255.255", "198.20.0.0", "223.255.255.255", "169.253.255.255",
        "2606:4700:4700::1111", "2001:db8::1", "64:ff9b::8.8.8.8", "2002:808:808::1", "2001:1::1", "100:0:0:1::1",
    ])
    func publicAddressesPass(address: String) throws {
        #expect(try deniedRange(address) == nil)
    }

    @Test func anyDeniedAddressRefusesTheWholeSet() throws {
        #expect(throws: DestinationError.self) {
            try policy.check(addresses: [address("8.8.8.8"), address("10.0.0.1")])
        }
        try policy.check(addresses: [address("8.8.8.8"), address("2606:4700:4700::1111")])
    }

    @Test func allowedNetworksOverrideTheDenial() throws {
        let allowing = DestinationPolicy(allowed: [
            try IPNetwork(parsing: "127.0.0.0/8"), try IPNetwork(parsing: "fd00::/8"),
        ])
        try allowing.check(addresses: [address("127.0.0.1"), address("127.1.2.3"), address("fd00::5")])
        // An IPv4 allow-list entry also covers the IPv4-mapped and NAT64 forms of those addresses.
        try allowing.check(addresses: [address("::ffff:127.0.0.1"), address("64:ff9b::127.0.0.1")])
        #expect(try deniedRange("10.0.0.1", policy: allowing) == IPNetwork(parsing: "10.0.0.0/8"))
        #expect(try deniedRange("::1", policy: allowing) == IPNetwork(parsing: "::1/128"))
        #expect(try deniedRange("fc00::1", policy: allowing) == IPNetwork(parsing: "fc00::/7"))
    }

    @Test func deniedAddressDescriptionTellsWhatAndHowToAllow() throws {
        let ip = try address("10.0.0.5")
        let range = try #require(DestinationPolicy.reservedRange(containing: ip))
        let error = DestinationError.deniedAddress(ip, range: range, allowListName: "events.allowedDestinations")
        #expect(
            error.description
                == "the URL resolves to a private address; to allow it, add its network to events.allowedDestinations")
        #expect(!error.description.contains("10.0.0"))
    }

    // MARK: Names

    @Test(arguments: ["localhost", "LOCALHOST", "localhost.", "app.localhost", "metadata", "metadata.google.internal"])
    func localAndMetadataNamesAreDeniedEvenWithPublicAddresses(host: String) throws {
        #expect(throws: DestinationError.deniedHostname(host, allowListName: "events.allowedDestinations")) {
            try policy.check(host: host, addresses: [address("8.8.8.8")])
        }
    }

    @Test func ordinaryNamesAreJudgedByAddressOnly() throws {
        try policy.check(host: "notlocalhost.example", addresses: [address("8.8.8.8")])
        try policy.check(host: "metadata.example.com", addresses: [address("8.8.8.8")])
        #expect(throws: DestinationError.unresolvable("example.com")) {
            try policy.check(host: "example.com", addresses: [])
        }
    }

    // MARK: URL syntax

    @Test func acceptsHTTPAndHTTPSURLs() throws {
        let https = try policy.checkURL("https://Hooks.Example.COM/path?q=1")
        #expect(https.scheme == "https")
        #expect(https.host == "hooks.example.com")
        #expect(https.port == 443)
        let http = try policy.checkURL("HTTP://example.com:8080/x")
        #expect(http.scheme == "http")
        #expect(http.port == 8080)
        let literal = try policy.checkURL("http://[::1]:9000/")
        #expect(literal.host == "::1")
        #expect(literal.port == 9000)
        #expect(try policy.checkURL("http://10.0.0.1/").port == 80)
    }

    @Test(arguments: [
        ("ftp://example.com/", DestinationError.unsupportedScheme("ftp")),
        ("javascript:alert(1)", .unsupportedScheme("javascript")),
        ("file:///etc/passwd", .unsupportedScheme("file")),
        ("example.com/hook", .invalidURL),
        ("https://exa mple.com/", .invalidURL),
        ("", .invalidURL),
        ("https://user:pass@example.com/", .userInfoNotAllowed),
        ("https://user@example.com/", .userInfoNotAllowed),
        ("https://:pass@example.com/", .userInfoNotAllowed),
        ("https://example.com/#frag", .fragmentNotAllowed),
        ("https://example.com/#", .fragmentNotAllowed),
        ("https:///path", .missingHost),
        ("https:/path", .missingHost),
        ("https://example.com:0/", .invalidPort),
        ("https://%6c%6fcalhost/", .invalidHost("%6c%6fcalhost")),
    ])
    func refusesBadURLs(url: String, expected: DestinationError) {
        #expect(throws: expected) { try policy.checkURL(url) }
    }

    @Test func refusesOutOfRangePorts() {
        #expect(throws: DestinationError.self) { try policy.checkURL("https://example.com:70000/") }
    }

    @Test func refusesOverlongURLs() {
        let url = "https://example.com/" + String(repeating: "a", count: 2029)
        #expect(url.count == 2049)
        #expect(throws: DestinationError.urlTooLong(length: 2049)) { try policy.checkURL(url) }
        #expect(throws: Never.self) { try policy.checkURL(String(url.dropLast())) }
    }

    @Test func descriptionsEchoAtMostTwoHundredCharacters() {
        let huge = String(repeating: "z", count: 10_000)
        for error in [
            DestinationError.unsupportedScheme(huge), .invalidHost(huge), .unresolvable(huge),
            .deniedHostname(huge, allowListName: "x"),
        ] {
            #expect(error.description.count < 200 + 150)
            #expect(!error.description.contains(String(repeating: "z", count: 201)))
        }
        #expect(DestinationError.unresolvable("a\nb").description.contains("a?b"))
    }

    // MARK: Resolution

    @Test func literalAddressesAreNotLookedUp() async throws {
        #expect(try await policy.resolve(host: "10.0.0.1") == [address("10.0.0.1")])
        #expect(try await policy.resolve(host: "::1") == [address("::1")])
    }

    @Test func localhostResolvesToLoopbackAndIsRefused() async throws {
        let addresses = try await policy.resolve(host: "localhost")
        #expect(addresses.contains(try address("127.0.0.1")))
        await #expect(throws: DestinationError.deniedHostname("localhost", allowListName: "events.allowedDestinations"))
        {
            try await policy.vet("http://localhost:8080/hook")
        }
    }

    @Test func localhostIsAcceptedWhenLoopbackIsAllowed() async throws {
        // Many hosts files also map localhost to ::1, so both loopbacks are allowed.
        let allowing = DestinationPolicy(allowed: [
            try IPNetwork(parsing: "127.0.0.0/8"), try IPNetwork(parsing: "::1/128"),
        ])
        let vetted = try await allowing.vet("http://localhost:8080/hook")
        #expect(vetted.url == "http://localhost:8080/hook")
        #expect(vetted.host == "localhost")
        #expect(vetted.port == 8080)
        #expect(vetted.addresses.contains(try address("127.0.0.1")))
    }

    @Test func alternativeIPv4SpellingsAreCaughtAfterResolution() async {
        // "127.1" is not our literal syntax, but the resolver reads it as 127.0.0.1.
        await #expect {
            try await policy.vet("http://127.1/")
        } throws: { error in
            guard case DestinationError.deniedAddress(.v4(0x7F00_0001), _, _) = error else { return false }
            return true
        }
    }

    @Test func literalPrivateURLIsRefusedAndPublicLiteralPasses() async throws {
        await #expect {
            try await policy.vet("https://169.254.169.254/latest/meta-data/")
        } throws: { error in
            guard let denied = error as? DestinationError, case .deniedAddress(.v4(0xA9FE_A9FE), _, _) = denied else {
                return false
            }
            // The answer names the kind of address, not the address.
            return denied.description.contains("a link-local address") && !denied.description.contains("169.254")
        }
        let vetted = try await policy.vet("https://[2606:4700:4700::1111]/hook")
        #expect(vetted.addresses == [try address("2606:4700:4700::1111")])
        #expect(vetted.port == 443)
    }

    @Test func namesWithNULAreNotHandedToTheResolver() async {
        await #expect(throws: DestinationError.unresolvable("localhost\0.example.com")) {
            try await policy.resolve(host: "localhost\0.example.com")
        }
    }

    @Test func unresolvableNamesAreReported() async {
        await #expect(throws: DestinationError.unresolvable("no-such-host.invalid")) {
            try await policy.vet("https://no-such-host.invalid/hook")
        }
    }
}
