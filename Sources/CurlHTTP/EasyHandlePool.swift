import CCurl

/// A small free list of easy handles, so steady traffic does not allocate one per request.
/// Curl-thread only (owned by `MultiLoop`).
struct EasyHandlePool: ~Copyable {
    private var idle: [UnsafeMutableRawPointer] = []
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    deinit { for easy in idle { curl_easy_cleanup(easy) } }

    /// A handle with all options at their defaults, or nil if libcurl cannot allocate one.
    mutating func acquire() -> UnsafeMutableRawPointer? {
        guard let easy = idle.popLast() else { return curl_easy_init() }
        // Reset on reuse: drops every option of the previous exchange; the connection cache
        // lives in the multi handle, so keep-alive connections survive this.
        curl_easy_reset(easy)
        return easy
    }

    mutating func release(_ easy: UnsafeMutableRawPointer) {
        if idle.count < capacity {
            idle.append(easy)
        } else {
            curl_easy_cleanup(easy)
        }
    }
}
