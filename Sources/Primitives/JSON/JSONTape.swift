/// A JSON document checked against RFC 8259 and indexed in one pass, without building strings, numbers or
/// dictionaries: each value is a node with its byte range and the index just past its subtree, so a decoder can
/// skip whatever its model does not read. Strings and numbers are converted only when asked for.
struct JSONTape {
    enum Kind: UInt8 {
        case null, boolTrue, boolFalse, number, string, array, object
    }

    struct Node {
        var kind: Kind
        /// A string without escapes can be taken as its bytes.
        var escaped: Bool
        /// Byte range of the value; for a string, between the quotes.
        var start: Int32
        var end: Int32
        /// The index of the node after this value's subtree: the next sibling, or past the parent's end.
        var after: Int32
    }

    let bytes: [UInt8]
    private(set) var nodes: [Node] = []

    /// As Foundation's `JSONDecoder`, which refuses deeper nesting.
    static let maximumDepth = 512

    struct Invalid: Error {
        let offset: Int
        let reason: String
    }

    init(_ bytes: [UInt8]) throws(Invalid) {
        guard bytes.count < Int32.max else { throw Invalid(offset: 0, reason: "document too large") }
        self.bytes = bytes
        self.nodes.reserveCapacity(bytes.count / 8 + 4)
        try self.bytes.withUnsafeBufferPointer { buffer throws(Invalid) in
            var parser = Parser(bytes: buffer)
            parser.skipWhitespace()
            try parser.value(into: &self.nodes, depth: 0)
            parser.skipWhitespace()
            guard parser.index == buffer.count else {
                throw Invalid(offset: parser.index, reason: "unexpected content after the value")
            }
        }
    }

    private struct Parser {
        let bytes: UnsafeBufferPointer<UInt8>
        var index = 0

        init(bytes: UnsafeBufferPointer<UInt8>) {
            self.bytes = bytes
        }

        mutating func skipWhitespace() {
            while index < bytes.count {
                switch bytes[index] {
                case 0x20, 0x0A, 0x0D, 0x09: index += 1
                default: return
                }
            }
        }

        func fail(_ reason: String) -> Invalid {
            Invalid(offset: index, reason: reason)
        }

        mutating func value(into nodes: inout [Node], depth: Int) throws(Invalid) {
            guard index < bytes.count else { throw fail("unexpected end of the document") }
            switch bytes[index] {
            case UInt8(ascii: "{"): try container(into: &nodes, depth: depth, object: true)
            case UInt8(ascii: "["): try container(into: &nodes, depth: depth, object: false)
            case UInt8(ascii: "\""): try string(into: &nodes)
            case UInt8(ascii: "t"): try literal("true", .boolTrue, into: &nodes)
            case UInt8(ascii: "f"): try literal("false", .boolFalse, into: &nodes)
            case UInt8(ascii: "n"): try literal("null", .null, into: &nodes)
            default: try number(into: &nodes)
            }
        }

        private mutating func container(into nodes: inout [Node], depth: Int, object: Bool) throws(Invalid) {
            guard depth < JSONTape.maximumDepth else { throw fail("nested too deeply") }
            let slot = nodes.count
            nodes.append(Node(kind: object ? .object : .array, escaped: false, start: Int32(index), end: 0, after: 0))
            let close = object ? UInt8(ascii: "}") : UInt8(ascii: "]")
            index += 1
            skipWhitespace()
            if index < bytes.count, bytes[index] == close {
                index += 1
            } else {
                while true {
                    if object {
                        guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                            throw fail("expected a member name")
                        }
                        try string(into: &nodes)
                        skipWhitespace()
                        guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw fail("expected ':'") }
                        index += 1
                        skipWhitespace()
                    }
                    try value(into: &nodes, depth: depth + 1)
                    skipWhitespace()
                    guard index < bytes.count else { throw fail("unexpected end of the document") }
                    if bytes[index] == UInt8(ascii: ",") {
                        index += 1
                        skipWhitespace()
                        continue
                    }
                    guard bytes[index] == close else { throw fail("expected ',' or the container's end") }
                    index += 1
                    break
                }
            }
            nodes[slot].end = Int32(index)
            nodes[slot].after = Int32(nodes.count)
        }

        private mutating func literal(_ word: StaticString, _ kind: Kind, into nodes: inout [Node]) throws(Invalid) {
            let count = word.utf8CodeUnitCount
            guard index + count <= bytes.count else { throw fail("invalid literal") }
            let text = UnsafeBufferPointer(start: word.utf8Start, count: count)
            for offset in 0..<count where bytes[index + offset] != text[offset] { throw fail("invalid literal") }
            nodes.append(
                Node(
                    kind: kind, escaped: false, start: Int32(index), end: Int32(index + count),
                    after: Int32(nodes.count + 1)))
            index += count
        }

        private mutating func digits() -> Int {
            let start = index
            while index < bytes.count, (0x30...0x39).contains(bytes[index]) { index += 1 }
            return index - start
        }

        private mutating func number(into nodes: inout [Node]) throws(Invalid) {
            let start = index
            if index < bytes.count, bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, (0x30...0x39).contains(bytes[index]) else { throw fail("invalid value") }
            if bytes[index] == 0x30 {
                index += 1
                guard index >= bytes.count || !(0x30...0x39).contains(bytes[index]) else {
                    throw fail("a number has no leading zeros")
                }
            } else {
                _ = digits()
            }
            if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
                index += 1
                guard digits() > 0 else { throw fail("expected a digit after '.'") }
            }
            if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
                index += 1
                if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
                    index += 1
                }
                guard digits() > 0 else { throw fail("expected a digit in the exponent") }
            }
            nodes.append(
                Node(
                    kind: .number, escaped: false, start: Int32(start), end: Int32(index), after: Int32(nodes.count + 1)
                ))
        }

        /// Checks escapes and UTF-8 here, so that decoding a string later cannot fail.
        private mutating func string(into nodes: inout [Node]) throws(Invalid) {
            index += 1
            let start = index
            var escaped = false
            while true {
                // Plain ASCII, by far the most of any answer: eight bytes at a time while a word has no control
                // byte, quote, backslash or byte of a multi-byte sequence (the word tests of `EscapedRuns`), then
                // byte by byte.
                if let base = bytes.baseAddress {
                    while index + 8 <= bytes.count {
                        let word = UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self)
                        guard word & 0x8080_8080_8080_8080 == 0, !EscapedRuns.wordNeedsEscape(word, false) else {
                            break
                        }
                        index += 8
                    }
                }
                while index < bytes.count, bytes[index] &- 0x20 < 0x60, bytes[index] != 0x22, bytes[index] != 0x5C {
                    index += 1
                }
                guard index < bytes.count else { throw fail("unterminated string") }
                let byte = bytes[index]
                switch byte {
                case UInt8(ascii: "\""):
                    nodes.append(
                        Node(
                            kind: .string, escaped: escaped, start: Int32(start), end: Int32(index),
                            after: Int32(nodes.count + 1)))
                    index += 1
                    return
                case UInt8(ascii: "\\"):
                    escaped = true
                    try escape()
                case 0x00..<0x20:
                    throw fail("unescaped control character in a string")
                case 0x80...:
                    try utf8Sequence()
                default:
                    index += 1
                }
            }
        }

        private mutating func escape() throws(Invalid) {
            index += 1
            guard index < bytes.count else { throw fail("unterminated escape") }
            switch bytes[index] {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"),
                UInt8(ascii: "n"), UInt8(ascii: "r"), UInt8(ascii: "t"):
                index += 1
            case UInt8(ascii: "u"):
                let unit = try hexUnit()
                if (0xD800..<0xDC00).contains(unit) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"),
                        bytes[index + 1] == UInt8(ascii: "u")
                    else { throw fail("a high surrogate without its low surrogate") }
                    index += 1
                    guard (0xDC00..<0xE000).contains(try hexUnit()) else {
                        throw fail("a high surrogate without its low surrogate")
                    }
                } else if (0xDC00..<0xE000).contains(unit) {
                    throw fail("a low surrogate without its high surrogate")
                }
            default:
                throw fail("invalid escape")
            }
        }

        /// `index` at the `u` of `\uXXXX`; leaves it after the four digits.
        private mutating func hexUnit() throws(Invalid) -> UInt16 {
            guard index + 4 < bytes.count else { throw fail("incomplete \\u escape") }
            var unit: UInt16 = 0
            for offset in 1...4 {
                guard let digit = Hex.value(ofDigit: bytes[index + offset], uppercase: true) else {
                    throw fail("invalid \\u escape")
                }
                unit = unit << 4 | UInt16(digit)
            }
            index += 5
            return unit
        }

        /// One multi-byte UTF-8 sequence, as Unicode allows it (no overlong forms, no surrogates, ≤ U+10FFFF).
        private mutating func utf8Sequence() throws(Invalid) {
            let lead = bytes[index]
            let count: Int
            var low: UInt8 = 0x80
            var high: UInt8 = 0xBF
            switch lead {
            case 0xC2...0xDF: count = 1
            case 0xE0:
                count = 2
                low = 0xA0
            case 0xE1...0xEC, 0xEE...0xEF: count = 2
            case 0xED:
                count = 2
                high = 0x9F
            case 0xF0:
                count = 3
                low = 0x90
            case 0xF1...0xF3: count = 3
            case 0xF4:
                count = 3
                high = 0x8F
            default: throw fail("invalid UTF-8")
            }
            guard index + count < bytes.count else { throw fail("invalid UTF-8") }
            guard (low...high).contains(bytes[index + 1]) else { throw fail("invalid UTF-8") }
            for offset in stride(from: 2, through: count, by: 1) where !(0x80...0xBF).contains(bytes[index + offset]) {
                throw fail("invalid UTF-8")
            }
            index += count + 1
        }
    }

    // MARK: - Reading values (the tape is valid, so these do not fail)

    func string(at node: Int) -> String {
        let value = nodes[node]
        let range = Int(value.start)..<Int(value.end)
        guard value.escaped else { return String(decoding: bytes[range], as: UTF8.self) }
        return String(decoding: Self.unescape(bytes[range]), as: UTF8.self)
    }

    /// The value node of an object's member named `name`; the last one when a name repeats, as a dictionary
    /// built from the members would hold.
    func member(of object: Int, named name: UnsafeBufferPointer<UInt8>) -> Int? {
        nodes.withUnsafeBufferPointer { nodes in
            bytes.withUnsafeBufferPointer { bytes in
                let end = Int(nodes[object].after)
                var found: Int?
                var member = object + 1
                while member < end {
                    let key = nodes[member]
                    let start = Int(key.start)
                    if key.escaped {
                        if Self.unescape(self.bytes[start..<Int(key.end)]).elementsEqual(name) { found = member + 1 }
                    } else if Int(key.end) - start == name.count {
                        var offset = 0
                        while offset < name.count, bytes[start + offset] == name[offset] { offset += 1 }
                        if offset == name.count { found = member + 1 }
                    }
                    member = Int(nodes[member + 1].after)
                }
                return found
            }
        }
    }

    private static func unescape(_ slice: ArraySlice<UInt8>) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(slice.count)
        var index = slice.startIndex
        func unit(at start: Int) -> UInt32 {
            var value: UInt32 = 0
            for offset in 0..<4 {
                value = value << 4 | UInt32(Hex.value(ofDigit: slice[start + offset], uppercase: true) ?? 0)
            }
            return value
        }
        while index < slice.endIndex {
            let byte = slice[index]
            guard byte == UInt8(ascii: "\\") else {
                out.append(byte)
                index += 1
                continue
            }
            let code = slice[index + 1]
            index += 2
            switch code {
            case UInt8(ascii: "b"): out.append(0x08)
            case UInt8(ascii: "f"): out.append(0x0C)
            case UInt8(ascii: "n"): out.append(0x0A)
            case UInt8(ascii: "r"): out.append(0x0D)
            case UInt8(ascii: "t"): out.append(0x09)
            case UInt8(ascii: "u"):
                var scalar = unit(at: index)
                index += 4
                if (0xD800..<0xDC00).contains(scalar) {
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (unit(at: index + 2) - 0xDC00)
                    index += 6
                }
                out.append(contentsOf: String(Character(Unicode.Scalar(scalar) ?? "\u{FFFD}")).utf8)
            default: out.append(code)  // " \ /
            }
        }
        return out
    }

    /// A number written as an integer that fits `T`, read from its digits; nil for anything else.
    func integer<T: FixedWidthInteger>(at node: Int, as type: T.Type) -> T? {
        let value = nodes[node]
        var index = Int(value.start)
        let end = Int(value.end)
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        var result: T = 0
        while index < end {
            let digit = bytes[index] &- 0x30
            guard digit < 10 else { return nil }  // a fraction or an exponent
            let (shifted, overflow) = result.multipliedReportingOverflow(by: 10)
            let (next, overflow2) =
                negative ? shifted.subtractingReportingOverflow(T(digit)) : shifted.addingReportingOverflow(T(digit))
            guard !overflow, !overflow2 else { return nil }
            result = next
            index += 1
        }
        return result
    }

    func numberText(at node: Int) -> Substring {
        let value = nodes[node]
        return Substring(decoding: bytes[Int(value.start)..<Int(value.end)], as: UTF8.self)
    }
}
