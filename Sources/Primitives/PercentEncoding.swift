/// RFC 3986 percent-encoding of a URL path segment or query value: the unreserved characters
/// (`A–Z a–z 0–9 - . _ ~`) stay, every other UTF-8 byte becomes `%XX` with uppercase digits, as Foundation's
/// `addingPercentEncoding(withAllowedCharacters:)` writes it. On the bytes: through Foundation, one data element id
/// cost a sign 30,000 instructions.
package enum PercentEncoding {
    package static func unreserved(_ value: String) -> String {
        let escapes = value.utf8.reduce(0) { $0 + (isUnreserved($1) ? 0 : 1) }
        if escapes == 0 { return value }
        return String(unsafeUninitializedCapacity: value.utf8.count + 2 * escapes) { out in
            var index = 0
            for byte in value.utf8 {
                if isUnreserved(byte) {
                    out[index] = byte
                    index += 1
                } else {
                    out[index] = UInt8(ascii: "%")
                    out[index + 1] = upperDigit(byte >> 4)
                    out[index + 2] = upperDigit(byte & 0x0F)
                    index += 3
                }
            }
            return index
        }
    }

    private static func isUnreserved(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
            UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
            UInt8(ascii: "~"):
            true
        default: false
        }
    }

    private static func upperDigit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x37 + nibble }
}
