package import AltinnAPI
package import Foundation
package import Storage

/// Tracked instances: start, read, stop, and "poll now" when Altinn Events says something happened. Starting or
/// refreshing tracking wakes the tracker.
package struct Tracking: Sendable {
    let store: any TrackingStore
    private let audit: AuditTrail
    private let observer: InstanceObserver
    private let doorbell: Doorbell

    package init(store: any TrackingStore, audit: AuditTrail, observer: InstanceObserver, doorbell: Doorbell) {
        self.store = store
        self.audit = audit
        self.observer = observer
        self.doorbell = doorbell
    }

    package enum Failure: Error, Sendable {
        case notTracked
        case store(StoreError)
    }

    /// Tracks `instance` (or merges the request into its row); `created` is false when it was already tracked.
    /// Audited with the acting client.
    package func track(
        _ instance: InstanceReference, _ request: InstanceObserver.TrackRequest, _ inbound: InboundFacts, now: Date
    ) async throws(Failure) -> (row: TrackedInstance, created: Bool) {
        let committed = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.commit(self.observer.track(instance, request, now: now))
        }
        // The commit of a track write always returns the row (created or merged).
        guard let row = committed.tracked else { throw .store(.unavailable("the instance was not tracked")) }
        self.doorbell.ring()
        try await self.record("tracking.start", instance, inbound)
        return (row, committed.trackingStarted)
    }

    /// The tracked instances of apps the caller's policy covers, among the next `limit` after `after`; `scanned`
    /// is the cursor for the next page (others' rows are passed over, so a page may hold fewer than `limit`).
    package func rows(after: String?, limit: Int, status: TrackingStatus?, for caller: Caller)
        async throws(Failure) -> (rows: [TrackedInstance], scanned: String?)
    {
        let page = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.trackedInstances(after: after, limit: limit, status: status)
        }
        let visible = page.filter { row in
            InstanceReference(key: row.instance).map { caller.covers($0.app) } ?? false
        }
        return (visible, page.count == limit ? page.last?.instance : nil)
    }

    package func row(_ instance: InstanceReference) async throws(Failure) -> TrackedInstance {
        let row = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.trackedInstance(instance.description)
        }
        guard let row else { throw .notTracked }
        return row
    }

    package func untrack(_ instance: InstanceReference, _ inbound: InboundFacts) async throws(Failure) {
        let removed = try await storing(Failure.store) { () async throws(StoreError) in
            try await self.store.untrack(instance.description)
        }
        guard removed else { throw .notTracked }
        try await self.record("tracking.stop", instance, inbound)
    }

    private func record(_ operation: String, _ instance: InstanceReference, _ inbound: InboundFacts)
        async throws(Failure)
    {
        try await storing(Failure.store) { () async throws(StoreError) in
            try await self.audit.append(
                inbound, CallRecord(operation: operation, instance: instance.description, outcome: "succeeded"),
                responseBody: nil)
        }
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
