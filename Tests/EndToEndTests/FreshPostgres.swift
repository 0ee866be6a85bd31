import Foundation
import PostgresNIO
import Testing

@testable import Storage

/// A new empty database on the test PostgreSQL server (`SIGNING_GATEWAY_TEST_POSTGRES_URL`, set by `make test`), so
/// tests run in parallel without seeing each other's rows. Missing server: the test fails, it is never skipped.
enum FreshPostgres {
    static func database() async throws -> String {
        let base = try #require(
            ProcessInfo.processInfo.environment["SIGNING_GATEWAY_TEST_POSTGRES_URL"],
            "SIGNING_GATEWAY_TEST_POSTGRES_URL is not set: run `make test` or `scripts/test-postgres.sh start`")
        let name = "sg_e2e_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        let dsn = try PostgresDSN(url: base, passwordFile: nil)
        let client = PostgresClient(
            configuration: .init(
                host: dsn.host, port: dsn.port, username: dsn.username, password: dsn.password,
                database: dsn.database, tls: .disable))
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            try await client.query(PostgresQuery(unsafeSQL: "CREATE DATABASE \(name)"))
        }
        var components = try #require(URLComponents(string: base))
        components.path = "/" + name
        return try #require(components.string)
    }
}
