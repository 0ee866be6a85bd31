package import Foundation
package import Logging
package import Transport

/// Caches one token per profile in front of its `TokenSource`: one fetch in flight per profile
/// (single flight), refresh ahead of expiry in the background, a short jittered negative cache.
package actor TokenCache {
    package struct Settings: Sendable {
        /// How long a failure is remembered, before jitter (±50 %).
        package var failureBackoff: Duration = .seconds(3)
        /// Used when the Altinn token's `exp` cannot be read.
        package var fallbackLifetime: Duration = .seconds(1800)
        /// The cache's notion of now (wall time, since token `exp` is wall time). Injectable for tests.
        package var now: @Sendable () -> Date = { Date() }
        /// Jitter factor in 0.5...1.5 for the negative cache. Injectable for tests.
        package var jitter: @Sendable () -> Double = { Double.random(in: 0.5...1.5) }

        package init() {}
    }

    private let sources: [String: any TokenSource]
    private let settings: Settings
    private let logger: Logger
    private var states: [String: TokenCacheState] = [:]
    /// When each profile last got a token, and its last failure (the step that failed), for operators.
    private(set) var history: [String: TokenHistory] = [:]
    private var inFlight: [Int: Task<Result<FetchedToken, TokenError>, Never>] = [:]
    private var generation = 0

    package init(sources: [String: any TokenSource], settings: Settings = Settings(), logger: Logger) {
        self.sources = sources
        self.settings = settings
        self.logger = logger
    }

    package nonisolated var profileNames: [String] { self.sources.keys.sorted() }

    /// Read by `expiries()` (in Observability), which lives apart to keep this type about caching.
    var currentStates: [String: TokenCacheState] { self.states }

    package func token(forProfile name: String) async throws(TokenError) -> AccessToken {
        guard let source = self.sources[name] else { throw .unknownProfile(name) }
        self.generation += 1
        var state = self.states[name] ?? .empty
        let decision = state.request(now: self.settings.now(), nextGeneration: self.generation)
        self.states[name] = state
        switch decision {
        case .use(let token):
            return token
        case .fail(let error):
            throw error
        case .useAndRefresh(let token, let generation):
            self.logger.debug("refreshing token ahead of expiry", metadata: ["tokenProfile": "\(name)"])
            _ = self.start(generation, profile: name, source: source)
            return token
        case .fetch(let generation):
            return try await self.outcome(self.start(generation, profile: name, source: source))
        case .join(let generation):
            guard let task = self.inFlight[generation] else {
                // Unreachable by construction (a fetching state always has its task); fail soft.
                throw .unavailable(profile: name, step: "cache", reason: "no fetch in flight")
            }
            return try await self.outcome(task)
        }
    }

    /// Drops `token` for `name` if it is the cached one, so the next call fetches a new one.
    package func invalidate(profile name: String, token: AccessToken) {
        guard var state = self.states[name] else { return }
        state.invalidate(token)
        self.states[name] = state
        self.logger.info("token purged after Altinn refused it", metadata: ["tokenProfile": "\(name)"])
    }

    /// Returns when every fetch started so far has finished and its result is cached; tests wait on this instead
    /// of the clock.
    func fetchesSettled() async {
        for task in self.inFlight.values { _ = await task.value }
    }

    private func start(
        _ generation: Int, profile name: String, source: any TokenSource
    ) -> Task<Result<FetchedToken, TokenError>, Never> {
        // The fetch is not tied to any caller: a cancelled caller must not cancel it for the others.
        let task = Task<Result<FetchedToken, TokenError>, Never> {
            let result: Result<FetchedToken, TokenError>
            do throws(TokenError) {
                result = .success(try await source.fetch())
            } catch {
                result = .failure(error)
            }
            self.finish(generation, profile: name, result: result)
            return result
        }
        self.inFlight[generation] = task
        return task
    }

    private func finish(_ generation: Int, profile name: String, result: Result<FetchedToken, TokenError>) {
        self.inFlight[generation] = nil
        let now = self.settings.now()
        let cached = result.map { fetched in
            CachedToken(token: fetched.token, obtainedAt: now, expiresAt: self.expiry(of: fetched.facts, now: now))
        }
        let backoff = self.settings.failureBackoff * self.settings.jitter()
        var state = self.states[name] ?? .empty
        state.completed(generation: generation, result: cached, now: now, retryAfter: backoff)
        self.states[name] = state
        TokenMetrics.fetched(profile: name, succeeded: (try? cached.get()) != nil)
        self.history[name, default: TokenHistory()].record(cached.map { _ in () }, at: now)
        switch cached {
        case .success(let token):
            self.logger.info(
                "token obtained",
                metadata: [
                    "tokenProfile": "\(name)", "expiresAt": "\(token.expiresAt)", "refreshAt": "\(token.refreshAt)",
                ])
        case .failure(let error):
            self.logger.warning("token unavailable", metadata: ["tokenProfile": "\(name)", "error": "\(error)"])
        }
    }

    /// With both `iat` and `exp`, the lifetime is applied to our own clock, so a skew between this host
    /// and Altinn cannot make a token look fresher (or staler) than it is.
    private func expiry(of facts: AltinnTokenFacts, now: Date) -> Date {
        if let issued = facts.issuedAt, let expires = facts.expiresAt, expires > issued {
            return now.addingTimeInterval(expires.timeIntervalSince(issued))
        }
        return facts.expiresAt ?? now.adding(self.settings.fallbackLifetime)
    }

    private func outcome(_ task: Task<Result<FetchedToken, TokenError>, Never>) async throws(TokenError) -> AccessToken
    {
        try await task.value.get().token
    }
}
