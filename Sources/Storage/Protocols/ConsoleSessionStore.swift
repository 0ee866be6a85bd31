package import Foundation

/// The operator console's sign-in sessions, shared by every replica (a replica-local table would sign an operator
/// out whenever a balancer picks another replica). Keyed by the SHA-256 of the session id, so nothing stored can be
/// turned back into a cookie; the client key that opened a session is never stored.
package protocol ConsoleSessionStore: Sendable {
    func createConsoleSession(_ session: ConsoleSessionRecord) async throws(StoreError)
    /// The session, when it exists (expiry is the caller's rule).
    func consoleSession(key: String) async throws(StoreError) -> ConsoleSessionRecord?
    /// Moves its idle clock.
    func touchConsoleSession(key: String, lastSeenAt: Date) async throws(StoreError)
    func deleteConsoleSession(key: String) async throws(StoreError)
    /// Drops sessions idle since before `idleBefore` or opened before `createdBefore`; how many went.
    func pruneConsoleSessions(idleBefore: Date, createdBefore: Date) async throws(StoreError) -> Int
}

package struct ConsoleSessionRecord: Sendable, Equatable {
    /// Hex SHA-256 of the session id.
    package var key: String
    package var clientId: String
    package var csrfToken: String
    package var createdAt: Date
    package var lastSeenAt: Date

    package init(key: String, clientId: String, csrfToken: String, createdAt: Date, lastSeenAt: Date) {
        self.key = key
        self.clientId = clientId
        self.csrfToken = csrfToken
        self.createdAt = createdAt
        self.lastSeenAt = lastSeenAt
    }
}
