import Foundation
import Logging
import Testing

@testable import Storage

/// `mustExist`: the tools that work on the store `serve` made (`audit verify`) open only what is there.
struct SQLiteMustExistTests {
    @Test func aMissingFileIsMissingAndNothingIsCreated() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("sg-exist-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let path = directory.appendingPathComponent("data/signing-gateway.sqlite").path
        let logger = Logger(label: "test")
        let existing = StoreConfiguration(engine: .sqlite(path: path), mustExist: true)
        await #expect(throws: StoreError.missing(path: path)) {
            _ = try await StoreFactory.open(existing, logger: logger)
        }
        #expect(!FileManager.default.fileExists(atPath: directory.path), "neither the file nor its directory")
        // Made the ordinary way, it opens, with its records.
        let made = try await StoreFactory.open(StoreConfiguration(engine: .sqlite(path: path)), logger: logger)
        await made.close()
        let opened = try await StoreFactory.open(existing, logger: logger)
        await opened.close()
    }
}
