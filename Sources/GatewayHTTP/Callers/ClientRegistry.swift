import Foundation
package import Gateway
package import Webhooks

/// One configured client: who it is, how it proves it, what it may do.
package struct RegisteredClient: Sendable {
    let id: String
    let policy: ClientPolicy
    let apiKeys: [APIKeyHash]
    let secrets: [WebhookSecret]

    package init(id: String, policy: ClientPolicy, apiKeys: [APIKeyHash], secrets: [WebhookSecret]) {
        self.id = id
        self.policy = policy
        self.apiKeys = apiKeys
        self.secrets = secrets
    }
}

/// The configured clients, with their credentials resolved (secret files and variables read once, at start; see
/// `ClientRegistry+Configuration` in App).
package struct ClientRegistry: Sendable {
    let clients: [RegisteredClient]

    package init(clients: [RegisteredClient]) { self.clients = clients }

    /// The client holding this API key. Every configured hash is compared, so timing says nothing about which.
    func client(apiKey: String) -> RegisteredClient? {
        let digest = APIKeyHash.of(key: apiKey)
        var found: RegisteredClient?
        for client in self.clients {
            for hash in client.apiKeys where hash.matches(digest: digest) && found == nil { found = client }
        }
        return found
    }

    /// The client one of whose secrets produced one of `signatures` over `content`.
    func client(signatures: [Data], content: [UInt8]) -> RegisteredClient? {
        var found: RegisteredClient?
        for client in self.clients {
            for secret in client.secrets
            where WebhookVerifier.matches(signatures, content: content, secret: secret) && found == nil {
                found = client
            }
        }
        return found
    }

    var ids: [String] { self.clients.map(\.id) }

    /// The configured client with this id (a console session names its client by id).
    func client(id: String) -> RegisteredClient? { self.clients.first { $0.id == id } }

    /// The app patterns of client `id`'s policy; none for a client that is not configured (any more).
    package func apps(of id: String) -> [AppPattern] {
        self.clients.first { $0.id == id }?.policy.apps ?? []
    }

    package static func isValidId(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard (1...64).contains(bytes.count) else { return false }
        return bytes.enumerated().allSatisfy { index, byte in
            (0x61...0x7A).contains(byte) || (0x30...0x39).contains(byte)
                || (index > 0 && (byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")))
        }
    }
}
