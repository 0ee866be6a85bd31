package import Transport

/// Why a token could not be had. Carries no secret.
package enum TokenError: Error, Sendable, Equatable {
    /// No profile of that name is configured.
    case unknownProfile(String)
    /// The profile is configured but its token could not be obtained.
    case unavailable(profile: String, step: String, reason: String)
}

/// Supplies the Altinn token for a named profile. The seam where Maskinporten plugs in.
package protocol TokenProvider: Sendable {
    /// The names of the configured profiles.
    var profileNames: [String] { get }
    func token(forProfile name: String) async throws(TokenError) -> AccessToken
    /// Drops a cached token after Altinn refused it (401), so the next call fetches a new one.
    func invalidate(profile name: String, token: AccessToken) async
}
