package import AltinnAPI
package import Foundation
package import Storage

/// Tracked instances: start, read, stop, and "poll now" when Altinn Events says something happened. Starting or
/// refreshing tracking wakes the tracker.
package struct Tracking: Sendable {
    private let store: any TrackingStore
    private let observer: InstanceObserver
    private let doorbell: Doorbell

    package init(store: any TrackingStore, observer: InstanceObserver, doorbell: Doorbell) {
        self.store = store
        self.observer = observer
        self.doorbell = doorbell
    }

    package enum Failure: Error, Sendable {
        case notTracked
        case store(StoreError)
    }

    /// Tracks `instance` (or merges the request into its row); `created` is false when it was already tracked.
    package func track(
        _ instance: InstanceReference, _ request: InstanceObserver.TrackRequest, now: Date
    ) async throws(Failure) -> (row: TrackedInstance, created: Bool) {
        let committed = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.commit(self.observer.track(instance, request, now: now))
        }
        // The commit of a track write always returns the row (created or merged).
        guard let row = committed.tracked else { throw .store(.unavailable("the instance was not tracked")) }
        self.doorbell.ring()
        return (row, committed.trackingStarted)
    }

    package func rows(after: String?, limit: Int, status: TrackingStatus?) async throws(Failure) -> [TrackedInstance] {
        try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.trackedInstances(after: after, limit: limit, status: status)
        }
    }

    package func row(_ instance: InstanceReference) async throws(Failure) -> TrackedInstance {
        let row = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.trackedInstance(instance.description)
        }
        guard let row else { throw .notTracked }
        return row
    }

    package func untrack(_ instance: InstanceReference) async throws(Failure) {
        let removed = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.untrack(instance.description)
        }
        guard removed else { throw .notTracked }
    }

    /// Makes a tracked instance due at once (Altinn Events told us it changed); false when it is not tracked.
    package func pollNow(_ instance: InstanceReference, now: Date) async throws(Failure) -> Bool {
        let committed = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.commit(self.observer.pollNow(instance, now: now))
        }
        let refreshed = committed.tracked?.status == .active
        if refreshed { self.doorbell.ring() }
        return refreshed
    }

}
