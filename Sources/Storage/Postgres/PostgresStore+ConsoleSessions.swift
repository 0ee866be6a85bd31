package import Foundation
import PostgresNIO

extension PostgresStore {
    package func createConsoleSession(_ session: ConsoleSessionRecord) async throws(StoreError) {
        _ = try await Self.run("console session create") {
            try await self.pool.query(
                """
                INSERT INTO console_sessions (key, client_id, csrf_token, created_at, last_seen_at)
                VALUES (\(session.key), \(session.clientId), \(session.csrfToken),
                        \(StoredTime.micros(session.createdAt)), \(StoredTime.micros(session.lastSeenAt)))
                """)
        }
    }

    package func consoleSession(key: String) async throws(StoreError) -> ConsoleSessionRecord? {
        return try await Self.run("console session") {
            let rows = try await self.pool.query(
                "SELECT client_id, csrf_token, created_at, last_seen_at FROM console_sessions WHERE key = \(key)")
            guard let row = rows.first?.makeRandomAccess() else { return nil }
            return ConsoleSessionRecord(
                key: key, clientId: try row[0].decode(String.self), csrfToken: try row[1].decode(String.self),
                createdAt: StoredTime.date(micros: try row[2].decode(Int64.self)),
                lastSeenAt: StoredTime.date(micros: try row[3].decode(Int64.self)))
        }
    }

    package func touchConsoleSession(key: String, lastSeenAt: Date) async throws(StoreError) {
        _ = try await Self.run("console session touch") {
            try await self.pool.query(
                "UPDATE console_sessions SET last_seen_at = \(StoredTime.micros(lastSeenAt)) WHERE key = \(key)")
        }
    }

    package func deleteConsoleSession(key: String) async throws(StoreError) {
        _ = try await Self.run("console session delete") {
            try await self.pool.query("DELETE FROM console_sessions WHERE key = \(key)")
        }
    }

    package func pruneConsoleSessions(idleBefore: Date, createdBefore: Date) async throws(StoreError) -> Int {
        return try await Self.run("console session prune") {
            let rows = try await self.pool.query(
                """
                DELETE FROM console_sessions
                WHERE last_seen_at < \(StoredTime.micros(idleBefore)) OR created_at < \(StoredTime.micros(createdBefore))
                RETURNING key
                """)
            return rows.count
        }
    }
}
