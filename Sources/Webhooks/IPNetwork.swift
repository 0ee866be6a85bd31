/// Why a CIDR string from configuration was refused.
package enum IPNetworkError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidAddress(String)
    case invalidPrefixLength(String)

    package var description: String {
        switch self {
        case .invalidAddress(let text):
            "\"\(Clip.input(text))\" is not an IP network (e.g. \"10.0.0.0/8\", \"::1/128\" or \"192.0.2.7\")"
        case .invalidPrefixLength(let text):
            "\"\(Clip.input(text))\" has an invalid prefix length (0–32 for IPv4, 0–128 for IPv6)"
        }
    }
}

/// A CIDR block such as `127.0.0.0/8` or `fc00::/7`; a bare address is a single-host network.
package struct IPNetwork: Sendable, Hashable {
    /// The first address of the block: host bits are always zero.
    package let address: IPAddress
    package let prefixLength: Int

    /// Host bits in the address are cleared, so `10.1.2.3/8` means `10.0.0.0/8`.
    package init(address: IPAddress, prefixLength: Int) throws(IPNetworkError) {
        guard (0...address.bitWidth).contains(prefixLength) else {
            throw .invalidPrefixLength("\(address)/\(prefixLength)")
        }
        self.init(validated: address, prefixLength: prefixLength)
    }

    package init(parsing text: String) throws(IPNetworkError) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(String(parts[0])) else { throw .invalidAddress(text) }
        guard parts.count == 2 else {
            self.init(validated: address, prefixLength: address.bitWidth)
            return
        }
        guard !parts[1].isEmpty, parts[1].count <= 3, parts[1].allSatisfy({ $0.isASCII && $0.isNumber }),
            let prefix = Int(parts[1]), prefix <= address.bitWidth
        else { throw .invalidPrefixLength(text) }
        self.init(validated: address, prefixLength: prefix)
    }

    /// For the built-in tables; the prefix length is clamped rather than checked.
    init(validated address: IPAddress, prefixLength: Int) {
        let prefix = min(max(prefixLength, 0), address.bitWidth)
        self.prefixLength = prefix
        switch address {
        case .v4(let value): self.address = .v4(value & Self.mask(prefix, of: UInt32.self))
        case .v6(let value): self.address = .v6(value & Self.mask(prefix, of: UInt128.self))
        }
    }

    /// Only addresses of the same family match: IPv4 inside IPv6 is the policy's business.
    package func contains(_ candidate: IPAddress) -> Bool {
        switch (address, candidate) {
        case (.v4(let network), .v4(let value)): value & Self.mask(prefixLength, of: UInt32.self) == network
        case (.v6(let network), .v6(let value)): value & Self.mask(prefixLength, of: UInt128.self) == network
        default: false
        }
    }

    private static func mask<T: FixedWidthInteger & UnsignedInteger>(_ prefix: Int, of _: T.Type) -> T {
        // Smart shift: shifting by the full width yields 0, which is the /0 mask.
        ~T.zero << (T.bitWidth - prefix)
    }
}

extension IPNetwork: CustomStringConvertible {
    package var description: String { "\(address)/\(prefixLength)" }
}

extension IPAddress {
    var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }
}
