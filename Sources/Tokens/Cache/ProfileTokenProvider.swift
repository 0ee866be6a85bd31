package import Transport

/// The gateway's `TokenProvider`: `static` profiles answered directly, fetched profiles through the cache.
package struct ProfileTokenProvider: TokenProvider {
    private let fixed: StaticTokenProvider
    private let cache: TokenCache

    package init(static fixed: StaticTokenProvider, cache: TokenCache) {
        self.fixed = fixed
        self.cache = cache
    }

    package var profileNames: [String] { (self.fixed.profileNames + self.cache.profileNames).sorted() }

    package func token(forProfile name: String) async throws(TokenError) -> AccessToken {
        if self.cache.profileNames.contains(name) { return try await self.cache.token(forProfile: name) }
        return try await self.fixed.token(forProfile: name)
    }

    var cacheForExpiries: TokenCache { self.cache }

    package func invalidate(profile name: String, token: AccessToken) async {
        await self.cache.invalidate(profile: name, token: token)
    }
}
