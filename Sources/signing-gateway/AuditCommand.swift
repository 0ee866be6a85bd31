import App
import ArgumentParser
import Foundation
import Gateway
import GatewayHTTP
import Logging
import Storage

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Verify or export the hash-chained audit log.",
        subcommands: [Verify.self, Export.self])

    /// Loads the configuration like `serve` does and opens its store.
    static func openStore(_ options: CommonOptions) async throws -> any Store {
        var configuration = try ConfigurationLoader.load(file: options.config)
        if let directory = options.dataDirectory { configuration.dataDirectory = directory }
        try configuration.validate()
        return try await GatewayAssembly.store(configuration, logger: Bootstrap.logger(level: "warning"))
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute every record's hash and link; exit 1 naming the first broken record.")

        @OptionGroup var options: CommonOptions

        func run() async throws {
            let store = try await AuditCommand.openStore(self.options)
            let verification = try await AuditVerifier.verify(store: store)
            await store.close()
            switch verification {
            case .intact(let count, let head):
                print("audit log intact: \(count) records, head \(head)")
            case .broken(let sequence, let reason):
                print("audit log BROKEN at record \(sequence): \(reason)")
                throw ExitCode.failure
            }
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
