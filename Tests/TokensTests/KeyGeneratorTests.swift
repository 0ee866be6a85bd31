import Foundation
import Testing

@testable import Tokens

/// `keys generate` never replaces a key unless asked (`--force`): the one on disk may be the one registered in
/// Maskinporten.
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

    @Test func replacingWritesANewKeyAndNamesTheFilesItReplaced() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("keys-\(UUID().uuidString)").path
        let first = try KeyGenerator.generate(kid: "erp-2026-01", directory: directory)
        #expect(first.replaced.isEmpty)
        let before = try Data(contentsOf: URL(fileURLWithPath: first.privateKeyPath))
        let second = try KeyGenerator.generate(kid: "erp-2026-01", directory: directory, replacing: true)
        #expect(second.replaced == [first.privateKeyPath, first.publicJWKPath])
        #expect(try Data(contentsOf: URL(fileURLWithPath: second.privateKeyPath)) != before)
        #expect(second.publicJWK != first.publicJWK)
        let mode = try FileManager.default.attributesOfItem(atPath: second.privateKeyPath)[.posixPermissions] as? Int
        #expect(mode == 0o600)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".tmp") }
        #expect(leftovers.isEmpty)
    }
}
