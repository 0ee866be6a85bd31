import AltinnAPI
import Crypto

/// SHA-256 of a request's canonical form: the operation and its normalized fields, so two bodies
/// that mean the same (member order, GUID case, URL vs app+instanceId) share a fingerprint.
package enum RequestFingerprint {
    package static func sign(_ command: SignCommand) -> String {
        self.digest([
            "sign", command.instance.description, command.mode.rawValue, command.onBehalfOf ?? "",
            command.language ?? "", command.tokenProfile ?? "",
        ])
    }

    package static func processNext(_ command: ProcessNextCommand) -> String {
        self.digest(["processNext", command.instance.description, command.language ?? "", command.tokenProfile ?? ""])
    }

    static func digest(_ fields: [String]) -> String {
        // Length-prefixed, so no field boundary can be forged by a separator inside a value.
        var bytes: [UInt8] = []
        for field in fields {
            bytes.append(contentsOf: "\(field.utf8.count):".utf8)
            bytes.append(contentsOf: field.utf8)
        }
        return Digest.sha256Hex(bytes)
    }
}

package enum Digest {
    /// Lower-case hex SHA-256.
    package static func sha256Hex(_ bytes: some Sequence<UInt8>) -> String {
        let digest = SHA256.hash(data: Array(bytes))
        let hex = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for byte in digest {
            out.append(hex[Int(byte >> 4)])
            out.append(hex[Int(byte & 0xF)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
