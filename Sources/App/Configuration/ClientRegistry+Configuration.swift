import Foundation
import Gateway
package import GatewayHTTP
import Webhooks

/// Builds the registry from a configuration's `clients`; every problem names the config key, never a secret's
/// content.
extension ClientRegistry {
    /// The `make run` default: an ordinary configured client, `dev`, holding the data directory's key,
    /// with every operation on every app and every token profile.
    package static func dev(apiKey: String) throws(ConfigurationError) -> ClientRegistry {
        try Self.configured(["dev": Self.devClient(apiKeySha256: APIKeyHash.hex(of: apiKey))], environment: [:])
    }

    package static func devClient(apiKeySha256: String) -> GatewayConfiguration.Client {
        var credential = GatewayConfiguration.Credential()
        credential.id = "dev-client-key"
        credential.apiKeySha256 = apiKeySha256
        var client = GatewayConfiguration.Client()
        client.description = "make run: the key in <data-dir>/dev-client.key"
        client.credentials = [credential]
        client.policy.apps = ["*"]
        client.policy.operations = ClientOperation.allCases.map(\.rawValue)
        client.policy.tokenProfiles = ["*"]
        return client
    }

    /// The clients of a configuration; every problem names the config key, never a secret's content.
    /// `readingSecrets: false` checks the shape only and registers no HMAC secret (`config check --without-files`).
    package static func configured(
        _ clients: [String: GatewayConfiguration.Client],
        environment: [String: String] = ProcessInfo.processInfo.environment,
        readingSecrets: Bool = true
    ) throws(ConfigurationError) -> ClientRegistry {
        var registered: [RegisteredClient] = []
        for (id, client) in clients.sorted(by: { $0.key < $1.key }) {
            let key = "clients.\(id)"
            guard Self.isValidId(id) else {
                throw .invalid(key, "id must be 1-64 of a-z, 0-9, '-', '_', starting with a letter or digit")
            }
            guard !client.credentials.isEmpty else { throw .invalid("\(key).credentials", "needs at least one") }
            var apiKeys: [APIKeyHash] = []
            var secrets: [WebhookSecret] = []
            var credentialIds = Set<String>()
            for credential in client.credentials {
                let credentialKey = "\(key).credentials.\(credential.id)"
                guard credentialIds.insert(credential.id).inserted else {
                    throw .invalid(credentialKey, "credential ids must be unique")
                }
                switch (credential.apiKeySha256, credential.hmacSecretFile, credential.hmacSecretEnv) {
                case (let hex?, nil, nil):
                    guard let hash = APIKeyHash(hex: hex) else {
                        throw .invalid("\(credentialKey).apiKeySha256", "must be 64 hex digits")
                    }
                    apiKeys.append(hash)
                case (nil, _?, nil) where !readingSecrets, (nil, nil, _?) where !readingSecrets:
                    continue
                case (nil, let file?, nil):
                    guard let data = FileManager.default.contents(atPath: file) else {
                        throw .unreadable("\(credentialKey).hmacSecretFile: cannot read \(file)")
                    }
                    secrets.append(try Self.secret(String(decoding: data, as: UTF8.self), credentialKey))
                case (nil, nil, let variable?):
                    guard let text = environment[variable] else {
                        throw .invalid("\(credentialKey).hmacSecretEnv", "variable \(variable) is not set")
                    }
                    secrets.append(try Self.secret(text, credentialKey))
                default:
                    throw .invalid(credentialKey, "give exactly one of apiKeySha256, hmacSecretFile, hmacSecretEnv")
                }
            }
            registered.append(
                RegisteredClient(
                    id: id, policy: try Self.policy(client.policy, key: "\(key).policy"), apiKeys: apiKeys,
                    secrets: secrets))
        }
        return ClientRegistry(clients: registered)
    }

    private static func secret(_ text: String, _ key: String) throws(ConfigurationError) -> WebhookSecret {
        do {
            return try WebhookSecret(encoded: text.trimmingCharacters(in: .whitespacesAndNewlines))
        } catch {
            throw .invalid(key, "HMAC secret \(error)")
        }
    }

    private static func policy(
        _ policy: GatewayConfiguration.ClientPolicy,
        key: String
    ) throws(ConfigurationError) -> ClientPolicy {
        var apps: [AppPattern] = []
        for text in policy.apps {
            guard let pattern = AppPattern(text) else {
                throw .invalid("\(key).apps", "'\(text.prefix(80))' is not *, org/* or org/app")
            }
            apps.append(pattern)
        }
        var operations = Set<ClientOperation>()
        for text in policy.operations {
            guard let operation = ClientOperation(rawValue: text) else {
                throw .invalid(
                    "\(key).operations",
                    "'\(text.prefix(40))' is not one of \(ClientOperation.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            operations.insert(operation)
        }
        var rateLimit: RateLimit?
        if let limit = policy.rateLimit {
            guard limit.perSecond.isFinite, (0.001...100_000).contains(limit.perSecond),
                (1...100_000).contains(limit.burst)
            else {
                throw .invalid("\(key).rateLimit", "perSecond must be 0.001-100000 and burst 1-100000")
            }
            rateLimit = RateLimit(perSecond: limit.perSecond, burst: Double(limit.burst))
        }
        let profiles = policy.tokenProfiles.flatMap { $0.contains("*") ? nil : Set($0) }
        if let profiles, let fallback = policy.defaultTokenProfile, !profiles.contains(fallback) {
            throw .invalid(
                "\(key).defaultTokenProfile",
                "'\(fallback)' must be among \(key).tokenProfiles: add it there, or name one of them")
        }
        return ClientPolicy(
            apps: apps, operations: operations, tokenProfiles: profiles,
            anyTokenProfile: policy.tokenProfiles?.contains("*") == true,
            defaultTokenProfile: policy.defaultTokenProfile, rateLimit: rateLimit)
    }
}
