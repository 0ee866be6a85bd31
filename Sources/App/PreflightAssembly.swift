package import AltinnAPI
package import Gateway
package import Transport

extension GatewayAssembly {
    /// The configured token profiles as the preflight compares them with an app's `apiScopes`: a Maskinporten
    /// profile's `scopes`, a static profile's optional `scopes` (unknown without).
    package static func preflightProfiles(_ configuration: GatewayConfiguration) -> [PreflightTokenProfile] {
        configuration.tokenProfiles.map { name, profile in
            PreflightTokenProfile(name: name, kind: profile.kind, scopes: profile.scopes)
        }
    }

    /// App preflight over `transport` (anonymous reads; no token provider), cached for
    /// `upstream.preflightCacheSeconds`.
    package static func preflight(
        _ configuration: GatewayConfiguration, environment: AltinnEnvironment, transport: any HTTPTransport,
        profiles: [PreflightTokenProfile]
    ) -> AppPreflight {
        let altinn = AltinnClient(
            environment: environment, transport: transport, userAgent: Self.userAgent,
            timeout: .milliseconds(configuration.upstream.timeoutMilliseconds))
        return AppPreflight(
            altinn: altinn, profiles: profiles, cacheTTL: .seconds(configuration.upstream.preflightCacheSeconds))
    }
}
