import Crypto
import Foundation
import Transport

/// An API key as configured: only the hex SHA-256 of the key is kept, so the config file is no secret.
package struct APIKeyHash: Sendable, Equatable {
    let digest: [UInt8]

    /// `hex` is 64 lower- or upper-case hex digits.
    package init?(hex: String) {
        let utf8 = Array(hex.utf8)
        guard utf8.count == 64 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(32)
        var index = 0
        while index < 64 {
            guard let byte = UInt8(String(decoding: utf8[index..<index + 2], as: UTF8.self), radix: 16) else {
                return nil
            }
            bytes.append(byte)
            index += 2
        }
        self.digest = bytes
    }

    package static func of(key: String) -> [UInt8] { Array(SHA256.hash(data: Array(key.utf8))) }

    package static func hex(of key: String) -> String { Self.of(key: key).map { String(format: "%02x", $0) }.joined() }

    /// Constant time in the digest length; the presented key is hashed once by the caller.
    func matches(digest presented: [UInt8]) -> Bool { constantTimeEquals(self.digest, presented) }
}

/// Fresh API keys from the system CSPRNG: `sgk_` + 64 hex digits.
package enum APIKeyGenerator {
    package static func generate() -> String {
        var generator = SystemRandomNumberGenerator()
        return "sgk_"
            + (0..<32).map { _ in String(format: "%02x", UInt8.random(in: .min ... .max, using: &generator)) }
            .joined()
    }

    package static func sha256Hex(_ key: String) -> String { APIKeyHash.hex(of: key) }
}
