import Dispatch

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Resolves a host name with the system resolver (`getaddrinfo`), the same one libcurl uses
/// by default, so what we vet is what a connection would reach.
enum HostResolver {
    /// `getaddrinfo` blocks for as long as DNS takes. Running it on a Dispatch queue keeps it off
    /// Swift's cooperative pool, whose few threads must never block.
    static func resolve(_ host: String) async -> [IPAddress]? {
        await withCheckedContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(returning: lookUp(host))
            }
        }
    }

    /// All addresses, both families, de-duplicated in resolver order; nil when resolution fails
    /// or yields nothing.
    private static func lookUp(_ host: String) -> [IPAddress]? {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        // One socket type, otherwise every address comes back once per type. No AI_ADDRCONFIG:
        // every address a connection might use has to be checked, configured family or not.
        #if os(Linux)
            hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
            hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        guard getaddrinfo(host, nil, &hints, &list) == 0, let first = list else { return nil }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var cursor: UnsafeMutablePointer<addrinfo>? = first
        while let entry = cursor?.pointee {
            cursor = entry.ai_next
            guard let address = entry.ai_addr.flatMap({ ipAddress($0, family: entry.ai_family) }),
                !addresses.contains(address)
            else { continue }
            addresses.append(address)
        }
        return addresses.isEmpty ? nil : addresses
    }

    private static func ipAddress(_ socketAddress: UnsafeMutablePointer<sockaddr>, family: Int32) -> IPAddress? {
        switch family {
        case AF_INET:
            let ipv4 = UnsafeRawPointer(socketAddress).loadUnaligned(as: sockaddr_in.self)
            return withUnsafeBytes(of: ipv4.sin_addr) { IPAddress(bytes: $0) }
        case AF_INET6:
            let ipv6 = UnsafeRawPointer(socketAddress).loadUnaligned(as: sockaddr_in6.self)
            return withUnsafeBytes(of: ipv6.sin6_addr) { IPAddress(bytes: $0) }
        default:
            return nil
        }
    }
}
