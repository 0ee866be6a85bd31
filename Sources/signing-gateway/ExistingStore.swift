import App
import Foundation
import Storage

/// Opens the store `serve` made, for the commands that work on one (`audit verify`, `export`, `checkpoint`).
/// Nothing is created: a mistyped data directory would otherwise become a new, empty store that verifies as
/// intact with 0 records.
enum ExistingStore {
    static func open(
        _ configuration: GatewayConfiguration, options: ConfigOptions, command: String
    ) async -> any Store {
        do {
            return try await GatewayAssembly.store(
                configuration, mustExist: true, logger: Bootstrap.logger(level: "warning"))
        } catch .missing(let path) {
            CommandFailure.exit(Self.missingMessage(path: path, configuration, options: options, command: command))
        } catch {
            CommandFailure.exit("\(error)")
        }
    }

    /// Names the path that is not there and the flag or key to fix.
    static func missingMessage(
        path: String, _ configuration: GatewayConfiguration, options: ConfigOptions, command: String
    ) -> String {
        let file = URL(fileURLWithPath: path).standardizedFileURL
        let directory = file.deletingLastPathComponent().path
        let what =
            FileManager.default.fileExists(atPath: directory)
            ? "\(file.path) does not exist" : "the directory \(directory) does not exist"
        let fix =
            configuration.storage.sqlitePath != nil
            ? "storage.sqlitePath in \(options.config ?? "the configuration file")"
            : options.dataDirectorySource
        return "no store at \(file.path): \(what). \(command) works on the store serve made and creates none; "
            + "point \(fix) at the gateway's data directory"
    }
}
