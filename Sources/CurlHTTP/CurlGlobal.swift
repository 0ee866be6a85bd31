import CCurl

/// `curl_global_init` must run exactly once per process, before any other libcurl call, and is not
/// guaranteed thread-safe; a `static let` gives us a lazily-run, once-only, thread-safe initializer.
enum CurlGlobal {
    private static let initialized: Bool = curl_global_init(Int(CURL_GLOBAL_DEFAULT)) == CURLE_OK

    /// Runs `curl_global_init` on first use. A failure is not fatal here: `curl_easy_init` then fails
    /// and the exchange is reported as `notSent(.invalidRequest)`.
    @discardableResult
    static func ensureInitialized() -> Bool { initialized }
}
