import App
import ArgumentParser

@main
struct SigningGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signing-gateway",
        abstract: "Drive Altinn 3 API-based signing from one authenticated webhook call.",
        version: GatewayVersion.current,
        subcommands: [
            ServeCommand.self, SimulateCommand.self, AuditCommand.self, TokenCommand.self, KeysCommand.self,
            ClientsCommand.self, ConfigCommand.self, AppsCommand.self, EventsCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )

    static func main() async {
        MallocTuning.apply()
        do {
            var command = try parseAsRoot()
            if var asyncCommand = command as? any AsyncParsableCommand {
                try await asyncCommand.run()
            } else {
                try command.run()
            }
        } catch {
            exit(withError: error)
        }
    }
}

/// Options every subcommand shares, so scripts can pass the same flags everywhere.
struct CommonOptions: ParsableArguments {
    @Option(name: .long, help: "Configuration file (JSON). Without one, the embedded default runs.")
    var config: String?

    @Option(name: .customLong("data-dir"), help: "Data directory (default ./.signing-gateway).")
    var dataDirectory: String?

    @Option(help: "Listen address (default 127.0.0.1).")
    var host: String?

    @Option(help: "Listen port (default 8080 for serve, 8081 for simulate).")
    var port: Int?
}
