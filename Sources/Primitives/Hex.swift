/// Lowercase hexadecimal, the one spelling the gateway writes (audit hashes, API key digests, event ids).
package enum Hex {
    /// Inlinable so that it is specialized for the caller's collection: through the generic `Sequence` witness, a
    /// digest's 32 bytes cost thousands of instructions (`bench/profile.sh callgrind`).
    @inlinable
    package static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        if let text = bytes.withContiguousStorageIfAvailable({ encode(buffer: UnsafeRawBufferPointer($0)) }) {
            return text
        }
        return Array(bytes).withUnsafeBytes { encode(buffer: $0) }
    }

    @usableFromInline
    static func encode(buffer: UnsafeRawBufferPointer) -> String {
        String(unsafeUninitializedCapacity: buffer.count * 2) { out in
            for (index, byte) in buffer.enumerated() {
                (out[2 * index], out[2 * index + 1]) = digits(of: byte)
            }
            return buffer.count * 2
        }
    }

    /// The two lowercase digits of `byte`, for escapes such as JSON's `\u00XX`.
    package static func digits(of byte: UInt8) -> (UInt8, UInt8) {
        func digit(_ nibble: UInt8) -> UInt8 { nibble < 10 ? 0x30 + nibble : 0x57 + nibble }
        return (digit(byte >> 4), digit(byte & 0x0F))
    }

    /// The value of one hexadecimal digit; uppercase only when `uppercase` (JSON's `\uXXXX` takes either).
    package static func value(ofDigit byte: UInt8, uppercase: Bool = false) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where uppercase: byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    /// Lowercase only: what the gateway wrote has one spelling, so accepting a second would admit two. Callers
    /// that take operator input in either case lowercase it first.
    package static func decode(_ text: String) -> [UInt8]? {
        let utf8 = Array(text.utf8)
        guard utf8.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(utf8.count / 2)
        var index = 0
        while index < utf8.count {
            guard let high = value(ofDigit: utf8[index]), let low = value(ofDigit: utf8[index + 1]) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }
}
