package import Foundation
package import Transport

/// A token obtained from its source, with what is known about it. `token` is redacted when printed.
package struct FetchedToken: Sendable {
    package let token: AccessToken
    package let facts: AltinnTokenFacts
    /// Each step and how long it took, in order (for `token check`).
    package let steps: [(name: String, duration: Duration)]
}

/// Where a cached profile gets a fresh token from. The seam the cache is tested through.
package protocol TokenSource: Sendable {
    func fetch() async throws(TokenError) -> FetchedToken
}

/// Signs a grant, trades it at Maskinporten, exchanges the result at Altinn.
package struct MaskinportenTokenSource: TokenSource {
    let name: String
    let grants: GrantBuilder
    let maskinporten: MaskinportenClient
    let exchange: ExchangeClient
    let wallClock: @Sendable () -> Date

    /// Reads the key file once (its content is never logged; errors name the path only).
    package init(
        name: String,
        profile: MaskinportenProfile,
        transport: any HTTPTransport,
        timeout: Duration = .seconds(10),
        wallClock: @escaping @Sendable () -> Date = { Date() }
    ) async throws(TokenError) {
        let key: SigningKey
        do {
            key = try SigningKey.load(file: profile.keyFile, kid: profile.kid)
        } catch {
            throw .unavailable(profile: name, step: StepFailure.Step.key.rawValue, reason: error.description)
        }
        self.name = name
        self.grants = await GrantBuilder(profile: profile, key: key)
        self.maskinporten = MaskinportenClient(transport: transport, endpoint: profile.tokenEndpoint, timeout: timeout)
        self.exchange = ExchangeClient(transport: transport, endpoint: profile.exchangeEndpoint, timeout: timeout)
        self.wallClock = wallClock
    }

    package var profile: MaskinportenProfile { self.grants.profile }

    package func fetch() async throws(TokenError) -> FetchedToken {
        let clock = ContinuousClock()
        var steps: [(name: String, duration: Duration)] = []
        do throws(StepFailure) {
            var started = clock.now
            let grant: AccessToken
            do {
                grant = try await self.grants.signedGrant(now: self.wallClock())
            } catch {
                throw StepFailure(step: .grant, reason: "the grant could not be signed")
            }
            steps.append(("sign grant", clock.now - started))
            started = clock.now
            let maskinportenToken = try await self.maskinporten.accessToken(for: grant)
            steps.append(("maskinporten token", clock.now - started))
            started = clock.now
            let altinnToken = try await self.exchange.altinnToken(for: maskinportenToken)
            steps.append(("altinn exchange", clock.now - started))
            return FetchedToken(token: altinnToken, facts: AltinnTokenFacts.read(altinnToken), steps: steps)
        } catch {
            throw error.tokenError(profile: self.name)
        }
    }
}
