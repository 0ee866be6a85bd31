import Foundation
import Testing

@testable import Storage

/// The console's sessions, both engines: create, read, touch, delete, and pruning by idle and absolute ends.
@Suite("Console sessions")
struct ConsoleSessionConformanceTests {
    @Test("sessions are stored, touched, deleted and pruned alike on both engines", arguments: Engine.allCases)
    func lifecycle(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            let t0 = Date(timeIntervalSince1970: 1_800_000_000)
            let record = ConsoleSessionRecord(
                key: String(repeating: "a", count: 64), clientId: "ops", csrfToken: "csrf", createdAt: t0,
                lastSeenAt: t0)
            try await store.createConsoleSession(record)
            #expect(try await store.consoleSession(key: record.key) == record)
            #expect(try await store.consoleSession(key: String(repeating: "b", count: 64)) == nil)
            try await store.touchConsoleSession(key: record.key, lastSeenAt: t0 + 30)
            #expect(try await store.consoleSession(key: record.key)?.lastSeenAt == t0 + 30)
            // A second key for the same id is refused: ids are random, so a clash is a bug, never a merge.
            await #expect(throws: StoreError.self) { try await store.createConsoleSession(record) }

            var idle = record
            idle.key = String(repeating: "c", count: 64)
            idle.lastSeenAt = t0 - 100
            var old = record
            old.key = String(repeating: "d", count: 64)
            old.createdAt = t0 - 1000
            try await store.createConsoleSession(idle)
            try await store.createConsoleSession(old)
            #expect(try await store.pruneConsoleSessions(idleBefore: t0 - 50, createdBefore: t0 - 500) == 2)
            #expect(try await store.consoleSession(key: record.key) != nil)
            try await store.deleteConsoleSession(key: record.key)
            #expect(try await store.consoleSession(key: record.key) == nil)
        }
    }
}
