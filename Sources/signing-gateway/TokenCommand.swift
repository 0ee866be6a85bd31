import AltinnSimulator
import App
import ArgumentParser
import CurlHTTP
import Foundation
import GatewayHTTP
import Logging
import ServiceLifecycle
import Tokens
import Transport

struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token", abstract: "Work with token profiles.",
        discussion: CommandHelp.discussion(
            examples: [.init("Obtain a token for a profile", "signing-gateway token check --config config.json")],
            exitCodes: [.init(0, "obtained"), .init(1, "not obtained, or the configuration is invalid"), .usage]),
        subcommands: [TokenCheckCommand.self])
}

/// Obtains a token the way `serve` would and prints only non-secret facts about it.
struct TokenCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check", abstract: "Obtain a token for a profile and print its non-secret facts.",
        discussion: CommandHelp.discussion(
            examples: [
                .init(
                    "The embedded default's dev profile, against an in-process simulator",
                    "signing-gateway token check"),
                .init(
                    "A profile of a configuration (the default profile without --profile)",
                    "signing-gateway token check --config config.json --profile dev"),
            ],
            exitCodes: [
                .init(0, "a token was obtained (or a static one is readable); it is never printed"),
                .init(1, "no token: the step that failed is named; or the configuration is invalid"),
                .usage,
            ]))

    @OptionGroup var options: ConfigOptions

    @Option(help: "The token profile (default: the configured default profile).")
    var profile: String?

    func run() async throws {
        let configuration: GatewayConfiguration
        do {
            configuration = try self.options.load()
            try configuration.validate()
        } catch {
            Self.fail("\(error)")
        }
        let name = self.profile ?? configuration.defaultTokenProfile
        let transport = GatewayAssembly.transport(configuration)
        defer { transport.shutdown() }
        let timeout = Duration.milliseconds(configuration.upstream.timeoutMilliseconds)

        if configuration.usesBuiltInSimulator {
            guard name == configuration.defaultTokenProfile else {
                Self.fail("with the built-in simulator only the '\(configuration.defaultTokenProfile)' profile exists")
            }
            let simulator = await AltinnSimulator(
                configuration: SimulatorConfiguration(identities: [:]),
                logger: Logger(label: "altinn-simulator", level: .warning))
            let dev = try await SimulatorDevProfile.prepare(
                dataDirectory: configuration.dataDirectory, simulator: simulator)
            let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
            let app = simulator.makeApplication { continuation.yield($0) }
            let group = ServiceGroup(
                services: [app], gracefulShutdownSignals: [], logger: Logger(label: "token-check", level: .warning))
            let succeeded = try await withThrowingTaskGroup(of: Void.self) { tasks in
                tasks.addTask { try await group.run() }
                let port = await ports.first { _ in true } ?? 0
                let profile = dev.profile(simulatorURL: "http://127.0.0.1:\(port)")
                let ok = await Self.check(name: name, profile: profile, transport: transport, timeout: timeout)
                await group.triggerGracefulShutdown()
                try await tasks.waitForAll()
                return ok
            }
            if !succeeded { throw ExitCode.failure }
            return
        }

        let profiles: [String: MaskinportenProfile]
        do { profiles = try configuration.maskinportenProfiles() } catch { Self.fail("\(error)") }
        guard let profile = profiles[name] else {
            let statics = (try? configuration.staticTokenSources()) ?? [:]
            guard statics[name] != nil else { Self.fail("no token profile named '\(name)'") }
            do {
                _ = try StaticTokenProvider(sources: [name: statics[name]!])
                print("profile \(name): static token readable (nothing to obtain; expiry unknown)")
                return
            } catch {
                Self.fail(TokenErrorText.describe(error))
            }
        }
        if !(await Self.check(name: name, profile: profile, transport: transport, timeout: timeout)) {
            throw ExitCode.failure
        }
    }

    /// Fetches without the cache and prints facts. The token itself is never printed.
    static func check(
        name: String, profile: MaskinportenProfile, transport: any HTTPTransport, timeout: Duration
    ) async -> Bool {
        print("profile \(name) (maskinporten, client \(profile.clientId), kid \(profile.kid))")
        print("  issuer:          \(profile.issuer)")
        print("  exchange:        \(profile.exchangeEndpoint)")
        do {
            let source = try await MaskinportenTokenSource(
                name: name, profile: profile, transport: transport, timeout: timeout)
            let fetched = try await source.fetch()
            for step in fetched.steps {
                print("  step \(step.name): ok in \(Self.millis(step.duration)) ms")
            }
            let facts = fetched.facts
            if let expiry = facts.expiresAt {
                let seconds = Int(expiry.timeIntervalSinceNow.rounded())
                print("  expires:         \(expiry.formatted(.iso8601)) (in \(seconds) s)")
            } else {
                print("  expires:         unknown (not a readable JWT)")
            }
            print("  scopes:          \(facts.scope ?? profile.scopes.joined(separator: " "))")
            print("  system user org: \(facts.systemUserOrg ?? "none (organisation token)")")
            if let issuer = facts.issuer { print("  token issuer:    \(issuer)") }
            print("ok")
            return true
        } catch {
            print("FAILED: \(TokenErrorText.describe(error))")
            return false
        }
    }

    static func millis(_ duration: Duration) -> Int64 {
        duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
    }

    static func fail(_ message: String) -> Never { CommandFailure.exit(message) }
}

enum TokenErrorText {
    static func describe(_ error: TokenError) -> String {
        switch error {
        case .unknownProfile(let name): return "no token profile named '\(name)'"
        case .unavailable(let profile, let step, let reason):
            return "profile \(profile): \(step) step failed: \(reason)"
        }
    }
}
