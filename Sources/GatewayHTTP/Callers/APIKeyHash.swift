import Crypto
import Foundation
import Primitives

/// An API key as configured: only the hex SHA-256 of the key is kept, so the config file is no secret.
package struct APIKeyHash: Sendable, Equatable {
    let digest: [UInt8]

    /// `hex` is 64 lower- or upper-case hex digits (operators paste either).
    package init?(hex: String) {
        guard let digest = Hex.decode(hex.lowercased()), digest.count == 32 else { return nil }
        self.digest = digest
    }

    package static func of(key: String) -> [UInt8] { Array(SHA256.hash(data: Array(key.utf8))) }

    package static func hex(of key: String) -> String { Hex.encode(Self.of(key: key)) }

    /// Constant time in the digest length; the presented key is hashed once by the caller.
    func matches(digest presented: [UInt8]) -> Bool { constantTimeEquals(self.digest, presented) }
}

/// Fresh API keys from the system CSPRNG: `sgk_` + 64 hex digits.
package enum APIKeyGenerator {
    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return "sgk_" + Hex.encode((0..<32).map { _ in UInt8.random(in: .min ... .max, using: &generator) })
    }

    package static func sha256Hex(_ key: String) -> String { APIKeyHash.hex(of: key) }
}
