import Foundation
import Testing

@testable import App
@testable import GatewayHTTP
@testable import Tokens

/// What a configuration for tt02 or production must say, so it cannot run as a demo by accident: named clients,
/// Maskinporten and the token exchange of the same environment, and no simulator-only token in production.
@Suite struct RealAltinnConfigurationTests {
    static let clientHash = String(repeating: "ab", count: 32)

    /// A complete tt02 or production configuration, its key file absent (the checks here read no file).
    func configuration(_ environment: String, issuer: String? = nil, platform: String? = nil) -> GatewayConfiguration {
        var configuration = GatewayConfiguration()
        configuration.upstream.environment = environment
        var profile = GatewayConfiguration.TokenProfile(kind: "maskinporten")
        profile.clientId = "00000000-0000-0000-0000-000000000001"
        profile.kid = "erp-2026-01"
        profile.keyFile = "/nonexistent/erp.pem"
        profile.scopes = ["altinn:instances.read", "altinn:instances.write"]
        profile.issuer = issuer
        profile.platform = platform
        configuration.tokenProfiles = ["erp": profile]
        configuration.defaultTokenProfile = "erp"
        var credential = GatewayConfiguration.Credential()
        credential.id = "erp-2026-01"
        credential.apiKeySha256 = Self.clientHash
        var client = GatewayConfiguration.Client()
        client.credentials = [credential]
        client.policy.apps = ["ttd/*"]
        client.policy.operations = ["sign", "read"]
        configuration.clients = ["erp": client]
        return configuration
    }

    func problems(_ configuration: GatewayConfiguration) -> [String] {
        ConfigurationCheck.problems(configuration, environment: [:], readingFiles: false).map { "\($0)" }
    }

    @Test("issuer and platform follow the upstream when not given")
    func namesFollowTheUpstream() throws {
        let tt02 = try self.configuration("tt02").maskinportenProfiles()["erp"]
        #expect(tt02?.issuer == MaskinportenProfile.issuer(named: "test"))
        #expect(tt02?.platform == MaskinportenProfile.platform(named: "tt02"))
        let production = try self.configuration("production").maskinportenProfiles()["erp"]
        #expect(production?.issuer == MaskinportenProfile.issuer(named: "prod"))
        #expect(production?.platform == MaskinportenProfile.platform(named: "production"))
        #expect(self.problems(self.configuration("production")).isEmpty)
        #expect(self.problems(self.configuration("tt02")).isEmpty)
    }

    @Test(
        "a named issuer or platform of the other environment is refused",
        arguments: [
            ("production", "test", nil, "tokenProfiles.erp.issuer"),
            ("production", nil, "tt02", "tokenProfiles.erp.platform"),
            ("tt02", "prod", nil, "tokenProfiles.erp.issuer"),
            ("tt02", nil, "production", "tokenProfiles.erp.platform"),
        ] as [(String, String?, String?, String)])
    func mismatchedNamesAreRefused(environment: String, issuer: String?, platform: String?, key: String) {
        let found = self.problems(self.configuration(environment, issuer: issuer, platform: platform))
        #expect(found.contains { $0.contains(key) && $0.contains("does not match upstream.environment") })
    }

    @Test("a URL overrides on purpose, but never in plain http against production")
    func aURLIsAnExplicitOverride() {
        #expect(self.problems(self.configuration("production", issuer: "https://mp.example/")).isEmpty)
        #expect(self.problems(self.configuration("tt02", platform: "http://exchange.test:8080")).isEmpty)
        let plain = self.problems(self.configuration("production", platform: "http://exchange.test:8080"))
        #expect(plain.contains { $0.contains("tokenProfiles.erp.platform must not be plain http://") })
    }

    @Test("tt02 and production need named clients: the dev key is not a client there")
    func realAltinnNeedsClients() {
        for environment in ["tt02", "production"] {
            var configuration = self.configuration(environment)
            configuration.clients = [:]
            #expect(self.problems(configuration).contains { $0.hasPrefix("configuration: clients is required") })
        }
        // A base URL (a simulator run on its own, a test stand) may still use the dev client.
        var simulator = self.configuration("http://127.0.0.1:8081")
        simulator.clients = [:]
        simulator.tokenProfiles = ["erp": GatewayConfiguration.TokenProfile(kind: "static", tokenFile: "/t")]
        #expect(self.problems(simulator).isEmpty)
    }

    @Test("production refuses static tokens; tt02 allows them")
    func productionRefusesStaticTokens() {
        var production = self.configuration("production")
        production.tokenProfiles["pasted"] = GatewayConfiguration.TokenProfile(kind: "static", tokenFile: "/t")
        #expect(self.problems(production).contains { $0.contains("tokenProfiles.pasted.kind static tokens") })
        var tt02 = self.configuration("tt02")
        tt02.tokenProfiles["pasted"] = GatewayConfiguration.TokenProfile(kind: "static", tokenFile: "/t")
        #expect(self.problems(tt02).isEmpty)
    }

    @Test("the check without files still checks clients, and reads no secret")
    func withoutFilesChecksShape() {
        var configuration = self.configuration("tt02")
        var credential = GatewayConfiguration.Credential()
        credential.id = "by-file"
        credential.hmacSecretFile = "/nonexistent/secret"
        configuration.clients["erp"]?.credentials.append(credential)
        #expect(self.problems(configuration).isEmpty)
        let withFiles = ConfigurationCheck.problems(configuration, environment: [:]).map { "\($0)" }
        #expect(withFiles.contains { $0.contains("hmacSecretFile: cannot read /nonexistent/secret") })
        #expect(withFiles.contains { $0.contains("tokenProfiles.erp.keyFile") })
        configuration.clients["erp"]?.policy.operations = ["sign", "delete-everything"]
        #expect(self.problems(configuration).contains { $0.contains("clients.erp.policy.operations") })
    }

    @Test("serve --upstream tt02 without a file says what tt02 needs and where to read and check it")
    func tt02WithoutAFileSaysWhatItNeeds() throws {
        for environment in ["tt02", "production"] {
            var embedded = try ConfigurationLoader.load(file: nil, environment: [:])
            embedded.upstream.environment = environment
            let found = self.problems(embedded)
            #expect(found.count == 1, "\(found)")
            let message = try #require(found.first)
            #expect(message.hasPrefix("configuration: upstream.environment \(environment) needs a configuration file"))
            for needed in ["clients", "maskinporten token profile", "README's Configuration section", "config check"] {
                #expect(message.contains(needed), "\(needed): \(message)")
            }
        }
        var noProfiles = self.configuration("tt02")
        noProfiles.tokenProfiles = [:]
        #expect(self.problems(noProfiles).contains { $0.hasPrefix("configuration: tokenProfiles is required") })
    }

    @Test(
        "a client naming a token profile the gateway does not have is refused, at its key, with the fix",
        arguments: [
            (
                ["erp", "typo"], nil,
                "clients.erp.policy.tokenProfiles[1] 'typo' is not a configured token profile: "
                    + "configure tokenProfiles.typo or remove it (configured: erp)"
            ),
            (
                nil, "typo",
                "clients.erp.policy.defaultTokenProfile 'typo' is not a configured token profile: "
                    + "configure tokenProfiles.typo or name a configured one (configured: erp)"
            ),
        ] as [([String]?, String?, String)])
    func clientProfilesAreChecked(profiles: [String]?, fallback: String?, expected: String) {
        var configuration = self.configuration("tt02")
        configuration.clients["erp"]?.policy.tokenProfiles = profiles
        configuration.clients["erp"]?.policy.defaultTokenProfile = fallback
        #expect(self.problems(configuration) == ["configuration: " + expected])
    }

    @Test("a client may name every configured profile, or *")
    func configuredProfilesAndAnyPass() {
        var configuration = self.configuration("tt02")
        configuration.clients["erp"]?.policy.tokenProfiles = ["erp", "*"]
        configuration.clients["erp"]?.policy.defaultTokenProfile = "erp"
        #expect(self.problems(configuration).isEmpty)
    }

    @Test("with the built-in simulator the only profile is the default one, whatever tokenProfiles says")
    func simulatorProfiles() {
        var configuration = GatewayConfiguration()
        configuration.clients = self.configuration("tt02").clients
        configuration.clients["erp"]?.policy.tokenProfiles = ["dev"]
        #expect(self.problems(configuration).isEmpty)
        configuration.clients["erp"]?.policy.tokenProfiles = ["erp"]
        #expect(
            self.problems(configuration) == [
                "configuration: clients.erp.policy.tokenProfiles[0] 'erp' is not a token profile of the built-in "
                    + "simulator, which has only 'dev' (defaultTokenProfile): remove it"
            ])
    }

    @Test("the gateway's defaultTokenProfile must be configured; the message names the fix")
    func defaultProfileIsChecked() {
        var configuration = self.configuration("tt02")
        configuration.defaultTokenProfile = "typo"
        #expect(
            self.problems(configuration) == [
                "configuration: defaultTokenProfile 'typo' is not among tokenProfiles: configure tokenProfiles.typo "
                    + "or name one of erp"
            ])
    }
}
