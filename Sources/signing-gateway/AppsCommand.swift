import AltinnAPI
import AltinnSimulator
import App
import ArgumentParser
import CurlHTTP
import Foundation
import Gateway
import GatewayHTTP
import Logging
import ServiceLifecycle
import Transport

struct AppsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apps", abstract: "Look at Altinn apps before signing with them.",
        discussion: CommandHelp.discussion(
            examples: [.init("An app's signing tasks and warnings", "signing-gateway apps check ttd/signing-app")],
            exitCodes: [
                .init(0, "no warnings"), .init(1, "the app cannot be read"), .init(2, "the app has warnings"), .usage,
            ]),
        subcommands: [AppsCheckCommand.self])
}

/// `apps check ORG/APP`: the preflight of `GET /v1/apps/{org}/{app}`, run directly against the configured upstream
/// (no gateway, no store, no token: both Altinn routes are anonymous). Exits 1 when the app cannot be read, 2 when
/// it has warnings (not notes).
struct AppsCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Read an app's metadata and process definition and report its signing tasks and warnings.",
        discussion: CommandHelp.discussion(
            examples: [
                .init("A demo app of the built-in simulator", "signing-gateway apps check ttd/signing-app"),
                .init(
                    "One with warnings (exit 2), as the JSON of GET /v1/apps/{org}/{app}",
                    "signing-gateway apps check ttd/lax-signing-app --json"),
                .init(
                    "Against the upstream and token profiles of a configuration",
                    "signing-gateway apps check --config config.json ttd/signing-app"),
            ],
            exitCodes: [
                .init(0, "the app can be read and has no warnings (notes may be printed)"),
                .init(1, "the app cannot be read, or the configuration is invalid"),
                .init(2, "the app can be read but has warnings"),
                .usage,
            ]))

    /// No data directory: the check reads two anonymous Altinn routes and keeps nothing.
    @OptionGroup var options: ConfigFileOption

    @Argument(help: "The app, as org/app (for example ttd/signing-app).")
    var app: String

    @Flag(help: "Print the report as the JSON GET /v1/apps/{org}/{app} answers.")
    var json = false

    func run() async throws {
        let app: AppReference
        do { app = try AppReference(self.app) } catch { Self.fail("'\(self.app)' is not org/app: \(error)") }
        let configuration: GatewayConfiguration
        do {
            configuration = try ConfigurationLoader.load(file: self.options.config)
            try configuration.validate()
        } catch {
            Self.fail("\(error)")
        }
        let transport = GatewayAssembly.transport(configuration)
        defer { transport.shutdown() }

        if configuration.usesBuiltInSimulator {
            let simulator = await AltinnSimulator(
                configuration: SimulatorConfiguration(identities: [:]),
                logger: Logger(label: "altinn-simulator", level: .warning))
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let simulatorApp = simulator.makeApplication { continuation.yield($0) }
            let group = ServiceGroup(
                services: [simulatorApp], gracefulShutdownSignals: [],
                logger: Logger(label: "apps-check", level: .warning))
            let code = try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let port = await ports.first { _ in true } ?? 0
                guard let base = BaseURL("http://127.0.0.1:\(port)") else { return Int32(1) }
                let profiles = [
                    PreflightTokenProfile(
                        name: configuration.defaultTokenProfile, kind: "maskinporten",
                        scopes: ["altinn:instances.read", "altinn:instances.write"])
                ]
                let code = await self.check(
                    app,
                    GatewayAssembly.preflight(
                        configuration, environment: .baseURL(base), transport: transport, profiles: profiles))
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return code
            }
            if code != 0 { throw ExitCode(code) }
            return
        }
        let environment: AltinnEnvironment
        do { environment = try configuration.altinnEnvironment() } catch { Self.fail("\(error)") }
        let code = await self.check(
            app,
            GatewayAssembly.preflight(
                configuration, environment: environment, transport: transport,
                profiles: GatewayAssembly.preflightProfiles(configuration)))
        if code != 0 { throw ExitCode(code) }
    }

    private func check(_ app: AppReference, _ preflight: AppPreflight) async -> Int32 {
        let report: PreflightReport
        do {
            report = try await preflight.check(app).report
        } catch {
            let problem = Problem(error, app: app)
            if self.json {
                print(String(decoding: problem.document(requestId: "cli"), as: UTF8.self))
            } else {
                print("FAILED: \(problem.detail) (\(problem.type.uri))")
            }
            return 1
        }
        if self.json {
            print(
                String(
                    decoding: PreflightJSON.report(report, environment: preflight.environment).serialized, as: UTF8.self
                ))
        } else {
            self.printText(report)
        }
        return report.warnings.contains { $0.code.severity == "warning" } ? 2 : 0
    }

    private func printText(_ report: PreflightReport) {
        print("app \(report.app) (\(report.metadataId ?? "no id"), app-lib \(report.altinnNugetVersion ?? "unknown"))")
        for task in report.signingTasks {
            print("  signing task \(task.id)\(task.name.map { " (\($0))" } ?? "")")
            print("    sign: \(task.dataTypesToSign.joined(separator: ", ")) → \(task.signatureDataType ?? "none")")
            print("    actions: \(task.actions.joined(separator: ", "))")
            if let provider = task.signeeProviderId {
                print("    signees: provider \(provider), state \(task.signeeStatesDataTypeId ?? "none")")
            }
            print(
                "    uniqueFromSignaturesInDataTypes: \(task.uniqueFromSignaturesInDataTypes.joined(separator: ", "))")
            print("    runDefaultValidator: \(task.runDefaultValidator)")
            print(
                "    next: sign → \(Self.describe(task.routeOnSign)), no action → \(Self.describe(task.routeWithoutAction))"
            )
        }
        for profile in report.tokenProfiles {
            let missing = profile.missing.isEmpty ? "" : " (missing \(profile.missing.joined(separator: ", ")))"
            print("  token profile \(profile.name): \(profile.status.rawValue)\(missing)")
        }
        if report.warnings.isEmpty { print("no warnings") }
        for warning in report.warnings {
            print("  \(warning.code.severity) \(warning.code.rawValue): \(warning.detail)")
        }
    }

    private static func describe(_ route: ProcessRoute) -> String {
        switch route {
        case .element(let id): return id
        case .noFlow(let at): return "no flow at \(at)"
        case .ambiguous(let at, let count): return "\(count) flows at \(at)"
        case .undetermined(let at): return "undetermined at \(at)"
        }
    }

    static func fail(_ message: String) -> Never { CommandFailure.exit(message) }
}
