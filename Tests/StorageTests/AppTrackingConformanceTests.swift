import Foundation
import Testing

@testable import Storage

/// `trackedInstances(keyPrefix:…)`, both engines: a plain prefix compare (the neighbours of an app's keys in any
/// collation stay out), the status filter and cursor paging.
@Suite("Tracked instances of an app")
struct AppTrackingConformanceTests {
    @Test("an app's tracked instances by key prefix, filtered and paged", arguments: Engine.allCases)
    func byPrefix(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            var ended = tracked("ttd/app/instances/2/b")
            ended.status = .ended
            let rows = [
                tracked("ttd/app/instances/1/a"), ended, tracked("ttd/app/instances/3/c"),
                // Neighbours: a longer app name either side of `/` in byte order, a shorter one, another org.
                tracked("ttd/app-x/instances/1/d"), tracked("ttd/app0/instances/1/e"), tracked("ttd/ap/instances/1/f"),
                tracked("acme/app/instances/1/g"), tracked("ttd/app/instancesX/1/h"),
            ]
            for row in rows {
                _ = try await store.commit(
                    OutboxWrite(instance: row.instance) { _ in InstanceUpdate(tracked: row, events: []) })
            }
            let prefix = "ttd/app/instances/"
            #expect(
                try await store.trackedInstances(keyPrefix: prefix, after: nil, limit: 10, status: nil).map(\.instance)
                    == ["ttd/app/instances/1/a", "ttd/app/instances/2/b", "ttd/app/instances/3/c"])
            #expect(
                try await store.trackedInstances(keyPrefix: prefix, after: nil, limit: 10, status: .active).map(
                    \.instance) == ["ttd/app/instances/1/a", "ttd/app/instances/3/c"])
            let first = try await store.trackedInstances(keyPrefix: prefix, after: nil, limit: 1, status: .active)
            #expect(first.map(\.instance) == ["ttd/app/instances/1/a"])
            #expect(first.first == rows[0])
            #expect(
                try await store.trackedInstances(
                    keyPrefix: prefix, after: first.last?.instance, limit: 1, status: .active
                ).map(\.instance) == ["ttd/app/instances/3/c"])
            #expect(
                try await store.trackedInstances(
                    keyPrefix: prefix, after: "ttd/app/instances/3/c", limit: 10, status: nil
                ).isEmpty)
            #expect(try await store.trackedInstances(keyPrefix: prefix, after: nil, limit: 0, status: nil).isEmpty)
            #expect(
                try await store.trackedInstances(
                    keyPrefix: "ttd/nothing/instances/", after: nil, limit: 10, status: nil
                )
                .isEmpty)
            // `%` and `_` are no patterns here.
            #expect(try await store.trackedInstances(keyPrefix: "ttd/%", after: nil, limit: 10, status: nil).isEmpty)
            #expect(try await store.trackedInstances(keyPrefix: "ttd/ap_/", after: nil, limit: 10, status: nil).isEmpty)
        }
    }
}
