import GatewayHTTP
package import Logging
package import Tokens
package import Transport

/// Builds the token provider from the configured profiles: `static` ones read once, `maskinporten`
/// ones behind the cache. Key files are read here, once.
package enum TokenAssembly {
    package static func provider(
        static staticSources: [String: StaticTokenSource],
        maskinporten profiles: [String: MaskinportenProfile],
        transport: any HTTPTransport,
        timeout: Duration,
        cacheSettings: TokenCache.Settings = TokenCache.Settings(),
        logger: Logger
    ) async throws(TokenError) -> ProfileTokenProvider {
        let fixed = try StaticTokenProvider(sources: staticSources)
        var sources: [String: any TokenSource] = [:]
        for (name, profile) in profiles {
            sources[name] = try await MaskinportenTokenSource(
                name: name, profile: profile, transport: transport, timeout: timeout)
        }
        return ProfileTokenProvider(
            static: fixed, cache: TokenCache(sources: sources, settings: cacheSettings, logger: logger))
    }
}
