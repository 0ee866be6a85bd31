import Foundation

/// Why a subscriber URL was refused. Descriptions are written for an RFC 9457 `detail` and
/// repeat at most 200 characters of what the caller sent.
package enum DestinationError: Error, Sendable, Equatable, CustomStringConvertible {
    case urlTooLong(length: Int)
    case invalidURL
    case unsupportedScheme(String)
    case missingHost
    case invalidHost(String)
    case userInfoNotAllowed
    case fragmentNotAllowed
    case invalidPort
    case unresolvable(String)
    /// A name such as `localhost` whose addresses are not all on the allow-list.
    case deniedHostname(String, allowListName: String)
    case deniedAddress(IPAddress, range: ReservedRange, allowListName: String)

    package var description: String {
        switch self {
        case .urlTooLong(let length):
            "the URL is \(length) characters long; at most \(DestinationPolicy.maxURLLength) are allowed"
        case .invalidURL:
            "the URL is not a valid absolute URL such as https://example.com/webhooks"
        case .unsupportedScheme(let scheme):
            "the URL scheme \"\(Clip.input(scheme))\" is not allowed; use https (or http)"
        case .missingHost:
            "the URL has no host"
        case .invalidHost(let host):
            "the URL host \"\(Clip.input(host))\" is not a valid host name or IP address"
        case .userInfoNotAllowed:
            "the URL must not contain a user name or password; put credentials elsewhere"
        case .fragmentNotAllowed:
            "the URL must not contain a fragment (#…)"
        case .invalidPort:
            "the URL port must be between 1 and 65535"
        case .unresolvable(let host):
            "the URL host \"\(Clip.input(host))\" could not be resolved"
        case .deniedHostname(let host, let allowListName):
            "the URL host \"\(Clip.input(host))\" names a local or metadata service; "
                + "to allow it, add the networks it resolves to to \(allowListName)"
        case .deniedAddress(_, let range, let allowListName):
            // Never the address the name resolved to: that would map the inside of the network for the caller.
            "the URL resolves to \(range.purpose); to allow it, add its network to \(allowListName)"
        }
    }
}

/// One special-purpose block that webhooks are not sent to by default.
package struct ReservedRange: Sendable, Hashable {
    package let network: IPNetwork
    /// Reads after "the URL resolves to 10.0.0.5, ": e.g. "a private address".
    package let purpose: String
}

/// A syntactically acceptable subscriber URL, taken apart.
package struct DestinationURL: Sendable, Hashable {
    package let string: String
    /// Lowercased: `http` or `https`.
    package let scheme: String
    /// Lowercased, without IPv6 brackets.
    package let host: String
    /// The explicit port, or 80/443 from the scheme.
    package let port: Int
}

/// A subscriber URL that passed every check, with the addresses it was vetted against. The
/// sender should connect to exactly these addresses (e.g. curl's `CURLOPT_RESOLVE`), or a DNS
/// answer that changes between vetting and connecting could still reach a private address.
package struct VettedDestination: Sendable, Hashable {
    package let url: String
    package let host: String
    package let port: Int
    package let addresses: [IPAddress]
}

/// SSRF guard for subscriber URLs: http(s) only, and no delivery to loopback, private,
/// link-local (cloud metadata), multicast or otherwise special addresses unless allowed.
package struct DestinationPolicy: Sendable {
    package static let maxURLLength = 2048

    /// Networks that may be reached even though they are reserved (e.g. `127.0.0.0/8` in tests).
    package var allowed: [IPNetwork]
    /// What an operator edits to allow a destination; named in refusals.
    package var allowListName: String

    package init(allowed: [IPNetwork] = [], allowListName: String = "the allowed destinations") {
        self.allowed = allowed
        self.allowListName = allowListName
    }

    // MARK: URL syntax

    package func checkURL(_ string: String) throws(DestinationError) -> DestinationURL {
        guard string.utf8.count <= Self.maxURLLength else { throw .urlTooLong(length: string.utf8.count) }
        guard let components = URLComponents(string: string), let rawScheme = components.scheme else {
            throw .invalidURL
        }
        let scheme = rawScheme.lowercased()
        guard scheme == "http" || scheme == "https" else { throw .unsupportedScheme(rawScheme) }
        guard components.percentEncodedUser == nil, components.percentEncodedPassword == nil else {
            throw .userInfoNotAllowed
        }
        guard let encodedHost = components.percentEncodedHost, !encodedHost.isEmpty else { throw .missingHost }
        // Percent-escapes in a host could decode differently here and in the HTTP client.
        guard !encodedHost.contains("%") else { throw .invalidHost(encodedHost) }
        guard components.fragment == nil else { throw .fragmentNotAllowed }
        if let port = components.port, !(1...65535).contains(port) { throw .invalidPort }
        var host = encodedHost.lowercased()
        if host.hasPrefix("["), host.hasSuffix("]") {
            host = String(host.dropFirst().dropLast())
            guard case .v6 = IPAddress(host) else { throw .invalidHost(encodedHost) }
        }
        return DestinationURL(
            string: string, scheme: scheme, host: host, port: components.port ?? (scheme == "https" ? 443 : 80))
    }

    // MARK: Addresses

    /// Refuses if any address is reserved and not inside an allowed network.
    package func check(addresses: [IPAddress]) throws(DestinationError) {
        for address in addresses where !isAllowed(address) {
            if let range = Self.reservedRange(containing: address) {
                throw .deniedAddress(address, range: range, allowListName: allowListName)
            }
        }
    }

    /// `check(addresses:)`, plus refusal by name: local and metadata names are only reachable
    /// when every address they resolve to is allowed.
    package func check(host: String, addresses: [IPAddress]) throws(DestinationError) {
        guard !addresses.isEmpty else { throw .unresolvable(host) }
        if Self.isReservedName(host), !addresses.allSatisfy(isAllowed) {
            throw .deniedHostname(host, allowListName: allowListName)
        }
        try check(addresses: addresses)
    }

    /// A literal IP is parsed directly; a name goes to the system resolver.
    package func resolve(host: String) async throws(DestinationError) -> [IPAddress] {
        if let literal = IPAddress(host) { return [literal] }
        // A NUL would end the C string early: getaddrinfo would resolve another name than the checked one.
        guard !host.isEmpty, !host.contains("\0"), let addresses = await HostResolver.resolve(host) else {
            throw .unresolvable(host)
        }
        return addresses
    }

    /// Syntax, resolution and address checks in one step.
    package func vet(_ url: String) async throws(DestinationError) -> VettedDestination {
        let destination = try checkURL(url)
        let addresses = try await resolve(host: destination.host)
        try check(host: destination.host, addresses: addresses)
        return VettedDestination(url: url, host: destination.host, port: destination.port, addresses: addresses)
    }

    private func isAllowed(_ address: IPAddress) -> Bool {
        let embedded = Self.embeddedIPv4(in: address).map(IPAddress.v4)
        return allowed.contains { network in
            network.contains(address) || embedded.map(network.contains) == true
        }
    }

    // MARK: Reserved space

    /// The reserved block an address falls in, looking through IPv6 forms that carry an IPv4
    /// address (mapped, compatible, NAT64, 6to4) so `::ffff:127.0.0.1` is loopback too.
    /// A carried IPv4 address is judged by the IPv4 rules before its carrier block is refused as a whole, so the
    /// more telling purpose (loopback, private) is the one reported.
    package static func reservedRange(containing address: IPAddress) -> ReservedRange? {
        if let range = reservedRanges.first(where: { $0.network.contains(address) }) { return range }
        if let v4 = embeddedIPv4(in: address), let range = reservedRanges.first(where: { $0.network.contains(.v4(v4)) })
        {
            return range
        }
        return refusedCarriers.first { $0.network.contains(address) }
    }

    static func embeddedIPv4(in address: IPAddress) -> UInt32? {
        guard case .v6(let value) = address else { return nil }
        let low32 = UInt32(truncatingIfNeeded: value)
        if value >> 32 == 0xffff || value >> 32 == 0 { return low32 }  // mapped, compatible
        if value >> 32 == 0x0064_ff9b << 64 { return low32 }  // NAT64 well-known prefix 64:ff9b::/96
        if value >> 112 == 0x2002 { return UInt32(truncatingIfNeeded: value >> 80) }  // 6to4 2002:V4ADDR::/48
        return nil
    }

    static func isReservedName(_ host: String) -> Bool {
        var name = host.lowercased()
        if name.hasSuffix(".") { name.removeLast() }
        return name == "localhost" || name.hasSuffix(".localhost") || name == "metadata"
            || name == "metadata.google.internal"
    }

    /// Ordered so the most specific purpose is reported (broadcast before reserved 240/4).
    package static let reservedRanges: [ReservedRange] = [
        v4(0, 0, 0, 0, 8, "a \"this network\" address"),
        v4(10, 0, 0, 0, 8, "a private address"),
        v4(100, 64, 0, 0, 10, "a carrier-grade NAT (shared) address"),
        v4(127, 0, 0, 0, 8, "a loopback address"),
        v4(169, 254, 0, 0, 16, "a link-local address (where cloud metadata services live)"),
        v4(172, 16, 0, 0, 12, "a private address"),
        v4(192, 0, 0, 0, 24, "an IETF protocol assignment address"),
        v4(192, 168, 0, 0, 16, "a private address"),
        v4(198, 18, 0, 0, 15, "a benchmarking address"),
        v4(224, 0, 0, 0, 4, "a multicast address"),
        v4(255, 255, 255, 255, 32, "the broadcast address"),
        v4(240, 0, 0, 0, 4, "a reserved address"),
        v6(0, 128, "the unspecified address"),
        v6(1, 128, "a loopback address"),
        v6(0xfc00 << 112, 7, "a unique local (private) address"),
        v6(0xfe80 << 112, 10, "a link-local address"),
        v6(0xfec0 << 112, 10, "a site-local address"),
        v6(0xff00 << 112, 8, "a multicast address"),
        // Local-use NAT64 (RFC 8215): where the IPv4 address sits depends on the local setup.
        v6(0x0064_ff9b_0001 << 80, 48, "a local-use NAT64 address"),
    ]

    /// Blocks refused whatever they carry, judged after the IPv4 address inside them.
    package static let refusedCarriers: [ReservedRange] = [
        // An IPv4-mapped address is never a real IPv6 destination: it only reaches the IPv4 host through the
        // local stack, so it is refused whatever IPv4 address it carries.
        v6(0xffff << 32, 96, "an IPv4-mapped address"),
        // Teredo tunnels to an IPv4 address and port of the relay's choosing.
        v6(0x2001_0000 << 96, 32, "a Teredo tunnel address"),
        // Discard-only (RFC 6666).
        v6(0x0100 << 112, 64, "a discard-only address"),
    ]

    private static func v4(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: UInt32, _ prefix: Int, _ purpose: String)
        -> ReservedRange
    {
        ReservedRange(
            network: IPNetwork(validated: .v4(a << 24 | b << 16 | c << 8 | d), prefixLength: prefix), purpose: purpose)
    }

    private static func v6(_ value: UInt128, _ prefix: Int, _ purpose: String) -> ReservedRange {
        ReservedRange(network: IPNetwork(validated: .v6(value), prefixLength: prefix), purpose: purpose)
    }
}
