import AltinnSimulator
import ArgumentParser
import Foundation
import Logging
import ServiceLifecycle
import UnixSignals

struct SimulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate", abstract: "Run the built-in Altinn app-API simulator on its own.",
        discussion: CommandHelp.discussion(
            examples: [
                .init(
                    "On port 8081; the token it accepts is written to ./.signing-gateway/simulator.token",
                    "signing-gateway simulate"),
                .init(
                    "Over TLS with HTTP/2, another port and data directory",
                    "signing-gateway simulate --port 8443 --data-dir ./sim --tls-cert cert.pem --tls-key key.pem"),
            ],
            exitCodes: [
                .init(0, "stopped by SIGTERM or SIGINT"),
                .init(1, "could not start (port in use, TLS files unreadable, data directory not writable)"),
                .usage,
            ]))

    @OptionGroup var dataDirectory: DataDirectoryOption
    @OptionGroup var listen: ListenOptions

    @Option(help: "PEM certificate chain: serve TLS, with HTTP/2 by ALPN (needs --tls-key).")
    var tlsCert: String?

    @Option(help: "PEM private key of --tls-cert.")
    var tlsKey: String?

    func run() async throws {
        let logger = Bootstrap.logger(level: "info")
        let dataDirectory = try DataDirectory(path: self.dataDirectory.dataDirectory ?? "./.signing-gateway")
        // The token the simulator accepts, for a gateway's static profile to read (`tokenFile`).
        let tokenFile = try dataDirectory.secretFile(named: "simulator.token", prefix: "simtok_")
        let token = try String(contentsOfFile: tokenFile, encoding: .utf8)
        let host = self.listen.host ?? "127.0.0.1"
        let port = self.listen.port ?? 8081
        let simulator = await AltinnSimulator(
            configuration: SimulatorConfiguration(host: host, port: port, identities: [token: .defaultSystemUser]),
            logger: logger)
        let ready: @Sendable (String, Int) -> Void = { scheme, port in
            logger.info(
                "Altinn simulator ready",
                metadata: ["listening": "\(scheme)://\(host):\(port)", "tokenFile": "\(tokenFile)"])
        }
        let app: any Service
        switch (self.tlsCert, self.tlsKey) {
        case (let cert?, let key?):
            app = try simulator.makeApplication(
                tls: SimulatorTLS(certificateChainPath: cert, privateKeyPath: key)
            ) { ready("https", $0) }
        case (nil, nil):
            app = simulator.makeApplication { ready("http", $0) }
        default:
            throw ValidationError("--tls-cert and --tls-key go together.")
        }
        try await ServiceGroup(
            configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        ).run()
    }
}
