import ArgumentParser
import Foundation
import Tokens

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage Maskinporten client keys.",
        discussion: CommandHelp.discussion(
            examples: [
                .init(
                    "A key pair for kid erp-2026-01; register the .public.jwk.json in Maskinporten",
                    "signing-gateway keys generate --kid erp-2026-01 --out ./keys")
            ],
            exitCodes: [
                .init(0, "written"), .init(1, "a key of this kid exists (no --force), or the files cannot be written"),
                .usage,
            ]),
        subcommands: [KeysGenerateCommand.self])
}

/// Writes a new RSA-2048 key pair: the private key (PEM, mode 0600) and the public JWK to register
/// in Maskinporten, then prints the profile snippet. The private key is never printed.
struct KeysGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate an RSA-2048 key for a maskinporten profile.",
        discussion: CommandHelp.discussion(
            examples: [
                .init(
                    "Writes ./keys/erp-2026-01.private.pem (0600) and .public.jwk.json; refuses an existing kid",
                    "signing-gateway keys generate --kid erp-2026-01 --out ./keys"),
                .init(
                    "Replace that kid's key: only while its public key is not registered in Maskinporten",
                    "signing-gateway keys generate --kid erp-2026-01 --out ./keys --force"),
            ],
            exitCodes: [
                .init(0, "written (with --force, a replaced key is named on stderr)"),
                .init(1, "a key of this kid exists and --force was not given, or the files cannot be written"),
                .usage,
            ]))

    @Option(help: "Key id to register in Maskinporten (the grant's kid).")
    var kid: String

    @Option(help: "Directory for the key files.")
    var out: String

    @Flag(
        help: """
            Replace the key files of this kid if they exist. The old private key is gone for good: a Maskinporten \
            client that still holds the old public key refuses the new one until the new JWK is registered.
            """)
    var force = false

    func validate() throws {
        guard !self.kid.isEmpty, self.kid.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ValidationError("--kid may contain letters, digits, '-', '_' and '.' only")
        }
    }

    func run() async throws {
        let written: KeyGenerator.Written
        do {
            written = try KeyGenerator.generate(kid: self.kid, directory: self.out, replacing: self.force)
        } catch {
            CommandFailure.exit("\(error)")
        }
        if !written.replaced.isEmpty {
            FileHandle.standardError.write(
                Data(
                    ("signing-gateway: --force: replaced the existing key of kid \(self.kid) "
                        + "(\(written.replaced.joined(separator: ", "))); register the new public JWK in Maskinporten, "
                        + "grants signed with this key fail until it is\n").utf8))
        }
        print(
            """
            private key (keep secret, mode 0600): \(written.privateKeyPath)
            package JWK (register this in Maskinporten for your client): \(written.publicJWKPath)
            \(written.publicJWK)

            config snippet (tokenProfiles):
              "erp": {
                "kind": "maskinporten",
                "clientId": "<your Maskinporten client id>",
                "kid": "\(self.kid)",
                "keyFile": "\(written.privateKeyPath)",
                "scopes": ["altinn:instances.read", "altinn:instances.write"],
                "systemUserOrg": "<organisation number of the system user>",
                "issuer": "test",
                "platform": "tt02"
              }
            """)
    }
}
