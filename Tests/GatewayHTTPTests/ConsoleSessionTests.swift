import Foundation
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

    @Test func idleAndAbsoluteLifetimes() {
        let clock = Clock()
        let sessions = ConsoleSessions(
            limits: .init(idle: .seconds(60), absolute: .seconds(150)), now: { clock.now() })
        let (id, session) = sessions.create(clientId: "ops")
        #expect(sessions.session(id: id)?.clientId == "ops")
        clock.advance(50)
        #expect(sessions.session(id: id) != nil)  // used: the idle clock restarts
        clock.advance(50)
        #expect(sessions.session(id: id) != nil)
        clock.advance(55)  // 155 s after sign-in: past the absolute end although used 55 s ago
        #expect(sessions.session(id: id) == nil)
        let (other, _) = sessions.create(clientId: "ops")
        clock.advance(61)
        #expect(sessions.session(id: other) == nil)  // unused past the idle time
        #expect(ConsoleSessions.csrfMatches(session.csrfToken, session))
        #expect(!ConsoleSessions.csrfMatches(String(repeating: "0", count: 64), session))
        #expect(!ConsoleSessions.csrfMatches(nil, session))
    }

    @Test func signOutAndMalformedIds() {
        let sessions = ConsoleSessions()
        let (id, _) = sessions.create(clientId: "ops")
        sessions.delete(id: id)
        #expect(sessions.session(id: id) == nil)
        #expect(sessions.session(id: "../etc") == nil)
        #expect(sessions.session(id: String(repeating: "g", count: 64)) == nil)
    }

    @Test func boundedTable() {
        let sessions = ConsoleSessions(limits: .init(maxSessions: 2))
        let (first, _) = sessions.create(clientId: "a")
        let (second, _) = sessions.create(clientId: "b")
        let (third, _) = sessions.create(clientId: "c")
        #expect(sessions.session(id: third) != nil)
        #expect([first, second].filter { sessions.session(id: $0) != nil }.count == 1)
    }
}
