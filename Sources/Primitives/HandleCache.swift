import Synchronization

/// Values made once per key and kept, for handles that are slow to make and made on every request: a metric's
/// `Counter(label:dimensions:)` asks the metrics backend for its series each time (swift-prometheus checks the
/// name, hashes the labels and takes its lock), about 5,000 instructions, a tenth of a sign's metrics recorded
/// that way (`bench/profile.sh callgrind`). Keys must come from closed sets (they are never evicted).
package final class HandleCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Entry]>([:])
    private let generation: HandleCaches.Generation

    private struct Entry {
        var generation: Int
        var value: Value
    }

    /// `generation`: what invalidates the values; the process's one (`HandleCaches.invalidateAll()`) unless a test
    /// gives its own.
    package init(generation: HandleCaches.Generation = HandleCaches.process) {
        self.generation = generation
    }

    /// The value for `key`, made by `make` the first time (and again after its generation is invalidated).
    package func value(_ key: Key, make: () -> Value) -> Value {
        let current = generation.current
        if let entry = entries.withLock({ $0[key] }), entry.generation == current { return entry.value }
        // Made outside the lock; two first uses at once make it twice and keep one, which is harmless for handles.
        let value = make()
        entries.withLock { $0[key] = Entry(generation: current, value: value) }
        return value
    }
}

package enum HandleCaches {
    /// A count that invalidates every value made under an earlier count.
    package final class Generation: Sendable {
        private let count = Atomic<Int>(0)

        package init() {}

        var current: Int { count.load(ordering: .acquiring) }

        package func invalidate() {
            count.add(1, ordering: .releasing)
        }
    }

    package static let process = Generation()

    /// Every cache makes its values again: call after installing what makes them (the metrics backend), so that
    /// no handle made before, bound to the no-op backend, stays in use.
    package static func invalidateAll() {
        process.invalidate()
    }
}
