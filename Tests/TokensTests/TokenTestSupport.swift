import AltinnSimulator
import CurlHTTP
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import Synchronization
import Transport

@testable import Tokens

/// One RSA key for the whole test run (generation is slow), written to a temporary directory.
enum TestKey {
    static let kid = "test-kid"
    static let clientId = "test-client"
    static let written: KeyGenerator.Written = {
        let directory = NSTemporaryDirectory() + "tokens-tests-\(UUID().uuidString)"
        do { return try KeyGenerator.generate(kid: kid, directory: directory) } catch {
            fatalError("test key: \(error)")
        }
    }()

    static var registration: MaskinportenClientRegistration {
        MaskinportenClientRegistration(clientId: clientId, publicJWK: Data(written.publicJWK.utf8))!
    }
}

/// A time source tests move by hand.
final class ManualClock: Sendable {
    private let current = Mutex(Date())
    var now: Date { self.current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { self.current.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// A live simulator on a loopback port and a transport to reach it.
struct SimulatorFixture: Sendable {
    let simulator: AltinnSimulator
    let url: String
    let transport: CurlHTTPClient

    static func run(
        lifetime: Duration = .seconds(600), _ body: @Sendable (SimulatorFixture) async throws -> Void
    ) async throws {
        let simulator = await AltinnSimulator(
            configuration: SimulatorConfiguration(
                identities: [:],
                tokens: SimulatorTokenSettings(altinnTokenLifetime: lifetime, clients: [TestKey.registration])),
            logger: Logger(label: "sim"))
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let app = simulator.makeApplication { continuation.yield($0) }
        let group = ServiceGroup(services: [app], gracefulShutdownSignals: [], logger: Logger(label: "test"))
        let transport = CurlHTTPClient(configuration: .init())
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            let port = await ports.first { _ in true } ?? 0
            let fixture = SimulatorFixture(simulator: simulator, url: "http://127.0.0.1:\(port)", transport: transport)
            do {
                try await body(fixture)
            } catch {
                await group.triggerGracefulShutdown()
                transport.shutdown()
                throw error
            }
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
            transport.shutdown()
        }
    }

    func profile(systemUserOrg: String? = "310000001", scopes: [String]? = nil) -> MaskinportenProfile {
        MaskinportenProfile(
            clientId: TestKey.clientId, kid: TestKey.kid, keyFile: TestKey.written.privateKeyPath,
            scopes: scopes ?? ["altinn:instances.read", "altinn:instances.write"], systemUserOrg: systemUserOrg,
            issuer: self.url + "/maskinporten/", platform: self.url)
    }

    func source(_ profile: MaskinportenProfile? = nil) async throws -> MaskinportenTokenSource {
        try await MaskinportenTokenSource(name: "p", profile: profile ?? self.profile(), transport: self.transport)
    }

    func cache(clock: ManualClock, profile: MaskinportenProfile? = nil, logger: Logger = Logger(label: "cache"))
        async throws -> TokenCache
    {
        var settings = TokenCache.Settings()
        settings.now = { clock.now }
        settings.jitter = { 1.0 }
        return TokenCache(sources: ["p": try await self.source(profile)], settings: settings, logger: logger)
    }

    /// Waits until the simulator has issued `count` Altinn tokens (no fixed sleeps: polls its counter).
    func waitForExchanges(_ count: Int) async throws {
        for _ in 0..<1000 {
            if await self.simulator.authority.counters.exchangesIssued >= count { return }
            try await Task.sleep(for: .milliseconds(5))
        }
        throw CancellationError()
    }

    func post(_ path: String, form: String) async throws -> InboundResponse {
        try await self.transport.execute(
            OutboundRequest(
                method: .post, url: self.url + path,
                headerFields: [.contentType: "application/x-www-form-urlencoded"], body: Array(form.utf8)))
    }
}
