import App
import ArgumentParser
import Foundation
import Gateway
import GatewayHTTP
import Logging
import Storage

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify, export or checkpoint the hash-chained audit log.",
        discussion: CommandHelp.discussion(
            examples: [
                .init("Is the audit log intact?", "signing-gateway audit verify --config config.json"),
                .init("Every record as JSON Lines", "signing-gateway audit export --config config.json > audit.jsonl"),
            ],
            exitCodes: [
                .init(0, "success (verify: the chain is intact)"),
                .init(1, "the chain is broken, or the store is missing or unreachable"),
                .usage,
            ]),
        subcommands: [Verify.self, Export.self, Checkpoint.self, PublicKey.self])

    /// Loads the configuration like `serve` does; a problem ends the command, naming its key.
    static func configuration(_ options: ConfigOptions) -> GatewayConfiguration {
        do {
            let configuration = try options.load()
            try configuration.validate()
            return configuration
        } catch {
            CommandFailure.exit("\(error)")
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every record's hash and link; exit 1 naming the first broken record.",
            discussion: CommandHelp.discussion(
                examples: [
                    .init(
                        "The store of a configuration (stored checkpoints checked with its key, if any)",
                        "signing-gateway audit verify --config config.json"),
                    .init(
                        "Against a checkpoint and public key kept elsewhere",
                        "signing-gateway audit verify --config config.json --checkpoint head.jsonl --public-key audit.pub"
                    ),
                ],
                exitCodes: [
                    .init(0, "intact: every record's hash and link, and every checked checkpoint"),
                    .init(1, "broken (the first broken record is named) or the store is missing or unreachable"),
                    .usage,
                ]))

        @OptionGroup var options: ConfigOptions

        @Option(help: "A checkpoint file (one JSON line from `audit checkpoint --out`) the chain must match.")
        var checkpoint: String?

        @Option(
            help: """
                The checkpoint public key (base64 of 32 bytes, or a file holding it); default: derived from \
                audit.checkpointKeyFile (or the data directory's audit-checkpoint.key) when it exists.
                """)
        var publicKey: String?

        func run() async throws {
            let configuration = AuditCommand.configuration(self.options)
            var anchors = AuditAnchors()
            if let text = self.publicKey {
                let value = (try? String(contentsOfFile: text, encoding: .utf8)) ?? text
                guard let key = AuditCheckpointKey.decodePublicKey(value) else {
                    throw ValidationError("--public-key is not a base64 Ed25519 public key (or a file holding one)")
                }
                anchors.publicKey = key
            } else {
                let file = configuration.audit.keyFile(dataDirectory: configuration.dataDirectory)
                if FileManager.default.fileExists(atPath: file) {
                    anchors.publicKey = try AuditCheckpointKey.load(file: file).publicKey
                }
            }
            if let file = self.checkpoint {
                guard let text = try? String(contentsOfFile: file, encoding: .utf8),
                    let line = text.split(whereSeparator: \.isNewline).last,
                    let checkpoint = AuditCheckpoint(jsonLine: String(line))
                else { throw ValidationError("\(file) does not hold a checkpoint JSON line") }
                anchors.checkpoint = checkpoint
            }
            let store = await ExistingStore.open(configuration, options: self.options, command: "audit verify")
            let report: AuditVerificationReport
            do {
                report = try await AuditVerifier.report(store: store, anchors: anchors)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            switch report.verification {
            case .intact(let count, let head):
                let start = report.firstSequence.map {
                    $0 > 1 ? " from record \($0) (older ones dropped by retention)" : ""
                }
                print(
                    "audit log intact: \(count) records\(start ?? ""), head \(head); "
                        + "\(report.checkpointsMatched) signed checkpoint(s) matched"
                        + (report.checkpointsIgnored > 0
                            ? "; \(report.checkpointsIgnored) stored checkpoint(s) signed with another key not checked"
                            : ""))
            case .broken(let sequence, let reason):
                print("audit log BROKEN at record \(sequence): \(reason)")
                throw ExitCode.failure
            }
        }
    }

    struct Checkpoint: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Sign the chain head now and store the checkpoint; print it as one JSON line (or write --out).",
            discussion: CommandHelp.discussion(
                examples: [
                    .init("Print the checkpoint", "signing-gateway audit checkpoint --config config.json"),
                    .init(
                        "Keep it away from the store, for audit verify --checkpoint",
                        "signing-gateway audit checkpoint --config config.json --out head.jsonl"),
                ],
                exitCodes: [
                    .init(0, "signed and stored"),
                    .init(1, "the audit log is empty, the store is missing or unreachable, or the key is unreadable"),
                    .usage,
                ]))

        @OptionGroup var options: ConfigOptions

        @Option(help: "Write the checkpoint's JSON line to this file (replaced) instead of stdout.")
        var out: String?

        func run() async throws {
            let configuration = AuditCommand.configuration(self.options)
            let logger = Bootstrap.logger(level: "warning")
            // The store first: a missing one must not leave a new key file (and its directory) behind.
            let store = await ExistingStore.open(configuration, options: self.options, command: "audit checkpoint")
            let key: AuditCheckpointKey
            do {
                key = try AuditCheckpointWiring.key(configuration, create: true, logger: logger)
            } catch {
                await store.close()
                CommandFailure.exit("\(error)")
            }
            let made: AuditCheckpoint?
            do {
                made = try await AuditCheckpointer(store: store, key: key).checkpoint()
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            guard let made else {
                FileHandle.standardError.write(Data("signing-gateway: the audit log is empty; nothing to sign\n".utf8))
                throw ExitCode.failure
            }
            let line = made.jsonLine + "\n"
            if let out = self.out {
                try Data(line.utf8).write(to: URL(fileURLWithPath: out), options: .atomic)
            } else {
                FileHandle.standardOutput.write(Data(line.utf8))
            }
        }
    }

    struct PublicKey: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-key", abstract: "Print the checkpoint key's public half (base64) for `verify`.",
            discussion: CommandHelp.discussion(
                examples: [
                    .init(
                        "Keep it where the audit log is verified",
                        "signing-gateway audit public-key --config config.json > audit.pub")
                ],
                exitCodes: [
                    .init(0, "printed"),
                    .init(1, "no readable checkpoint key (audit.checkpointKeyFile, or the data directory's)"),
                    .usage,
                ]))

        @OptionGroup var options: ConfigOptions

        func run() async throws {
            let configuration = AuditCommand.configuration(self.options)
            let key: AuditCheckpointKey
            do {
                key = try AuditCheckpointWiring.key(
                    configuration, create: false, logger: Bootstrap.logger(level: "warning"))
            } catch {
                CommandFailure.exit("\(error)")
            }
            print(AuditCheckpointKey.encode(key.publicKey))
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write audit records as JSON Lines to stdout.",
            discussion: CommandHelp.discussion(
                examples: [
                    .init("Every record", "signing-gateway audit export --config config.json > audit.jsonl"),
                    .init(
                        "January 2026 (RFC 3339 times; --from included, --until not, as GET /v1/audit?from=&until=)",
                        "signing-gateway audit export --config config.json --from 2026-01-01T00:00:00Z --until 2026-02-01T00:00:00Z"
                    ),
                ],
                exitCodes: [
                    .init(0, "written"),
                    .init(1, "the store is missing or unreachable"),
                    .usage,
                ]))

        @OptionGroup var options: ConfigOptions

        @Option(help: "Only records at or after this RFC 3339 time.")
        var from: String?

        @Option(help: "Only records before this RFC 3339 time.")
        var until: String?

        func run() async throws {
            var filter = AuditFilter()
            for (text, keyPath) in [(self.from, \AuditFilter.from), (self.until, \AuditFilter.until)] {
                guard let text else { continue }
                guard let date = AuditJSON.parseTime(text) else {
                    throw ValidationError("not an RFC 3339 time: \(text)")
                }
                filter[keyPath: keyPath] = date
            }
            let store = await ExistingStore.open(
                AuditCommand.configuration(self.options), options: self.options, command: "audit export")
            var after: Int64 = 0
            while true {
                let page = try await store.auditRecords(after: after, limit: 500, filter: filter)
                for record in page {
                    FileHandle.standardOutput.write(Data(AuditJSON.record(record).serialized + [0x0A]))
                }
                guard let last = page.last, page.count == 500 else { break }
                after = last.sequence
            }
            await store.close()
        }
    }
}
