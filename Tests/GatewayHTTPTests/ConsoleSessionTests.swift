import Crypto
import Foundation
import Logging
import Primitives
import Storage
import Synchronization
import Testing

@testable import GatewayHTTP

/// The console's sessions: cookie parsing, idle and absolute expiry, sign-out, CSRF comparison.
@Suite struct ConsoleSessionTests {
    /// A clock the test moves.
    final class Clock: Sendable {
        private let time = Mutex(Date(timeIntervalSince1970: 1_800_000_000))
        func now() -> Date { self.time.withLock { $0 } }
        func advance(_ seconds: TimeInterval) { self.time.withLock { $0 = $0.addingTimeInterval(seconds) } }
    }

    @Test func cookieValueIsTheOneSessionCookie() {
        #expect(ConsoleSessions.cookieValue(["a=1; sg_console=abc; b=2"]) == "abc")
        #expect(ConsoleSessions.cookieValue(["sg_console=abc", "sg_console=def"]) == nil)
        #expect(ConsoleSessions.cookieValue(["other=1"]) == nil)
        #expect(ConsoleSessions.cookieValue([]) == nil)
    }

    /// A fresh SQLite store in a temporary file (the conformance suite runs the store's session methods on both
    /// engines; here the rules above them).
    static func store() async throws -> SQLiteStore {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("console-\(UUID().uuidString).sqlite")
        let store = try await SQLiteStore.open(path: path.path, logger: Logger(label: "test"))
        try await store.migrate()
        return store
    }

    @Test func idleAndAbsoluteLifetimes() async throws {
        let clock = Clock()
        let store = try await Self.store()
        let sessions = ConsoleSessions(
            store: store, limits: .init(idle: .seconds(60), absolute: .seconds(150)), now: { clock.now() })
        let (id, session) = try await sessions.create(clientId: "ops")
        #expect(try await sessions.session(id: id)?.clientId == "ops")
        clock.advance(50)
        #expect(try await sessions.session(id: id) != nil)  // used: the idle clock restarts
        clock.advance(50)
        #expect(try await sessions.session(id: id) != nil)
        clock.advance(55)  // 155 s after sign-in: past the absolute end although used 55 s ago
        #expect(try await sessions.session(id: id) == nil)
        let (other, _) = try await sessions.create(clientId: "ops")
        clock.advance(61)
        #expect(try await sessions.session(id: other) == nil)  // unused past the idle time
        #expect(ConsoleSessions.csrfMatches(session.csrfToken, session))
        #expect(!ConsoleSessions.csrfMatches(String(repeating: "0", count: 64), session))
        #expect(!ConsoleSessions.csrfMatches(nil, session))
        await store.close()
    }

    @Test("a session opened on one replica is known to another, and signing out ends it on both")
    func sessionsAreSharedThroughTheStore() async throws {
        let store = try await Self.store()
        let first = ConsoleSessions(store: store)
        let second = ConsoleSessions(store: store)
        let (id, _) = try await first.create(clientId: "ops")
        #expect(try await second.session(id: id)?.clientId == "ops")
        try await second.delete(id: id)
        #expect(try await first.session(id: id) == nil)
        await store.close()
    }

    @Test func signOutAndMalformedIds() async throws {
        let store = try await Self.store()
        let sessions = ConsoleSessions(store: store)
        let (id, _) = try await sessions.create(clientId: "ops")
        try await sessions.delete(id: id)
        #expect(try await sessions.session(id: id) == nil)
        #expect(try await sessions.session(id: "../etc") == nil)
        #expect(try await sessions.session(id: String(repeating: "g", count: 64)) == nil)
        await store.close()
    }

    @Test("expired sessions are dropped when the next one is opened, so the table holds only live ones")
    func expiredSessionsArePruned() async throws {
        let clock = Clock()
        let store = try await Self.store()
        let sessions = ConsoleSessions(store: store, limits: .init(idle: .seconds(60)), now: { clock.now() })
        let (old, _) = try await sessions.create(clientId: "a")
        let key = Hex.encode(SHA256.hash(data: Array(old.utf8)))
        clock.advance(61)
        _ = try await sessions.create(clientId: "b")
        #expect(try await store.consoleSession(key: key) == nil)
        await store.close()
    }
}
