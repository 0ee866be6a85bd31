import HTTPTypes

/// Collects response header fields from the lines libcurl hands to `CURLOPT_HEADERFUNCTION`
/// (one complete line per call, status lines included, for HTTP/1.x and HTTP/2 alike).
struct ResponseHeadParser {
    private(set) var fields = HTTPFields()
    /// Between a status line and the blank line that ends its header block. Lines outside a block
    /// are trailers, which are not response headers.
    private var inHeaderBlock = false
    /// The blank line that ends a final (non-1xx) header block arrived. libcurl reports a reply cut after
    /// its status line as a success with an empty body; this tells it apart.
    private(set) var headComplete = false

    mutating func consume(line: UnsafeRawBufferPointer) {
        let trimmed = Self.trim(line[...])
        if trimmed.starts(with: Self.statusPrefix) {
            // A new status line: whatever came before (e.g. `100 Continue`) was interim.
            fields = HTTPFields()
            inHeaderBlock = true
            headComplete = false
            return
        }
        guard inHeaderBlock else { return }
        guard !trimmed.isEmpty else {
            inHeaderBlock = false
            headComplete = true
            return
        }
        // Obsolete line folding (leading whitespace) and lines without a colon are malformed; skip them.
        guard let first = line.first, first != UInt8(ascii: " "), first != UInt8(ascii: "\t"),
            let colon = trimmed.firstIndex(of: UInt8(ascii: ":")),
            let name = HTTPField.Name(String(decoding: trimmed[..<colon], as: UTF8.self))
        else { return }
        let value = Self.trim(trimmed[trimmed.index(after: colon)...])
        fields.append(HTTPField(name: name, lenientValue: value))
    }

    private static let statusPrefix = Array("HTTP/".utf8)

    private static func trim(_ bytes: Slice<UnsafeRawBufferPointer>) -> Slice<UnsafeRawBufferPointer> {
        let isSpace = { (b: UInt8) in b == 0x20 || b == 0x09 || b == 0x0D || b == 0x0A }
        var result = bytes
        while let b = result.first, isSpace(b) { result = result.dropFirst() }
        while let b = result.last, isSpace(b) { result = result.dropLast() }
        return result
    }
}
