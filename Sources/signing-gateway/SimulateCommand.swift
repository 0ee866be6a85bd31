import AltinnSimulator
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Run the built-in Altinn app-API simulator on its own.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let logger = Bootstrap.logger(level: "info")
        let dataDirectory = try DataDirectory(path: self.options.dataDirectory ?? "./.signing-gateway")
        // The token the simulator accepts, for a gateway's static profile to read (`tokenFile`).
        let tokenFile = try dataDirectory.secretFile(named: "simulator.token", prefix: "simtok_")
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8)
        let host = self.options.host ?? "127.0.0.1"
        let port = self.options.port ?? 8081
        let simulator = await AltinnSimulator(
            configuration: SimulatorConfiguration(host: host, port: port, identities: [token: .defaultSystemUser]),
            logger: logger)
        let app = simulator.makeApplication { port in
            logger.info(
                "Altinn simulator ready",
                metadata: ["listening": "http://\(host):\(port)", "tokenFile": "\(tokenFile)"])
        }
        try await ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}
