import App
import ArgumentParser
import Foundation
import Gateway
import GatewayHTTP
import Webhooks

struct ClientsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "clients", abstract: "Manage inbound clients.",
        discussion: CommandHelp.discussion(
            examples: [
                .init(
                    "Credentials and the configuration lines of a new client",
                    "signing-gateway clients new --config config.json --id case-system")
            ],
            exitCodes: [
                .init(0, "printed"),
                .init(1, "the id is taken (or, with --rotate, unknown), or the secret file cannot be written"),
                .usage,
            ]),
        subcommands: [ClientsNewCommand.self])
}

/// Prints a fresh API key and the configuration lines that hold only its hash, and makes a fresh `whsec_` secret
/// that the lines reference by file. The configuration itself is never edited: the operator pastes the lines.
///
/// Where the secret goes: `--secret-file` names where the operator will keep it (nothing is written, the secret is
/// shown once); otherwise, given `--config` or `--data-dir`, it is written (0600, never over an existing file)
/// into the data directory's `client-secrets/`; with neither, it is shown once for `/run/secrets/<id>.whsec`.
struct ClientsNewCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "new", abstract: "Make credentials for a client (or new ones to rotate to).",
        discussion: CommandHelp.discussion(
            examples: [
                .init(
                    "A new client of config.json; its HMAC secret is written into the data directory",
                    "signing-gateway clients new --config config.json --id case-system"),
                .init(
                    "New credentials for the configured client erp, to add next to its old ones",
                    "signing-gateway clients new --config config.json --id erp --rotate"),
                .init(
                    "Secret shown once, for the file the deployment will mount",
                    "signing-gateway clients new --id erp --secret-file /run/secrets/erp-2026-07.whsec"),
            ],
            exitCodes: [
                .init(0, "credentials made and printed (the configuration file is not edited)"),
                .init(
                    1,
                    "with --config: the id is already configured (use --rotate) or, with --rotate, is not; "
                        + "the configuration cannot be loaded; or the secret file cannot be written"),
                .usage,
            ]))

    @OptionGroup var options: ConfigOptions

    @Option(help: "Client id: 1-64 of a-z, 0-9, '-', '_'.")
    var id: String

    @Option(help: "Where the HMAC secret will be kept: the lines reference it, and it is shown once, not written.")
    var secretFile: String?

    @Flag(
        help: """
            New credentials for a client that is already configured (with --config, it must be): only the \
            credential lines are printed, to add next to the old ones.
            """)
    var rotate = false

    func validate() throws {
        guard ClientRegistry.isValidId(self.id) else {
            throw ValidationError("--id may contain a-z, 0-9, '-' and '_' (1-64, not first)")
        }
    }

    func run() async throws {
        let configuration: GatewayConfiguration
        do { configuration = try self.options.load() } catch { CommandFailure.exit("\(error)") }
        let configured = configuration.clients[self.id]
        if let file = self.options.config {
            if configured != nil, !self.rotate {
                CommandFailure.exit(
                    "clients.\(self.id) is already configured in \(file); to give it new credentials (rotation), "
                        + "run again with --rotate, or choose another --id")
            }
            if configured == nil, self.rotate {
                CommandFailure.exit(
                    "clients.\(self.id) is not configured in \(file), so there is nothing to rotate; "
                        + "leave out --rotate to make a new client")
            }
        }
        let taken = Set(configured?.credentials.map(\.id) ?? [])
        let ids = CredentialIds.make(client: self.id, avoiding: taken)
        let key = APIKeyGenerator.generate()
        let secret = WebhookSecret.generate().encoded
        var lines: [String] = [
            "API key for \(self.id) (shown once; the caller sends Authorization: Bearer <key>):", "  \(key)",
        ]
        let secretPath: String
        if let file = self.secretFile {
            secretPath = file
            lines += ["HMAC secret for \(self.id) (shown once; store it in \(file), mode 0600):", "  \(secret)"]
        } else if self.options.config != nil || self.options.dataDirectory.dataDirectory != nil {
            do {
                secretPath = try ClientSecretFile.write(
                    secret, credentialId: ids.hmac, dataDirectory: configuration.dataDirectory)
            } catch {
                CommandFailure.exit("\(error); give --secret-file PATH (where the secret will be kept) instead")
            }
            lines.append(
                "HMAC secret for \(self.id) written to \(secretPath) (mode 0600); hand it to the caller over a "
                    + "secure channel.")
        } else {
            secretPath = "/run/secrets/\(self.id).whsec"
            lines += ["HMAC secret for \(self.id) (shown once; store it in \(secretPath), mode 0600):", "  \(secret)"]
        }
        let credentials = [
            ClientSnippet.credential(id: ids.key, "apiKeySha256", APIKeyGenerator.sha256Hex(key)),
            ClientSnippet.credential(id: ids.hmac, "hmacSecretFile", secretPath),
        ]
        let check = "signing-gateway config check --config \(self.options.config ?? "FILE")"
        lines.append("")
        if self.rotate {
            lines.append(
                "Add these under \"clients\".\"\(self.id)\".\"credentials\", next to the old ones; run \(check), "
                    + "restart, move the caller over, then remove the old ones:")
            lines.append(credentials.map { "      " + $0 }.joined(separator: ",\n"))
        } else {
            lines.append("Add these lines under \"clients\", run \(check), and restart:")
            lines.append(
                ClientSnippet.client(
                    id: self.id, credentials: credentials, tokenProfile: configuration.defaultTokenProfile))
            lines.append(ClientSnippet.operationsNote)
        }
        print(lines.joined(separator: "\n"))
    }
}

/// Credential ids that never repeat: the date for humans, and random hex so two runs on one day differ.
enum CredentialIds {
    static func make(client: String, avoiding taken: Set<String>) -> (key: String, hmac: String) {
        let stamp = Date().formatted(.iso8601.year().month().day().dateSeparator(.omitted))
        while true {
            let suffix = RandomSecret.make(prefix: "", bytes: 4)
            let ids = (key: "\(client)-key-\(stamp)-\(suffix)", hmac: "\(client)-hmac-\(stamp)-\(suffix)")
            if !taken.contains(ids.key), !taken.contains(ids.hmac) { return ids }
        }
    }
}

/// The configuration lines `clients new` prints: valid JSON once wrapped in braces, so they paste as they are.
enum ClientSnippet {
    /// Every operation but `admin`, which reaches every client's subscriptions and deliveries and the audit log.
    static let operations = ClientOperation.allCases.filter { $0 != .admin }.map(\.rawValue)

    static let operationsNote = """
        "operations" offers every one a client may need (\(Self.operations.joined(separator: ", "))): remove what \
        this client must not do. "admin" (every client's subscriptions and deliveries, the audit log) is left out: \
        add it only for an operator's client. "apps": the org/app (or org/*) it may sign in.
        """

    static func credential(id: String, _ kind: String, _ value: String) -> String {
        "{ \"id\": \(Self.quoted(id)), \"\(kind)\": \(Self.quoted(value)) }"
    }

    static func client(id: String, credentials: [String], tokenProfile: String) -> String {
        let operations = Self.operations.map(Self.quoted).joined(separator: ", ")
        return """
              \(Self.quoted(id)): {
                "description": "",
                "credentials": [
            \(credentials.map { "      " + $0 }.joined(separator: ",\n"))
                ],
                "policy": {
                  "apps": ["ttd/signing-app"],
                  "operations": [\(operations)],
                  "tokenProfiles": [\(Self.quoted(tokenProfile))],
                  "defaultTokenProfile": \(Self.quoted(tokenProfile)),
                  "rateLimit": { "perSecond": 5, "burst": 10 }
                }
              }
            """
    }

    static func quoted(_ text: String) -> String { String(decoding: JSONValue.string(text).serialized, as: UTF8.self) }
}

/// A client's HMAC secret in the data directory (`client-secrets/<credential id>.whsec`, 0600, directory 0700).
enum ClientSecretFile {
    enum Failure: Error, CustomStringConvertible {
        case cannotWrite(String)

        var description: String {
            switch self {
            case .cannotWrite(let path): return "cannot write the HMAC secret to \(path)"
            }
        }
    }

    /// The absolute path written: the gateway may run from another directory than this command.
    static func write(_ secret: String, credentialId: String, dataDirectory: String) throws(Failure) -> String {
        let directory = URL(fileURLWithPath: dataDirectory).appendingPathComponent("client-secrets")
            .standardizedFileURL.path
        let path = (directory as NSString).appendingPathComponent("\(credentialId).whsec")
        do {
            try FileManager.default.createDirectory(
                atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw .cannotWrite(path)
        }
        // O_EXCL: never over an existing file (credential ids are random, so one never should exist).
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .cannotWrite(path) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        do {
            try handle.write(contentsOf: Data(secret.utf8))
            try handle.close()
        } catch {
            unlink(path)
            throw .cannotWrite(path)
        }
        return path
    }
}
