import AltinnAPI
import Crypto
import Primitives

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

    package static func reject(_ command: RejectCommand) -> String {
        self.digest(["reject", command.instance.description, command.language ?? "", command.tokenProfile ?? ""])
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
    package static func sha256Hex(_ bytes: [UInt8]) -> String {
        Hex.encode(SHA256.hash(data: bytes))
    }
}
