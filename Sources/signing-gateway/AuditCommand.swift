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
        subcommands: [Verify.self, Export.self, Checkpoint.self, PublicKey.self])

    /// Loads the configuration like `serve` does.
    static func configuration(_ options: CommonOptions) throws -> GatewayConfiguration {
        var configuration = try ConfigurationLoader.load(file: options.config)
        if let directory = options.dataDirectory { configuration.dataDirectory = directory }
        try configuration.validate()
        return configuration
    }

    /// Loads the configuration like `serve` does and opens its store.
    static func openStore(_ options: CommonOptions) async throws -> any Store {
        try await GatewayAssembly.store(Self.configuration(options), logger: Bootstrap.logger(level: "warning"))
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every record's hash and link; exit 1 naming the first broken record.")

        @OptionGroup var options: CommonOptions

        @Option(help: "A checkpoint file (one JSON line from `audit checkpoint --out`) the chain must match.")
        var checkpoint: String?

        @Option(
            help: """
                The checkpoint public key (base64 of 32 bytes, or a file holding it); default: derived from \
                audit.checkpointKeyFile (or the data directory's audit-checkpoint.key) when it exists.
                """)
        var publicKey: String?

        func run() async throws {
            let configuration = try AuditCommand.configuration(self.options)
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
            let store = try await GatewayAssembly.store(configuration, logger: Bootstrap.logger(level: "warning"))
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
            abstract: "Sign the chain head now and store the checkpoint; print it as one JSON line (or write --out).")

        @OptionGroup var options: CommonOptions

        @Option(help: "Write the checkpoint's JSON line to this file (replaced) instead of stdout.")
        var out: String?

        func run() async throws {
            let configuration = try AuditCommand.configuration(self.options)
            let logger = Bootstrap.logger(level: "warning")
            let key = try AuditCheckpointWiring.key(configuration, create: true, logger: logger)
            let store = try await GatewayAssembly.store(configuration, logger: logger)
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
            commandName: "public-key", abstract: "Print the checkpoint key's public half (base64) for `verify`.")

        @OptionGroup var options: CommonOptions

        func run() async throws {
            let configuration = try AuditCommand.configuration(self.options)
            let key = try AuditCheckpointWiring.key(
                configuration, create: false, logger: Bootstrap.logger(level: "warning"))
            print(AuditCheckpointKey.encode(key.publicKey))
        }
    }

    struct Export: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Write audit records as JSON Lines to stdout.")

        @OptionGroup var options: CommonOptions

        @Option(help: "Only records at or after this RFC 3339 time.")
        var since: String?

        @Option(help: "Only records at or before this RFC 3339 time.")
        var until: String?

        func run() async throws {
            var filter = AuditFilter()
            for (text, keyPath) in [(self.since, \AuditFilter.from), (self.until, \AuditFilter.until)] {
                guard let text else { continue }
                guard let date = AuditJSON.parseTime(text) else {
                    throw ValidationError("not an RFC 3339 time: \(text)")
                }
                filter[keyPath: keyPath] = date
            }
            let store = try await AuditCommand.openStore(self.options)
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
