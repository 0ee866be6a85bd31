import App
import ArgumentParser
import Foundation

// Option groups, one per thing a subcommand reads, so each `--help` shows only the options that change what that
// subcommand does (a `--port` on `audit verify` would suggest it talks to a running gateway; it never does).

/// `--config`: the file `serve` runs with.
struct ConfigFileOption: ParsableArguments {
    @Option(
        name: .long,
        help: "Configuration file (JSON, or YAML ending in .yaml/.yml). Without one, the embedded default.")
    var config: String?
}

/// `--data-dir`: where the store, the keys and the secrets the gateway makes are kept.
struct DataDirectoryOption: ParsableArguments {
    @Option(
        name: .customLong("data-dir"),
        help: "Data directory; overrides dataDirectory of --config (default ./.signing-gateway).")
    var dataDirectory: String?
}

/// `--host`/`--port`: where a server listens.
struct ListenOptions: ParsableArguments {
    @Option(help: "Listen address (default 127.0.0.1).")
    var host: String?

    @Option(help: "Listen port (default 8080 for serve, 8081 for simulate).")
    var port: Int?
}

/// `--config` and `--data-dir`: what every command working on a gateway's configuration or store reads.
struct ConfigOptions: ParsableArguments {
    @OptionGroup var file: ConfigFileOption
    @OptionGroup var dataDirectory: DataDirectoryOption

    var config: String? { self.file.config }

    /// The configuration `serve` would load (file, then `SIGNING_GATEWAY_*`), with `--data-dir` applied.
    func load() throws(ConfigurationError) -> GatewayConfiguration {
        var configuration = try ConfigurationLoader.load(file: self.file.config)
        if let directory = self.dataDirectory.dataDirectory { configuration.dataDirectory = directory }
        return configuration
    }

    /// Where the data directory came from, for a message that says which flag or key to fix.
    var dataDirectorySource: String {
        if self.dataDirectory.dataDirectory != nil { return "--data-dir" }
        if ProcessInfo.processInfo.environment["SIGNING_GATEWAY_DATA_DIR"] != nil {
            return "SIGNING_GATEWAY_DATA_DIR (or --data-dir)"
        }
        if let file = self.file.config { return "dataDirectory in \(file) (or --data-dir)" }
        return "--data-dir (the default is ./.signing-gateway, relative to where the command runs)"
    }
}
