import Foundation

/// Which engine to open. (How long idempotency keys are kept is the pruner's setting, not the store's.)
package struct StoreConfiguration: Sendable, Equatable {
    package enum Engine: Sendable, Equatable {
        /// One file (created when missing, with its parent directory), e.g. `<data-dir>/gateway.sqlite`.
        case sqlite(path: String)
        /// `postgres://user@host:port/database[?sslmode=…]` (libpq's modes; `prefer` when absent). The password comes from
        /// `passwordFile` (a mounted secret, trailing newline trimmed) when given, else from the URL.
        case postgres(url: String, passwordFile: String?)
    }

    package var engine: Engine
    /// For `serve`: a SQLite file is refused when another process serves it (see `SQLiteServeLock`).
    package var serving: Bool
    /// For tools that work on a store the gateway made (`audit verify`, `export`, `checkpoint`): a missing SQLite
    /// file is `StoreError.missing` and nothing is created, neither the file nor its directory, so a mistyped data
    /// directory fails instead of reading as an empty, intact store. (PostgreSQL never creates a database.)
    package var mustExist: Bool
    /// PostgreSQL: the CA file the server's certificate is checked against (`sslmode=verify-ca|verify-full`).
    package var postgresCAFile: String?
    /// PostgreSQL: connections per process; replicas × this must stay under the server's `max_connections`.
    package var postgresPoolSize: Int
    /// PostgreSQL: how long one statement may take (`PostgresPool.sessionSettings`).
    package var postgresStatementTimeout: Duration
    /// PostgreSQL: how long a call waits for a connection before it is answered unavailable (`PostgresPool`). Not a
    /// configuration-file setting: the gateway waits the default; the storage tests wait longer, so that their
    /// results do not depend on how fast a busy test server opens connections.
    package var postgresConnectionWait: Duration
    package static let defaultPostgresConnectionWait: Duration = .seconds(5)

    package init(
        engine: Engine, serving: Bool = false, mustExist: Bool = false, postgresCAFile: String? = nil,
        postgresPoolSize: Int = 10, postgresStatementTimeout: Duration = .seconds(30),
        postgresConnectionWait: Duration = Self.defaultPostgresConnectionWait
    ) {
        self.engine = engine
        self.serving = serving
        self.mustExist = mustExist
        self.postgresCAFile = postgresCAFile
        self.postgresPoolSize = postgresPoolSize
        self.postgresStatementTimeout = postgresStatementTimeout
        self.postgresConnectionWait = postgresConnectionWait
    }
}

extension StoreConfiguration.Engine: CustomStringConvertible {
    /// Safe to log: a postgres URL is shown without its password.
    package var description: String {
        switch self {
        case .sqlite(let path):
            return "sqlite \(path)"
        case .postgres(let url, let passwordFile):
            guard var components = URLComponents(string: url) else { return "postgres (unparsable URL)" }
            if components.password != nil { components.password = "redacted" }
            return "postgres \(components.string ?? "?")" + (passwordFile.map { " password file \($0)" } ?? "")
        }
    }
}
