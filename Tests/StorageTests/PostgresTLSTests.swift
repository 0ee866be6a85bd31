import Foundation
import Logging
import PostgresNIO
import Testing

@testable import Storage

/// sslmode as libpq reads it, against the test server (TLS on, with a throw-away CA from scripts/test-postgres.sh).
struct PostgresTLSTests {
    static func caFile() throws -> String {
        try #require(
            ProcessInfo.processInfo.environment["SIGNING_GATEWAY_TEST_POSTGRES_CA"],
            "SIGNING_GATEWAY_TEST_POSTGRES_CA is not set: run `make test` or `scripts/test-postgres.sh start`")
    }

    /// Whether the store's own connection is encrypted, as the server sees it.
    static func encrypted(_ store: PostgresStore) async throws -> Bool {
        let rows = try await store.pool.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()")
        return try #require(rows.first).decode(Bool.self)
    }

    static func url(_ base: String, _ query: String) -> String { base + (base.contains("?") ? "&" : "?") + query }

    @Test(
        "no sslmode means prefer: encrypted when the server offers it",
        arguments: ["", "sslmode=prefer", "sslmode=require"])
    func encryptedWithoutVerification(query: String) async throws {
        let base = try Harness.baseURL()
        let store = try await PostgresStore.open(
            url: query.isEmpty ? base : Self.url(base, query), passwordFile: nil, logger: Logger(label: "test"))
        #expect(try await Self.encrypted(store))
        await store.close()
    }

    @Test func disableTravelsInClear() async throws {
        let store = try await PostgresStore.open(
            url: Self.url(try Harness.baseURL(), "sslmode=disable"), passwordFile: nil, logger: Logger(label: "test"))
        #expect(try await Self.encrypted(store) == false)
        await store.close()
    }

    @Test(
        "verify-full and verify-ca accept the server's certificate with the CA file",
        arguments: ["verify-full", "verify-ca"])
    func verifiedWithTheCAFile(mode: String) async throws {
        let store = try await PostgresStore.open(
            url: Self.url(try Harness.baseURL(), "sslmode=\(mode)"), passwordFile: nil, caFile: try Self.caFile(),
            logger: Logger(label: "test"))
        #expect(try await Self.encrypted(store))
        await store.close()
        // The CA file may come in the URL too (libpq's sslrootcert).
        let viaURL = try await PostgresStore.open(
            url: Self.url(try Harness.baseURL(), "sslmode=\(mode)&sslrootcert=\(try Self.caFile())"), passwordFile: nil,
            logger: Logger(label: "test"))
        await viaURL.close()
    }

    @Test func verifyFullRefusesACertificateItCannotVerify() async throws {
        // Without the test CA the server's certificate chains to nothing the system trusts.
        await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.open(
                url: Self.url(try Harness.baseURL(), "sslmode=verify-full"), passwordFile: nil,
                logger: Logger(label: "test"))
        }
        // By host name: localhost is in the certificate, so verify-full accepts it.
        let other = try Harness.baseURL().replacingOccurrences(of: "127.0.0.1", with: "localhost")
        let byName = try await PostgresStore.open(
            url: Self.url(other, "sslmode=verify-full"), passwordFile: nil, caFile: try Self.caFile(),
            logger: Logger(label: "test"))
        await byName.close()
    }

    @Test func anUnknownSSLModeOrAMissingCAFileIsRefusedWithoutTheURL() async throws {
        await #expect {
            _ = try await PostgresStore.open(
                url: "postgres://gw:hunter2@127.0.0.1:1/db?sslmode=sometimes", passwordFile: nil,
                logger: Logger(label: "t"))
        } throws: { error in
            "\(error)".contains("sslmode") && !"\(error)".contains("hunter2")
        }
        await #expect(throws: StoreError.self) {
            _ = try await PostgresStore.open(
                url: Self.url(try Harness.baseURL(), "sslmode=verify-full"), passwordFile: nil,
                caFile: "/nonexistent/ca.crt", logger: Logger(label: "t"))
        }
    }
}
