import App
import ArgumentParser
import Foundation

@main
struct SigningGatewayCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signing-gateway",
        abstract: "Drive Altinn 3 API-based signing from one authenticated webhook call.",
        discussion: CommandHelp.discussion(
            examples: [
                .init("Try it: the built-in Altinn simulator and a dev client key", "signing-gateway"),
                .init("Check a configuration file, then serve it", "signing-gateway config check --config config.json"),
                .init("Serve it (checked the same way first)", "signing-gateway serve --config config.json"),
                .init("Is the audit log intact?", "signing-gateway audit verify --config config.json"),
            ],
            exitCodes: [
                .init(0, "success"),
                .init(1, "the check failed or the work could not be done (the message says why and what to fix)"),
                .init(2, "apps check: the app can be read but has warnings"),
                .usage,
            ]),
        version: GatewayVersion.current,
        subcommands: [
            ServeCommand.self, SimulateCommand.self, AuditCommand.self, TokenCommand.self, KeysCommand.self,
            ClientsCommand.self, ConfigCommand.self, AppsCommand.self, EventsCommand.self,
        ],
        defaultSubcommand: ServeCommand.self
    )

    static func main() async {
        MallocTuning.apply()
        if let unknown = UnknownSubcommand.find(in: Array(CommandLine.arguments.dropFirst()), root: Self.self) {
            FileHandle.standardError.write(Data((unknown.message + "\n").utf8))
            Foundation.exit(ExitCode.validationFailure.rawValue)
        }
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
