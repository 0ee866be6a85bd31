/// Collects the header block of the final response from the lines libcurl hands to `CURLOPT_HEADERFUNCTION`
/// (one complete line per call, status lines included, for HTTP/1.x and HTTP/2 alike). The block is kept as
/// received; `HTTPFields(headerBlock:)` parses it when someone reads the fields.
struct ResponseHeadParser {
    /// The header lines after the last status line.
    private(set) var block: [UInt8] = []
    /// Between a status line and the blank line that ends its header block. Lines outside a block
    /// are trailers, which are not response headers.
    private var inHeaderBlock = false
    /// The blank line that ends a final (non-1xx) header block arrived. libcurl reports a reply cut after
    /// its status line as a success with an empty body; this tells it apart.
    private(set) var headComplete = false

    mutating func consume(line: UnsafeRawBufferPointer) {
        if line.starts(with: Self.statusPrefix) {
            // A new status line: whatever came before (e.g. `100 Continue`) was interim.
            block.removeAll(keepingCapacity: true)
            inHeaderBlock = true
            headComplete = false
            return
        }
        guard inHeaderBlock else { return }
        guard !line.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) else {
            inHeaderBlock = false
            headComplete = true
            return
        }
        block.append(contentsOf: line)
        if line.last != UInt8(ascii: "\n") { block.append(UInt8(ascii: "\n")) }
    }

    private static let statusPrefix = Array("HTTP/".utf8)
}
