package import Foundation

extension SQLiteStore {
    package func createConsoleSession(_ session: ConsoleSessionRecord) async throws(StoreError) {
        try await thread.run { db throws(StoreError) in
            let insert = try db.prepare(
                """
                INSERT INTO console_sessions (key, client_id, csrf_token, created_at, last_seen_at)
                VALUES (?, ?, ?, ?, ?)
                """, "console session create")
            try insert.bind(
                .text(session.key), .text(session.clientId), .text(session.csrfToken),
                .integer(StoredTime.micros(session.createdAt)), .integer(StoredTime.micros(session.lastSeenAt)))
            try insert.run()
        }
    }

    package func consoleSession(key: String) async throws(StoreError) -> ConsoleSessionRecord? {
        try await thread.run { db throws(StoreError) in
            let select = try db.prepare(
                "SELECT client_id, csrf_token, created_at, last_seen_at FROM console_sessions WHERE key = ?",
                "console session")
            try select.bind(.text(key))
            guard try select.step() else { return nil }
            return ConsoleSessionRecord(
                key: key, clientId: select.text(0), csrfToken: select.text(1),
                createdAt: StoredTime.date(micros: select.int64(2)),
                lastSeenAt: StoredTime.date(micros: select.int64(3)))
        }
    }

    package func touchConsoleSession(key: String, lastSeenAt: Date) async throws(StoreError) {
        try await self.runConsoleSessions(
            "UPDATE console_sessions SET last_seen_at = ? WHERE key = ?", "console session touch",
            [.integer(StoredTime.micros(lastSeenAt)), .text(key)])
    }

    package func deleteConsoleSession(key: String) async throws(StoreError) {
        try await self.runConsoleSessions(
            "DELETE FROM console_sessions WHERE key = ?", "console session delete", [.text(key)])
    }

    package func pruneConsoleSessions(idleBefore: Date, createdBefore: Date) async throws(StoreError) -> Int {
        try await self.runConsoleSessions(
            "DELETE FROM console_sessions WHERE last_seen_at < ? OR created_at < ?", "console session prune",
            [.integer(StoredTime.micros(idleBefore)), .integer(StoredTime.micros(createdBefore))])
    }

    @discardableResult
    private func runConsoleSessions(
        _ sql: String, _ what: String, _ values: [SQLiteStatement.Value]
    ) async throws(StoreError) -> Int {
        try await thread.run { db throws(StoreError) in
            let statement = try db.prepare(sql, what)
            try statement.bind(values)
            try statement.run()
            return db.changes
        }
    }
}
