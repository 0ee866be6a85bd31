import Foundation

/// A `maskinporten` token profile: what the gateway needs to obtain an Altinn token on its own.
/// Holds the key file's path, never its content.
package struct MaskinportenProfile: Sendable, Equatable {
    package var clientId: String
    /// The key id registered with Maskinporten; sent as the grant's `kid` header.
    package var kid: String
    /// PEM (PKCS#1 or PKCS#8) or JWK file with the RSA private key.
    package var keyFile: String
    package var scopes: [String]
    package var resource: String?
    /// Organisation number of the system user to act as (adds `authorization_details`).
    package var systemUserOrg: String?
    /// Maskinporten issuer identifier, e.g. `https://test.maskinporten.no/`; the grant's `aud`.
    package var issuer: String
    /// Altinn platform base URL for the exchange, e.g. `https://platform.tt02.altinn.no`.
    package var platform: String
    /// Used when the Altinn token's `exp` cannot be read.
    package var fallbackLifetime: Duration

    package init(
        clientId: String, kid: String, keyFile: String, scopes: [String], resource: String? = nil,
        systemUserOrg: String? = nil, issuer: String, platform: String, fallbackLifetime: Duration = .seconds(1800)
    ) {
        self.clientId = clientId
        self.kid = kid
        self.keyFile = keyFile
        self.scopes = scopes
        self.resource = resource
        self.systemUserOrg = systemUserOrg
        self.issuer = issuer
        self.platform = platform
        self.fallbackLifetime = fallbackLifetime
    }

    /// `test`, `prod` or a URL → the issuer identifier (with the trailing slash Maskinporten uses).
    package static func issuer(named value: String) -> String? {
        switch value {
        case "test": return "https://test.maskinporten.no/"
        case "prod", "production": return "https://maskinporten.no/"
        default: return Self.isHTTPURL(value) ? value : nil
        }
    }

    /// `tt02`, `production` or a URL → the Altinn platform base URL.
    package static func platform(named value: String) -> String? {
        switch value {
        case "tt02": return "https://platform.tt02.altinn.no"
        case "production", "prod": return "https://platform.altinn.no"
        default: return Self.isHTTPURL(value) ? Self.trimmingSlashes(value) : nil
        }
    }

    /// `{issuer}/token`, however the issuer ends.
    package var tokenEndpoint: String { Self.trimmingSlashes(self.issuer) + "/token" }

    package var exchangeEndpoint: String {
        Self.trimmingSlashes(self.platform) + "/authentication/api/v1/exchange/maskinporten"
    }

    static func isHTTPURL(_ value: String) -> Bool {
        guard let url = URL(string: value), let scheme = url.scheme?.lowercased(), url.host != nil else {
            return false
        }
        return scheme == "http" || scheme == "https"
    }

    static func trimmingSlashes(_ value: String) -> String {
        var value = value
        while value.hasSuffix("/") { value.removeLast() }
        return value
    }
}
