import Foundation
import Testing

@testable import Storage

/// The canonical form and the hash, pinned against values computed outside Swift (Python's json + hashlib).
@Suite("Audit chain")
struct AuditChainTests {
    @Test("canonical form: sorted keys, no whitespace, nulls written, integer micros")
    func canonicalGolden() {
        let expected = #"""
            {"clientId":"erp","idempotencyKey":null,"instance":"ttd/signing/50001/0b5c4a1e-0000-4000-8000-000000000001","latencyMicros":1001,"operation":"sign","outcome":"succeeded","requestDigest":"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa","requestId":"req-1","responseDigest":null,"sequence":1,"sourceAddress":"10.0.0.1","timeMicros":1767225601000000,"tokenProfile":"maskinporten","traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01","upstreamMethod":"PUT","upstreamStatus":200,"upstreamURL":"https://ttd.apps.tt02.altinn.no/ttd/signing/instances/50001/x/process/next"}
            """#
        #expect(String(decoding: AuditChain.canonical(entry: entry(1), sequence: 1), as: UTF8.self) == expected)
    }

    @Test("hashes chain from 32 zero bytes")
    func hashGolden() throws {
        #expect(AuditChain.genesisHash == String(repeating: "0", count: 64))
        let first = try AuditChain.hash(entry: entry(1), sequence: 1, previousHash: AuditChain.genesisHash)
        #expect(first == "7f51fd1ff09e8b45c15654eb045590cdc40c891082fc18a58863cb73b5547e39")
        let second = try AuditChain.hash(entry: entry(1), sequence: 2, previousHash: first)
        #expect(second == "8ee43474be2bdfcbe3233ccf52e720f1717399dfb90ebc783e752d4b457dde97")
    }

    @Test("strings escape only quote, backslash and control characters")
    func escaping() {
        var sample = entry(1)
        sample.requestId = "a\"b\\c\nd\u{01}e/f æ"
        sample.latencyMicros = -5
        let text = String(decoding: AuditChain.canonical(entry: sample, sequence: 1), as: UTF8.self)
        #expect(text.contains(#""requestId":"a\"b\\c\u000ad\u0001e/f æ""#))
        #expect(text.contains(#""latencyMicros":-5,"#))
        #expect(!text.contains(" :") && !text.contains(": "))
    }

    @Test("a malformed previous hash is refused")
    func malformedPrevious() {
        #expect(throws: StoreError.self) { try AuditChain.hash(entry: entry(1), sequence: 1, previousHash: "00") }
        #expect(throws: StoreError.self) {
            try AuditChain.hash(entry: entry(1), sequence: 1, previousHash: String(repeating: "G", count: 64))
        }
        #expect(throws: StoreError.self) {
            try AuditChain.hash(entry: entry(1), sequence: 1, previousHash: String(repeating: "A", count: 64))
        }
    }

    @Test("microsecond times round-trip exactly")
    func microsRoundTrip() {
        for micros: Int64 in [0, 1, 1_767_225_600_000_001, 1_767_225_600_123_457, 4_102_444_800_999_999, -1] {
            #expect(StoredTime.micros(StoredTime.date(micros: micros)) == micros)
        }
    }
}

@Suite("Configuration")
struct StoreConfigurationTests {
    @Test("a postgres URL is parsed, and the password file wins")
    func dsn() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pw-\(UUID().uuidString)")
        try Data("s3cret\n".utf8).write(to: file)
        defer { try? FileManager.default.removeItem(at: file) }
        let dsn = try PostgresDSN(
            url: "postgres://gw:inline@db.internal:6543/gateway?sslmode=require", passwordFile: file.path)
        #expect(dsn.host == "db.internal")
        #expect(dsn.port == 6543)
        #expect(dsn.username == "gw")
        #expect(dsn.password == "s3cret")
        #expect(dsn.database == "gateway")
        #expect(dsn.tlsMode == .require)
        #expect(!dsn.description.contains("s3cret"))
        let inline = try PostgresDSN(url: "postgresql://gw:inline@db/gateway", passwordFile: nil)
        #expect(inline.password == "inline")
        #expect(inline.port == 5432)
        // libpq's default: encrypt when the server offers it.
        #expect(inline.tlsMode == .prefer)
        #expect(!inline.description.contains("inline"))
    }

    @Test("bad postgres URLs are refused without echoing them")
    func badDSN() {
        for url in ["mysql://u:pw@h/db", "not a url", "postgres:///db", "postgres://u:pw@h/db?sslmode=sometimes"] {
            #expect(throws: StoreError.self) { try PostgresDSN(url: url, passwordFile: nil) }
            do {
                _ = try PostgresDSN(url: url, passwordFile: nil)
            } catch {
                #expect(!error.description.contains("pw"))
            }
        }
        #expect(throws: StoreError.self) { try PostgresDSN(url: "postgres://u@h/db", passwordFile: "/nonexistent/pw") }
    }

    @Test("engine descriptions hide the password")
    func redaction() {
        let engine = StoreConfiguration.Engine.postgres(url: "postgres://gw:hunter2@db:5432/gateway", passwordFile: nil)
        #expect(!engine.description.contains("hunter2"))
        #expect(engine.description.contains("db:5432/gateway"))
    }

    @Test("the factory creates the SQLite data directory")
    func sqliteDirectory() async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("sg-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: root) }
        let directory = root.appendingPathComponent("a/b")
        let store = try await StoreFactory.open(
            StoreConfiguration(engine: .sqlite(path: directory.appendingPathComponent("gw.sqlite").path)),
            logger: Harness.logger)
        #expect(try await store.auditRecords(after: 0, limit: 1, filter: AuditFilter()).isEmpty)
        await store.close()
        await store.close()
        await #expect(throws: StoreError.self) { try await store.appendAudit(entry(1)) }
    }
}
