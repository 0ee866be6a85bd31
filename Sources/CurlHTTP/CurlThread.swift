#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A joinable OS thread. Foundation's `Thread` cannot be joined, and `shutdown()` must not return
/// while the curl thread may still touch libcurl.
struct CurlThread: Sendable {
    /// `pthread_t` kept as its bit pattern: an integer on Linux, an opaque identifier on Darwin.
    private let handle: UInt

    /// Starts `body` on a new thread; nil if the OS refuses (resource exhaustion).
    static func start(_ body: @escaping @Sendable () -> Void) -> CurlThread? {
        let entry = Unmanaged.passRetained(Entry(body: body)).toOpaque()
        #if canImport(Darwin)
            var thread: pthread_t?
        #else
            var thread = pthread_t()
        #endif
        let rc = pthread_create(
            &thread, nil,
            { raw in
                guard let raw else { return nil }
                Unmanaged<Entry>.fromOpaque(raw).takeRetainedValue().run()
                return nil
            }, entry)
        guard rc == 0 else {
            Unmanaged<Entry>.fromOpaque(entry).release()
            return nil
        }
        #if canImport(Darwin)
            return CurlThread(handle: UInt(bitPattern: thread))
        #else
            return CurlThread(handle: thread)
        #endif
    }

    /// Blocks until the thread has returned.
    func join() {
        #if canImport(Darwin)
            if let thread = pthread_t(bitPattern: handle) { _ = pthread_join(thread, nil) }
        #else
            _ = pthread_join(handle, nil)
        #endif
    }

    /// Carries the body through pthread's untyped argument.
    private final class Entry: Sendable {
        let run: @Sendable () -> Void

        init(body: @escaping @Sendable () -> Void) { self.run = body }
    }
}
