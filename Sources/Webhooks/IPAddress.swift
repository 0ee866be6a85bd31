/// An IPv4 or IPv6 address, independent of any networking library.
///
/// The parser is strict on purpose: IPv4 is exactly four decimal octets without leading zeros
/// (`010.0.0.1` is octal to `inet_aton`, so accepting it here would disagree with the resolver).
/// Anything else is handed to the resolver and checked after resolution.
package enum IPAddress: Sendable, Hashable {
    case v4(UInt32)
    /// The 16 address bytes, big-endian.
    case v6(UInt128)

    /// Parses dotted-quad IPv4 or RFC 4291 IPv6 text (optionally in URL brackets). Zone ids
    /// (`fe80::1%eth0`) are refused.
    package init?(_ text: String) {
        var body = Substring(text)
        if body.hasPrefix("["), body.hasSuffix("]") { body = body.dropFirst().dropLast() }
        if let v4 = Self.parseV4(body) {
            self = .v4(v4)
        } else if let v6 = Self.parseV6(body) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    /// From 4 or 16 network-order bytes, as `getaddrinfo` returns them.
    package init?(bytes: some Collection<UInt8>) {
        switch bytes.count {
        case 4: self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16: self = .v6(bytes.reduce(0) { $0 << 8 | UInt128($1) })
        default: return nil
        }
    }

    /// Network-order bytes: 4 for IPv4, 16 for IPv6.
    package var bytes: [UInt8] {
        switch self {
        case .v4(let value): (0..<4).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        case .v6(let value): (0..<16).reversed().map { UInt8(truncatingIfNeeded: value >> ($0 * 8)) }
        }
    }

    /// For an IPv4-mapped address (`::ffff:a.b.c.d`), the IPv4 address it stands for.
    package var mappedIPv4: UInt32? {
        guard case .v6(let value) = self, value >> 32 == 0xffff else { return nil }
        return UInt32(truncatingIfNeeded: value)
    }

    static func parseV4(_ text: Substring) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false)
        guard octets.count == 4 else { return nil }
        var value: UInt32 = 0
        for octet in octets {
            guard (1...3).contains(octet.count), octet.utf8.allSatisfy(\.isASCIIDigit),
                octet == "0" || !octet.hasPrefix("0"), let number = UInt32(octet), number <= 255
            else { return nil }
            value = value << 8 | number
        }
        return value
    }

    static func parseV6(_ text: Substring) -> UInt128? {
        let compressions = text.ranges(of: "::")
        let groups: [UInt16]
        switch compressions.count {
        case 0:
            guard let all = parseGroups(text, ipv4TailAllowed: true), all.count == 8 else { return nil }
            groups = all
        case 1:
            let gap = compressions[0]
            guard let head = parseGroups(text[..<gap.lowerBound], ipv4TailAllowed: false),
                let tail = parseGroups(text[gap.upperBound...], ipv4TailAllowed: true),
                head.count + tail.count <= 7
            else { return nil }
            groups = head + Array(repeating: 0, count: 8 - head.count - tail.count) + tail
        default:
            return nil
        }
        return groups.reduce(0) { $0 << 16 | UInt128($1) }
    }

    /// Colon-separated hex groups; the last may be a dotted IPv4 address counting as two groups.
    private static func parseGroups(_ text: Substring, ipv4TailAllowed: Bool) -> [UInt16]? {
        guard !text.isEmpty else { return [] }
        let pieces = text.split(separator: ":", omittingEmptySubsequences: false)
        var groups: [UInt16] = []
        for (index, piece) in pieces.enumerated() {
            if ipv4TailAllowed, index == pieces.count - 1, piece.contains(".") {
                guard let v4 = parseV4(piece) else { return nil }
                groups += [UInt16(v4 >> 16), UInt16(truncatingIfNeeded: v4)]
            } else {
                guard (1...4).contains(piece.count), piece.utf8.allSatisfy(\.isASCIIHexDigit),
                    let group = UInt16(piece, radix: 16)
                else { return nil }
                groups.append(group)
            }
        }
        return groups
    }
}

extension IPAddress: CustomStringConvertible {
    /// Dotted quad for IPv4; RFC 5952 canonical text for IPv6 (`::ffff:a.b.c.d` for mapped).
    package var description: String {
        switch self {
        case .v4(let value):
            return Self.dotted(value)
        case .v6(let value):
            if let v4 = mappedIPv4 { return "::ffff:" + Self.dotted(v4) }
            let groups = (0..<8).reversed().map { UInt16(truncatingIfNeeded: value >> ($0 * 16)) }
            let run = Self.longestZeroRun(groups)
            func hex(_ slice: ArraySlice<UInt16>) -> String {
                slice.map { String($0, radix: 16) }.joined(separator: ":")
            }
            guard let run else { return hex(groups[...]) }
            return hex(groups[..<run.lowerBound]) + "::" + hex(groups[run.upperBound...])
        }
    }

    private static func dotted(_ value: UInt32) -> String {
        (0..<4).reversed().map { String(UInt8(truncatingIfNeeded: value >> ($0 * 8))) }.joined(separator: ".")
    }

    /// RFC 5952 §4.2: compress the longest run of two or more zero groups, the first on a tie.
    private static func longestZeroRun(_ groups: [UInt16]) -> Range<Int>? {
        var best: Range<Int>?
        var start: Int?
        for index in 0...groups.count {
            if index < groups.count, groups[index] == 0 {
                if start == nil { start = index }
            } else if let runStart = start {
                if index - runStart >= 2, index - runStart > (best?.count ?? 0) { best = runStart..<index }
                start = nil
            }
        }
        return best
    }
}

extension UInt8 {
    fileprivate var isASCIIDigit: Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(self) }
    fileprivate var isASCIIHexDigit: Bool {
        isASCIIDigit || (UInt8(ascii: "a")...UInt8(ascii: "f")).contains(self | 0x20)
    }
}
