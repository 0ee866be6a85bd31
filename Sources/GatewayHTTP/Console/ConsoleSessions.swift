import Crypto
package import Foundation
import Primitives
package import Storage

/// The operator console's sign-in sessions, kept in the store so every replica knows them (a balancer may send
/// each request to another replica): an API key is exchanged once for an opaque session id (the cookie) that maps
/// to the client the key proved. Neither the key nor its hash is kept, and sessions are stored under the SHA-256 of
/// their id, so the store holds nothing a cookie could be rebuilt from.
package struct ConsoleSessions: Sendable {
    package struct Limits: Sendable, Equatable {
        /// A session unused this long is gone.
        package var idle: Duration
        /// A session is gone this long after sign-in, however busy.
        package var absolute: Duration

        package init(idle: Duration = .seconds(30 * 60), absolute: Duration = .seconds(8 * 3600)) {
            self.idle = idle
            self.absolute = absolute
        }
    }

    /// What a valid session stands for.
    struct Session: Sendable {
        var clientId: String
        var csrfToken: String
        var createdAt: Date
        var lastSeenAt: Date
    }

    package let limits: Limits
    private let store: any ConsoleSessionStore
    private let now: @Sendable () -> Date

    package init(
        store: any ConsoleSessionStore, limits: Limits = Limits(), now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.store = store
        self.limits = limits
        self.now = now
    }

    /// A new session for `clientId`: the cookie value (shown to the browser only) and the session. Sessions past
    /// their ends are dropped on the way, so the table stays as small as the live sessions.
    func create(clientId: String) async throws(StoreError) -> (id: String, session: Session) {
        let id = Self.randomToken()
        let now = self.now()
        let session = Session(clientId: clientId, csrfToken: Self.randomToken(), createdAt: now, lastSeenAt: now)
        _ = try await self.store.pruneConsoleSessions(
            idleBefore: now.addingTimeInterval(-Self.seconds(self.limits.idle)),
            createdBefore: now.addingTimeInterval(-Self.seconds(self.limits.absolute)))
        try await self.store.createConsoleSession(
            ConsoleSessionRecord(
                key: Self.key(id), clientId: clientId, csrfToken: session.csrfToken, createdAt: now, lastSeenAt: now))
        return (id, session)
    }

    /// The live session for this cookie value, its idle clock moved on (written at most every `touchEvery`, not on
    /// each request); nil (and dropped) when expired.
    func session(id: String) async throws(StoreError) -> Session? {
        guard Self.isWellFormed(id) else { return nil }
        let key = Self.key(id)
        guard let record = try await self.store.consoleSession(key: key) else { return nil }
        let now = self.now()
        var session = Session(
            clientId: record.clientId, csrfToken: record.csrfToken, createdAt: record.createdAt,
            lastSeenAt: record.lastSeenAt)
        guard self.isLive(session, at: now) else {
            try await self.store.deleteConsoleSession(key: key)
            return nil
        }
        if now.timeIntervalSince(session.lastSeenAt) >= self.touchEvery {
            session.lastSeenAt = now
            try await self.store.touchConsoleSession(key: key, lastSeenAt: now)
        }
        return session
    }

    /// Signs out: the session is gone at once, on every replica.
    func delete(id: String) async throws(StoreError) {
        guard Self.isWellFormed(id) else { return }
        try await self.store.deleteConsoleSession(key: Self.key(id))
    }

    /// How stale the stored idle clock may get: a tenth of the idle time, at most 30 s.
    private var touchEvery: TimeInterval { min(Self.seconds(self.limits.idle) / 10, 30) }

    /// When this session ends if left alone: the earlier of its idle and absolute ends.
    func expiry(of session: Session) -> Date {
        min(
            session.lastSeenAt.addingTimeInterval(Self.seconds(self.limits.idle)),
            session.createdAt.addingTimeInterval(Self.seconds(self.limits.absolute)))
    }

    private func isLive(_ session: Session, at now: Date) -> Bool { now < self.expiry(of: session) }

    /// The CSRF token presented matches the session's (constant time).
    static func csrfMatches(_ presented: String?, _ session: Session) -> Bool {
        guard let presented else { return false }
        return constantTimeEquals(Array(presented.utf8), Array(session.csrfToken.utf8))
    }

    static let cookieName = "sg_console"

    /// 32 random bytes as hex.
    static func randomToken() -> String {
        var generator = SystemRandomNumberGenerator()
        return Hex.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    static func isWellFormed(_ id: String) -> Bool {
        id.utf8.count == 64 && id.utf8.allSatisfy { (0x30...0x39).contains($0) || (0x61...0x66).contains($0) }
    }

    private static func key(_ id: String) -> String { Hex.encode(SHA256.hash(data: Array(id.utf8))) }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

extension ConsoleSessions {
    /// The session id from a request's `Cookie` header(s): the one `sg_console` value; nil when absent or repeated.
    static func cookieValue(_ headers: [String]) -> String? {
        var found: [String] = []
        for header in headers {
            for pair in header.split(separator: ";") {
                let trimmed = pair.trimmingCharacters(in: .whitespaces)
                guard let equals = trimmed.firstIndex(of: "=") else { continue }
                if trimmed[..<equals] == Self.cookieName {
                    found.append(String(trimmed[trimmed.index(after: equals)...]))
                }
            }
        }
        return found.count == 1 ? found[0] : nil
    }
}
