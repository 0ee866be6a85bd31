import Foundation
import Logging
import Testing

@testable import Storage

/// One serving process per SQLite file: a second one is refused at start, and the lock goes with the store.
struct SQLiteServeLockTests {
    @Test func aSecondServingStoreOnOneFileIsRefusedUntilTheFirstCloses() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sg-lock-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("gateway.sqlite").path
        let logger = Logger(label: "test")
        let first = try await StoreFactory.open(
            StoreConfiguration(engine: .sqlite(path: path), serving: true), logger: logger)
        await #expect {
            _ = try await StoreFactory.open(
                StoreConfiguration(engine: .sqlite(path: path), serving: true), logger: logger)
        } throws: { error in
            guard case StoreError.unavailable(let why) = error else { return false }
            return why.contains("another gateway process")
        }
        // A reader beside the server (audit verify) is not refused.
        let reader = try await StoreFactory.open(StoreConfiguration(engine: .sqlite(path: path)), logger: logger)
        await reader.close()
        await first.close()
        await first.close()  // a second close releases nothing twice
        let second = try await StoreFactory.open(
            StoreConfiguration(engine: .sqlite(path: path), serving: true), logger: logger)
        await second.close()
    }
}
