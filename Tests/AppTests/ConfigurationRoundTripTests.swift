import Foundation
import Testing

@testable import App
@testable import Gateway

/// `config check` prints what `serve` would load, in a form the loader reads back as it is: fed to
/// `config check --config`, the output prints itself again (a fixed point), and loads to the same configuration.
@Suite struct ConfigurationRoundTripTests {
    func write(_ text: String, _ name: String) throws -> String { try temporaryFile(text, named: name) }

    /// The printed text, and what loading it as a file (JSON, and YAML, of which JSON is a subset) gives.
    func roundTrip(_ configuration: GatewayConfiguration, fromFile: Bool) throws -> (
        printed: String, loaded: GatewayConfiguration, again: String
    ) {
        let printed = String(
            decoding: ConfigurationCheck.effectiveJSON(configuration, fromFile: fromFile), as: UTF8.self)
        let loaded = try ConfigurationLoader.load(file: try self.write(printed, "effective.json"), environment: [:])
        let fromYAML = try ConfigurationLoader.load(file: try self.write(printed, "effective.yaml"), environment: [:])
        #expect(fromYAML == loaded)
        let again = String(decoding: ConfigurationCheck.effectiveJSON(loaded, fromFile: true), as: UTF8.self)
        return (printed, loaded, again)
    }

    @Test("the embedded default's output loads back and prints the same")
    func embeddedDefault() throws {
        let embedded = try ConfigurationLoader.load(file: nil, environment: [:])
        let trip = try self.roundTrip(embedded, fromFile: false)
        #expect(trip.again == trip.printed)
        // The same configuration, the log format now written out instead of implied by "no file".
        var expected = embedded
        expected.logFormat = "text"
        #expect(trip.loaded == expected)
        #expect(ConfigurationCheck.problems(trip.loaded, environment: [:]).isEmpty)
    }

    static let rich = #"""
        {"host": "0.0.0.0", "port": 9443, "dataDirectory": "/var/lib/signing-gateway", "logLevel": "notice",
         "logFormat": "json", "maxRequestBodyBytes": 131072, "drainTimeoutSeconds": 50, "idleTimeoutSeconds": 90,
         "requestBodyTimeoutSeconds": 20, "trustedProxies": ["10.0.0.0/8", "fd00::/8"], "forwardedHeader": "forwarded",
         "upstream": {"environment": "tt02", "timeoutMilliseconds": 8000, "connectTimeoutMilliseconds": 2500,
                      "caBundle": "/etc/ssl/ca.pem", "maxResponseBytes": 2097152, "proxy": "http://proxy:3128",
                      "preflightCacheSeconds": 60},
         "tokenProfiles": {
           "erp": {"kind": "maskinporten", "clientId": "00000000-0000-0000-0000-000000000001", "kid": "erp-2026-01",
                   "keyFile": "/run/secrets/erp.pem", "scopes": "altinn:instances.read altinn:instances.write",
                   "resource": "urn:altinn:resource", "systemUserOrg": "310000001"},
           "pasted": {"kind": "static", "tokenEnv": "ALTINN_TOKEN"}
         },
         "defaultTokenProfile": "erp",
         "storage": {"engine": "postgres", "postgresURL": "postgres://gw@db:5432/gw?sslmode=verify-full",
                     "postgresPasswordFile": "/run/secrets/pg", "postgresCAFile": "/run/secrets/pg-ca.pem",
                     "postgresPoolSize": 20, "postgresStatementTimeoutSeconds": 45, "idempotencyRetentionHours": 48},
         "clients": {
           "erp": {"description": "ERP \"main\"",
                   "credentials": [
                     {"id": "erp-key-1", "apiKeySha256": "abababababababababababababababababababababababababababababababab"},
                     {"id": "erp-hmac-1", "hmacSecretFile": "/run/secrets/erp.whsec"}],
                   "policy": {"apps": ["ttd/*"], "operations": ["sign", "processNext", "reject", "read", "events"],
                              "tokenProfiles": ["erp", "pasted"], "defaultTokenProfile": "pasted",
                              "rateLimit": {"perSecond": 0.5, "burst": 3}}},
           "ops": {"credentials": [{"id": "ops-hmac", "hmacSecretEnv": "OPS_SECRET"}],
                   "policy": {"apps": ["*"], "operations": ["admin", "read"], "tokenProfiles": ["*"]}}
         },
         "signatureToleranceSeconds": 120, "maxRequestHeaderBytes": 32768,
         "events": {"trackingInitialIntervalSeconds": 0.25, "trackingMaxIntervalSeconds": 600,
                    "trackingDeadlineHours": 48, "stallAfterHours": 1.5, "deliverySchedule": ["500ms", "5s", "1h"],
                    "deliveryJitter": 0.05, "deliveryTimeoutSeconds": 10, "deliveryConcurrency": 8,
                    "retryAfterCapSeconds": 600, "allowedDestinations": ["10.1.0.0/16"],
                    "altinnEventsSecretFile": "/run/secrets/altinn-events", "maxSubscriptionsPerClient": 5,
                    "retentionDays": 7, "secretKeyFile": "/run/secrets/sealing.key", "proxy": "socks5://proxy:1080"},
         "audit": {"checkpointKeyFile": "/run/secrets/audit.key", "checkpointIntervalSeconds": 60, "retentionDays": 400},
         "preAuth": {"perSecond": 2.5, "burst": 7, "maxSources": 500, "windowSeconds": 30},
         "console": {"enabled": false, "sessionMinutes": 0.5, "sessionMaxHours": 2, "secureCookie": true}}
        """#

    @Test("a configuration using every section loads back to itself and prints the same")
    func everySection() throws {
        let original = try ConfigurationLoader.load(file: try self.write(Self.rich, "rich.json"), environment: [:])
        // Shape and relations only: the files it names are not on this machine.
        #expect(ConfigurationCheck.problems(original, environment: [:], readingFiles: false).map { "\($0)" } == [])
        let trip = try self.roundTrip(original, fromFile: true)
        #expect(trip.again == trip.printed)
        #expect(trip.loaded == original)
        #expect(ConfigurationCheck.problems(trip.loaded, environment: [:], readingFiles: false).isEmpty)
        // Numbers are JSON numbers, not strings of them.
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(trip.printed.utf8)) as? [String: Any])
        let preAuth = try #require(json["preAuth"] as? [String: Any])
        #expect(preAuth["perSecond"] is NSNumber && !(preAuth["perSecond"] is String))
        #expect(trip.printed.contains(#""rateLimit":{"perSecond":0.5,"burst":3}"#))
        #expect(trip.printed.contains(#""console":{"enabled":false,"sessionMinutes":0.5"#))
    }

    @Test("a password in the PostgreSQL URL is masked, and the masked URL loads back to itself")
    func maskedPassword() throws {
        var configuration = GatewayConfiguration()
        configuration.upstream.environment = "simulator"
        configuration.storage.engine = .postgres
        configuration.storage.postgresURL = "postgres://gw:hunter2@db/gw"
        let trip = try self.roundTrip(configuration, fromFile: true)
        #expect(!trip.printed.contains("hunter2"))
        #expect(trip.again == trip.printed)
    }

    @Test("numbers that are not finite print as null rather than as text JSON cannot hold")
    func notFinite() {
        #expect(JSONValue.number(.infinity).serialized == Array("null".utf8))
        #expect(JSONValue.number(0.001).serialized == Array("0.001".utf8))
        #expect(JSONValue.number(5).serialized == Array("5.0".utf8))
    }
}
