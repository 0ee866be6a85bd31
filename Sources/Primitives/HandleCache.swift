import Synchronization

/// Values made once per key and kept, for handles that are slow to make and made on every request: a metric's
/// `Counter(label:dimensions:)` asks the metrics backend for its series each time (swift-prometheus checks the
/// name, hashes the labels and takes its lock), about 5,000 instructions, a tenth of a sign's metrics recorded
/// that way (`bench/profile.sh callgrind`). Keys must come from closed sets (they are never evicted).
package final class HandleCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private let entries = Mutex<[Key: Entry]>([:])

    private struct Entry {
        var generation: Int
        var value: Value
    }

    package init() {}

    /// The value for `key`, made by `make` the first time (and again after `HandleCaches.invalidateAll()`).
    package func value(_ key: Key, make: () -> Value) -> Value {
        let generation = HandleCaches.generation.load(ordering: .acquiring)
        if let entry = entries.withLock({ $0[key] }), entry.generation == generation { return entry.value }
        // Made outside the lock; two first uses at once make it twice and keep one, which is harmless for handles.
        let value = make()
        entries.withLock { $0[key] = Entry(generation: generation, value: value) }
        return value
    }
}

package enum HandleCaches {
    fileprivate static let generation = Atomic<Int>(0)

    /// Every cache makes its values again: call after installing what makes them (the metrics backend), so that
    /// no handle made before, bound to the no-op backend, stays in use.
    package static func invalidateAll() {
        generation.add(1, ordering: .releasing)
    }
}
