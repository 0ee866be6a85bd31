import Crypto
package import Foundation
import Primitives
import Synchronization

/// The operator console's sign-in sessions, in this replica's memory: an API key is exchanged once for an opaque
/// session id (the cookie) that maps to the client the key proved. Neither the key nor its hash is kept. A replica
/// restart signs every operator out; behind a load balancer without affinity an operator signs in per replica.
///
/// Sessions are looked up by the SHA-256 of their id, so this table holds nothing a cookie could be rebuilt from.
package final class ConsoleSessions: Sendable {
    package struct Limits: Sendable, Equatable {
        /// A session unused this long is gone.
        package var idle: Duration
        /// A session is gone this long after sign-in, however busy.
        package var absolute: Duration
        /// Sessions held at once; beyond it the least recently used is dropped.
        package var maxSessions: Int

        package init(
            idle: Duration = .seconds(30 * 60), absolute: Duration = .seconds(8 * 3600), maxSessions: Int = 10_000
        ) {
            self.idle = idle
            self.absolute = absolute
            self.maxSessions = maxSessions
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
    private let now: @Sendable () -> Date
    private let table = Mutex<[String: Session]>([:])

    package init(limits: Limits = Limits(), now: @escaping @Sendable () -> Date = { Date() }) {
        self.limits = limits
        self.now = now
    }

    /// A new session for `clientId`: the cookie value (shown to the browser only) and the session.
    func create(clientId: String) -> (id: String, session: Session) {
        let id = Self.randomToken()
        let now = self.now()
        let session = Session(clientId: clientId, csrfToken: Self.randomToken(), createdAt: now, lastSeenAt: now)
        let key = Self.key(id)
        self.table.withLock { table in
            table = table.filter { self.isLive($0.value, at: now) }
            if table.count >= self.limits.maxSessions,
                let oldest = table.min(by: { $0.value.lastSeenAt < $1.value.lastSeenAt })?.key
            {
                table[oldest] = nil
            }
            table[key] = session
        }
        return (id, session)
    }

    /// The live session for this cookie value, its idle clock restarted; nil (and forgotten) when expired.
    func session(id: String) -> Session? {
        guard Self.isWellFormed(id) else { return nil }
        let key = Self.key(id)
        let now = self.now()
        return self.table.withLock { table in
            guard var session = table[key] else { return nil }
            guard self.isLive(session, at: now) else {
                table[key] = nil
                return nil
            }
            session.lastSeenAt = now
            table[key] = session
            return session
        }
    }

    /// Signs out: the session is gone at once.
    func delete(id: String) {
        guard Self.isWellFormed(id) else { return }
        let key = Self.key(id)
        _ = self.table.withLock { $0.removeValue(forKey: key) }
    }

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
