import Foundation
import Testing

@testable import App
@testable import GatewayHTTP

/// Loading (JSON and YAML), the events section's checks, and what `config check` prints.
@Suite struct ConfigurationTests {
    func write(_ text: String, _ name: String) throws -> String { try temporaryFile(text, named: name) }

    @Test func yamlAndJSONLoadTheSameConfiguration() throws {
        let json = try write(
            #"""
            {"port": 9000, "upstream": {"environment": "simulator"},
             "events": {"deliverySchedule": ["1s", "2m"], "deliveryJitter": 0.1,
             "allowedDestinations": ["10.1.0.0/16"], "trackingInitialIntervalSeconds": 1}}
            """#, "gateway.json")
        let yaml = try write(
            """
            port: 9000
            upstream:
              environment: simulator
            events:
              deliverySchedule: [1s, 2m]
              deliveryJitter: 0.1
              allowedDestinations:
                - 10.1.0.0/16
              trackingInitialIntervalSeconds: 1
            """, "gateway.yaml")
        let fromJSON = try ConfigurationLoader.load(file: json, environment: [:])
        let fromYAML = try ConfigurationLoader.load(file: yaml, environment: [:])
        #expect(fromJSON == fromYAML)
        #expect(fromYAML.events.deliverySchedule == ["1s", "2m"])
        #expect(fromYAML.events.allowedDestinations == ["10.1.0.0/16"])
        #expect(ConfigurationCheck.problems(fromYAML, environment: [:]).isEmpty)
    }

    @Test("a file that names no upstream is refused; the simulator runs only when asked for")
    func aFileMustNameItsUpstream() throws {
        let file = try write(#"{"port": 9000}"#, "no-upstream.json")
        let loaded = try ConfigurationLoader.load(file: file, environment: [:])
        let problems = ConfigurationCheck.problems(loaded, environment: [:]).map { "\($0)" }
        #expect(problems.contains { $0.contains("upstream.environment is required") })
        #expect(!loaded.usesBuiltInSimulator)
        // Named by the operator's environment instead: accepted.
        let named = try ConfigurationLoader.load(file: file, environment: ["SIGNING_GATEWAY_UPSTREAM": "tt02"])
        #expect(named.upstream.environment == "tt02")
        // Written out: the simulator, as asked. Without any file: the embedded default, the simulator.
        let asked = try write(#"{"upstream": {"environment": "simulator"}}"#, "sim.json")
        #expect(try ConfigurationLoader.load(file: asked, environment: [:]).usesBuiltInSimulator)
        #expect(try ConfigurationLoader.load(file: nil, environment: [:]).usesBuiltInSimulator)
    }

    @Test("the drain must outlast the longest request, so a shutdown never cuts a sign off")
    func drainOutlastsTheLongestRequest() throws {
        var configuration = GatewayConfiguration()
        #expect(configuration.worstCaseRequestSeconds == 40)
        #expect(configuration.drainTimeoutSeconds >= configuration.worstCaseRequestSeconds)
        configuration.drainTimeoutSeconds = 25
        #expect(throws: ConfigurationError.self) { try configuration.validate() }
        configuration.upstream.timeoutMilliseconds = 5_000
        try configuration.validate()
    }

    @Test func unknownKeysAreRefusedInYAMLToo() throws {
        let yaml = try write("events:\n  deliverySchedul: [1s]\n", "typo.yml")
        #expect(throws: ConfigurationError.self) { try ConfigurationLoader.load(file: yaml, environment: [:]) }
    }

    @Test func theStorageEngineIsAClosedChoiceNamedWhereItWasWrong() throws {
        let file = try write(#"{"storage": {"engine": "mysql"}}"#, "engine.json")
        #expect(throws: ConfigurationError.invalid("/storage/engine", "must be sqlite or postgres")) {
            try ConfigurationLoader.load(file: file, environment: [:])
        }
        let postgres = try write(
            #"{"storage": {"engine": "postgres", "postgresURL": "postgres://gw@db/gw"}}"#, "pg.json")
        #expect(try ConfigurationLoader.load(file: postgres, environment: [:]).storage.engine == .postgres)
        // The engine belongs to the deployment: no environment variable can switch replicas to per-pod SQLite.
        let switched = try ConfigurationLoader.load(
            file: postgres, environment: ["SIGNING_GATEWAY_STORAGE_ENGINE": "sqlite"])
        #expect(switched.storage.engine == .postgres)
    }

    @Test func theEmbeddedDefaultAllowsLoopbackSubscribersAndAFileDoesNot() throws {
        #expect(
            try ConfigurationLoader.load(file: nil, environment: [:]).events.allowedDestinations.contains("127.0.0.0/8")
        )
        let file = try write("{}", "empty.json")
        #expect(try ConfigurationLoader.load(file: file, environment: [:]).events.allowedDestinations.isEmpty)
    }

    @Test func eventsMistakesAreNamed() throws {
        var configuration = GatewayConfiguration()
        configuration.events.deliverySchedule = ["5s", "soon"]
        configuration.events.allowedDestinations = ["10.0.0.0/99"]
        configuration.events.altinnEventsSecretFile = "/nonexistent/altinn-events.secret"
        let keys = ConfigurationCheck.problems(configuration, environment: [:]).compactMap { problem -> String? in
            if case .invalid(let key, _) = problem { return key }
            return nil
        }
        #expect(keys.contains("events.deliverySchedule"))
        #expect(keys.contains("events.allowedDestinations"))
        #expect(keys.contains("events.altinnEventsSecretFile"))
    }

    @Test("events.stallAfterHours: loaded, validated and in the effective configuration")
    func stallAfterHours() throws {
        let file = try write(
            #"{"upstream":{"environment":"simulator"},"events":{"stallAfterHours":0.5}}"#, "stall.json")
        let loaded = try ConfigurationLoader.load(file: file, environment: [:])
        #expect(loaded.events.stallAfterHours == 0.5)
        let printed = String(decoding: ConfigurationCheck.effectiveJSON(loaded, fromFile: true), as: UTF8.self)
        #expect(printed.contains(#""stallAfterHours":0.5"#))
        for wrong in [0.0, -1, 9000] {
            var configuration = GatewayConfiguration()
            configuration.events.stallAfterHours = wrong
            let keys = ConfigurationCheck.problems(configuration, environment: [:]).compactMap { problem -> String? in
                if case .invalid(let key, _) = problem { return key }
                return nil
            }
            #expect(keys.contains("events.stallAfterHours"), "\(wrong)")
        }
    }

    @Test func theEffectiveConfigurationNamesTheSecretFileNeverItsContent() throws {
        let secret = "altinn-events-shared-secret-\(UUID().uuidString)"
        var configuration = GatewayConfiguration()
        configuration.events.altinnEventsSecretFile = try write(secret, "altinn-events.secret")
        #expect(ConfigurationCheck.problems(configuration, environment: [:]).isEmpty)
        let printed = String(decoding: ConfigurationCheck.effectiveJSON(configuration, fromFile: true), as: UTF8.self)
        #expect(printed.contains("altinn-events.secret"))
        #expect(!printed.contains(secret))
    }
}
