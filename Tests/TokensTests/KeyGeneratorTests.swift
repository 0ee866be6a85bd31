import Foundation
import Testing

@testable import Tokens

/// `keys generate` never replaces a key: the one on disk may be the one registered in Maskinporten.
@Suite struct KeyGeneratorTests {
    @Test func aSecondKeyWithTheSameKidIsRefusedAndTheFirstIsKept() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        let first = try KeyGenerator.generate(kid: "erp-2026-01", directory: directory)
        let before = try Data(contentsOf: URL(fileURLWithPath: first.privateKeyPath))
        #expect(throws: KeyLoadingError.exists(path: first.privateKeyPath)) {
            try KeyGenerator.generate(kid: "erp-2026-01", directory: directory)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: first.privateKeyPath)) == before)
        // Another kid is fine.
        _ = try KeyGenerator.generate(kid: "erp-2026-02", directory: directory)
    }
}
