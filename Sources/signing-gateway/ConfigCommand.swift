import App
import ArgumentParser
import Foundation
import GatewayHTTP

/// `config check`: the checks `serve` runs before starting, and the effective configuration.
struct ConfigCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Inspect the configuration.", subcommands: [Check.self])

    struct Check: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract:
                "Validate the configuration (file + environment) as serve would, then print it as JSON with secrets masked. Exit 1 when invalid."
        )

        @OptionGroup var options: CommonOptions

        @Flag(
            help:
                "Check shape, values and their relations only; read no key, secret, CA or password file (for deploy manifests checked away from their secrets)."
        )
        var withoutFiles = false

        func run() async throws {
            var configuration: GatewayConfiguration
            do {
                configuration = try ConfigurationLoader.load(file: self.options.config)
                // The same flag overrides as `serve`, so the check sees what `serve` would run.
                if let host = self.options.host { configuration.host = host }
                if let port = self.options.port { configuration.port = port }
                if let directory = self.options.dataDirectory { configuration.dataDirectory = directory }
            } catch {
                FileHandle.standardError.write(Data("signing-gateway: \(error)\n".utf8))
                throw ExitCode.failure
            }
            let problems = ConfigurationCheck.problems(configuration, readingFiles: !self.withoutFiles)
            guard problems.isEmpty else {
                FileHandle.standardError.write(Data(problems.map { "signing-gateway: \($0)\n" }.joined().utf8))
                throw ExitCode.failure
            }
            let json = ConfigurationCheck.effectiveJSON(configuration, fromFile: self.options.config != nil)
            FileHandle.standardOutput.write(Data(json + Array("\n".utf8)))
        }
    }
}
