/// Appends a string's UTF-8 to a byte buffer, escaping the bytes a format needs escaped and copying the runs in
/// between in one go: per-byte appends were the largest self cost of rendering a sign's answer and audit record.
package enum EscapedRuns {
    @inlinable
    package static func append(
        _ text: String,
        to out: inout [UInt8],
        escaping needsEscape: (UInt8) -> Bool,
        with escape: (UInt8, inout [UInt8]) -> Void
    ) {
        var text = text
        text.withUTF8 { bytes in
            var runStart = 0
            for index in 0..<bytes.count where needsEscape(bytes[index]) {
                out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<index]))
                escape(bytes[index], &out)
                runStart = index + 1
            }
            out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[runStart..<bytes.count]))
        }
    }
}
