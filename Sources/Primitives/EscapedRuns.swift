/// Appends a string's UTF-8 to a byte buffer, escaping the bytes JSON needs escaped (control bytes, `"` and `\`,
/// and DEL where asked) and copying the runs in between in one go.
///
/// It looks at eight bytes at a time: most strings the gateway writes (ids, URLs, names, timestamps) have nothing
/// to escape, and a test per byte through a closure was a sign's largest self cost in rendering JSON
/// (`bench/profile.sh callgrind`).
package enum EscapedRuns {
    @inlinable
    package static func append(
        _ text: String,
        to out: inout [UInt8],
        escapingDelete: Bool,
        with escape: (UInt8, inout [UInt8]) -> Void
    ) {
        var text = text
        text.withUTF8 { bytes in
            guard let base = bytes.baseAddress else { return }
            let count = bytes.count
            var runStart = 0
            var index = 0
            while index < count {
                // A word with no byte to escape is skipped whole; a word with one is looked at byte by byte.
                if index + 8 <= count,
                    !wordNeedsEscape(UnsafeRawPointer(base + index).loadUnaligned(as: UInt64.self), escapingDelete)
                {
                    index += 8
                    continue
                }
                let end = min(index + 8, count)
                while index < end {
                    let byte = base[index]
                    if byte < 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\")
                        || (escapingDelete && byte == 0x7F)
                    {
                        out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: index - runStart))
                        escape(byte, &out)
                        runStart = index + 1
                    }
                    index += 1
                }
            }
            out.append(contentsOf: UnsafeBufferPointer(start: base + runStart, count: count - runStart))
        }
    }

    /// Whether any of the eight bytes is below 0x20, `"`, `\` or (`delete`) 0x7F: the classic word tests for a
    /// zero byte (`(x - 0x01…) & ~x & 0x80…`, after XOR with the byte sought) and for a byte below n
    /// (`(x - n·0x01…) & ~x & 0x80…`, exact for n ≤ 0x80), which answer exactly whether the word holds one.
    @inlinable
    package static func wordNeedsEscape(_ word: UInt64, _ delete: Bool) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        @inline(__always) func zeroByte(_ value: UInt64) -> UInt64 { (value &- ones) & ~value & highs }
        var found = (word &- ones &* 0x20) & ~word & highs
        found |= zeroByte(word ^ (ones &* 0x22))
        found |= zeroByte(word ^ (ones &* 0x5C))
        if delete { found |= zeroByte(word ^ (ones &* 0x7F)) }
        return found != 0
    }
}
