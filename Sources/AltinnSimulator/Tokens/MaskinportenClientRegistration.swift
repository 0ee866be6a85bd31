package import Foundation

/// A client registered with the simulated Maskinporten: its public key (as the JWK modulus and
/// exponent, base64url), the scopes it was granted, and the organisation it belongs to.
package struct MaskinportenClientRegistration: Sendable, Equatable {
    package var clientId: String
    package var kid: String
    package var modulus: String
    package var exponent: String
    package var scopes: Set<String>
    /// The consumer organisation number the issued tokens carry.
    package var consumerOrg: String

    package init(
        clientId: String, kid: String, modulus: String, exponent: String,
        scopes: Set<String> = ["altinn:instances.read", "altinn:instances.write"],
        consumerOrg: String = "310000001"
    ) {
        self.clientId = clientId
        self.kid = kid
        self.modulus = modulus
        self.exponent = exponent
        self.scopes = scopes
        self.consumerOrg = consumerOrg
    }

    /// From a public JWK document (`kty` RSA, `n`, `e`, `kid`), as registered in Maskinporten's portal.
    package init?(clientId: String, publicJWK json: Data, scopes: Set<String>? = nil, consumerOrg: String = "310000001")
    {
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
            object["kty"] as? String == "RSA", let n = object["n"] as? String, let e = object["e"] as? String,
            let kid = object["kid"] as? String
        else { return nil }
        self.init(
            clientId: clientId, kid: kid, modulus: n, exponent: e,
            scopes: scopes ?? ["altinn:instances.read", "altinn:instances.write"], consumerOrg: consumerOrg)
    }
}

/// Knobs for the token side of the simulator.
package struct SimulatorTokenSettings: Sendable {
    /// Lifetime of issued Altinn tokens; short in tests so refresh is exercised.
    package var altinnTokenLifetime: Duration = .seconds(1800)
    package var maskinportenTokenLifetime: Duration = .seconds(120)
    /// Registered Maskinporten clients.
    package var clients: [MaskinportenClientRegistration] = []
    /// System users by organisation number: whom a system-user grant signs as.
    package var systemUsers: [String: SimulatedIdentity] = ["310000001": .defaultSystemUser]

    package init(
        altinnTokenLifetime: Duration = .seconds(1800),
        clients: [MaskinportenClientRegistration] = [],
        systemUsers: [String: SimulatedIdentity] = ["310000001": .defaultSystemUser]
    ) {
        self.altinnTokenLifetime = altinnTokenLifetime
        self.clients = clients
        self.systemUsers = systemUsers
    }
}
