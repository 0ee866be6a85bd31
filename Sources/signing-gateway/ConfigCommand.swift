import App
import ArgumentParser
import Foundation
import GatewayHTTP

/// `config check`: the checks `serve` runs before starting, and the effective configuration.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Inspect the configuration.",
        discussion: CommandHelp.discussion(
            examples: [
                .init("What serve would load, checked", "signing-gateway config check --config config.json")
            ],
            exitCodes: [.init(0, "valid"), .init(1, "invalid"), .usage]),
        subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract:
                "Validate the configuration (file + environment + flags) as serve would, then print it as JSON that loads back as is.",
            discussion: CommandHelp.discussion(
                examples: [
                    .init("The embedded default, as make run serves it", "signing-gateway config check"),
                    .init(
                        "A configuration file, with what the environment and the flags change",
                        "signing-gateway config check --config config.json --port 9090"),
                    .init(
                        "As serve --upstream tt02 would run it: tt02 needs clients and a token profile",
                        "signing-gateway config check --config config.json --upstream tt02"),
                    .init(
                        "A deploy manifest's file, away from its key, secret and password files",
                        "signing-gateway config check --config config.json --without-files"),
                    .init(
                        "The output is a configuration file too: check it, and it prints the same",
                        "signing-gateway config check --config config.json > effective.json"),
                    .init("", "signing-gateway config check --config effective.json"),
                ],
                exitCodes: [
                    .init(0, "valid; the effective configuration is on stdout"),
                    .init(1, "invalid: every problem on stderr, each naming its key and what to do"),
                    .usage,
                ]))

        @OptionGroup var options: ServeOptions

        @Flag(
            help:
                "Check shape, values and their relations only; read no key, secret, CA or password file (for deploy manifests checked away from their secrets)."
        )
        var withoutFiles = false

        func run() async throws {
            let configuration: GatewayConfiguration
            do {
                // The same flag overrides as `serve`, so the check sees what `serve` would run.
                configuration = try self.options.load()
            } catch {
                FileHandle.standardError.write(Data("signing-gateway: \(error)\n".utf8))
                throw ExitCode.failure
            }
            let problems = ConfigurationCheck.problems(configuration, readingFiles: !self.withoutFiles)
            guard problems.isEmpty else {
                FileHandle.standardError.write(Data(problems.map { "signing-gateway: \($0)\n" }.joined().utf8))
                throw ExitCode.failure
            }
            let json = ConfigurationCheck.effectiveJSON(configuration, fromFile: self.options.config.config != nil)
            FileHandle.standardOutput.write(Data(json + Array("\n".utf8)))
        }
    }
}
