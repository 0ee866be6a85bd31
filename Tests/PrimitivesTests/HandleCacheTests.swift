import Synchronization
import Testing

@testable import Primitives

struct HandleCacheTests {
    final class Made: Sendable {
        let count = Atomic<Int>(0)
        func make(_ value: String) -> String {
            count.add(1, ordering: .relaxed)
            return value
        }
    }

    @Test func madeOncePerKeyAndAgainAfterInvalidation() {
        // A generation of its own: the process's is invalidated when the test process installs its metrics backend.
        let generation = HandleCaches.Generation()
        let cache = HandleCache<String, String>(generation: generation)
        let made = Made()
        #expect(cache.value("a") { made.make("A") } == "A")
        #expect(cache.value("a") { made.make("other") } == "A")
        #expect(cache.value("b") { made.make("B") } == "B")
        #expect(made.count.load(ordering: .relaxed) == 2)
        // As after the metrics backend is installed: what was made before is made again.
        generation.invalidate()
        #expect(cache.value("a") { made.make("A2") } == "A2")
        #expect(cache.value("a") { made.make("other") } == "A2")
        #expect(made.count.load(ordering: .relaxed) == 3)
    }
}
