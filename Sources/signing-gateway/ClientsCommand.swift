import App
import ArgumentParser
import Foundation
import GatewayHTTP
import Webhooks

struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients", abstract: "Manage inbound clients.", subcommands: [ClientsNewCommand.self])
}

/// Prints a fresh API key and a fresh `whsec_` secret once, and the config lines that hold only the key's
/// hash and a reference to the secret. Nothing is written: the operator stores the secret where it belongs.
struct ClientsNewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new", abstract: "Make credentials for a client (or new ones to rotate to).")

    /// Accepted like every subcommand's; the new client is printed, not written into the configuration.
    @OptionGroup var options: CommonOptions

    @Option(help: "Client id: 1-64 of a-z, 0-9, '-', '_'.")
    var id: String

    @Option(help: "Where the HMAC secret will be kept (the config references it; it is not written).")
    var secretFile: String?

    func validate() throws {
        let valid =
            (1...64).contains(self.id.utf8.count)
            && self.id.utf8.enumerated().allSatisfy { index, byte in
                (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                    || (index > 0 && (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")))
            }
        guard valid else { throw ValidationError("--id may contain a-z, 0-9, '-' and '_' (1-64, not first)") }
    }

    func run() async throws {
        let key = APIKeyGenerator.generate()
        let secret = WebhookSecret.generate().encoded
        let stamp = Date().formatted(.iso8601.year().month().day().dateSeparator(.omitted))
        let secretFile = self.secretFile ?? "/run/secrets/\(self.id).whsec"
        print(
            """
            API key for \(self.id) (shown once; send as Authorization: Bearer <key>):
              \(key)
            HMAC secret for \(self.id) (shown once; store it in \(secretFile), mode 0600):
              \(secret)

            config lines (under "clients"; to rotate, add these credentials next to the old ones, then remove those):
              "\(self.id)": {
                "description": "",
                "credentials": [
                  { "id": "\(self.id)-key-\(stamp)", "apiKeySha256": "\(APIKeyGenerator.sha256Hex(key))" },
                  { "id": "\(self.id)-hmac-\(stamp)", "hmacSecretFile": "\(secretFile)" }
                ],
                "policy": {
                  "apps": ["ttd/signing-app"],
                  "operations": ["sign", "processNext", "read"],
                  "tokenProfiles": ["dev"],
                  "defaultTokenProfile": "dev",
                  "rateLimit": { "perSecond": 5, "burst": 10 }
                }
              }
            """)
    }
}
