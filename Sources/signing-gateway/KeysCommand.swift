import ArgumentParser
import Foundation
import Tokens

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Manage Maskinporten client keys.", subcommands: [KeysGenerateCommand.self])
}

/// Writes a new RSA-2048 key pair: the private key (PEM, mode 0600) and the public JWK to register
/// in Maskinporten, then prints the profile snippet. The private key is never printed.
struct KeysGenerateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate", abstract: "Generate an RSA-2048 key for a maskinporten profile.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Key id to register in Maskinporten (the grant's kid).")
    var kid: String

    @Option(help: "Directory for the key files.")
    var out: String

    func validate() throws {
        guard !self.kid.isEmpty, self.kid.allSatisfy({ $0.isLetter || $0.isNumber || "-_.".contains($0) }) else {
            throw ValidationError("--kid may contain letters, digits, '-', '_' and '.' only")
        }
    }

    func run() async throws {
        let written: KeyGenerator.Written
        do {
            written = try KeyGenerator.generate(kid: self.kid, directory: self.out)
        } catch {
            FileHandle.standardError.write(Data("signing-gateway: \(error)\n".utf8))
            throw ExitCode.failure
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
