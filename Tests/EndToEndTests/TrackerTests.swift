import Foundation
import Storage
import Testing

/// The tracker inside a running gateway, against its real store.
@Suite struct TrackerTests {
    @Test func anUnreadableTrackedRowIsEndedInsteadOfPolledForever() async throws {
        try await Harness.run { h in
            let key = "not/a/valid/instance-key"
            let now = Date()
            _ = try await h.store.commit(
                OutboxWrite(instance: key) { _ in
                    InstanceUpdate(
                        tracked: TrackedInstance(
                            instance: key, clientId: nil, tokenProfile: nil, taskId: nil, completeWhenAllSigned: false,
                            nextPollAt: now, deadline: now.addingTimeInterval(3600), traceparent: nil, createdAt: now,
                            updatedAt: now),
                        events: [])
                })
            // Waits for the tracker (it polls due rows at least every half second), up to 10 s.
            var row = try await h.store.trackedInstance(key)
            for _ in 0..<400 where row?.status == .active {
                try await Task.sleep(for: .milliseconds(25))
                row = try await h.store.trackedInstance(key)
            }
            #expect(row?.status == .ended)
            #expect(row?.lastError == "the stored instance key is unreadable")
            #expect(row?.leaseOwner == nil)
        }
    }
}
