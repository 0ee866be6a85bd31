/// The `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header): an RFC 8941
/// sf-string (`"…"`), or, leniently, a bare token. At most 255 characters, printable ASCII only.
package struct IdempotencyKey: Sendable, Hashable, CustomStringConvertible {
    package let value: String

    package init(headerValue raw: String) throws(IdempotencyKeyError) {
        let text = raw.trimmingSpaces
        let bytes = Array(text.utf8)
        var key: [UInt8] = []
        if bytes.first == UInt8(ascii: "\"") {
            guard bytes.count >= 2, bytes.last == UInt8(ascii: "\"") else { throw .malformed }
            var index = 1
            while index < bytes.count - 1 {
                var byte = bytes[index]
                if byte == UInt8(ascii: "\\") {
                    index += 1
                    guard index < bytes.count - 1,
                        bytes[index] == UInt8(ascii: "\"") || bytes[index] == UInt8(ascii: "\\")
                    else { throw .malformed }
                    byte = bytes[index]
                } else if byte == UInt8(ascii: "\"") {
                    throw .malformed
                }
                guard (0x20...0x7E).contains(byte) else { throw .malformed }
                key.append(byte)
                index += 1
            }
        } else {
            guard bytes.allSatisfy(Self.isTokenByte) else { throw .malformed }
            key = bytes
        }
        guard !key.isEmpty else { throw .malformed }
        guard key.count <= 255 else { throw .tooLong }
        self.value = String(decoding: key, as: UTF8.self)
    }

    package var description: String { self.value }

    private static func isTokenByte(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
            || Array("-._~:/+=*!#$&'^`|%".utf8).contains(byte)
    }
}

package enum IdempotencyKeyError: Error, Sendable, Equatable {
    case malformed
    case tooLong
}

extension String {
    fileprivate var trimmingSpaces: String {
        var slice = Substring(self)
        while slice.first == " " || slice.first == "\t" { slice.removeFirst() }
        while slice.last == " " || slice.last == "\t" { slice.removeLast() }
        return String(slice)
    }
}
