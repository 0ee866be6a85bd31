import Foundation
import Transport

/// One profile's cache as an explicit state machine. Pure: no clock, no I/O; the `TokenCache`
/// actor feeds it the time and the outcome of fetches, and carries out the decisions it returns.
///
/// empty → fetching → valid → refreshing → valid …; a failed fetch → failed(until) → fetching.
enum TokenCacheState: Sendable {
    case empty
    case fetching(generation: Int)
    case valid(CachedToken)
    /// A refresh runs in the background while the current token is still handed out.
    case refreshing(CachedToken, generation: Int)
    /// A fetch failed; callers get the same error until `until`, so the source is not hammered.
    case failed(TokenError, until: Date)

    /// What a caller should do now.
    enum Decision: Sendable, Equatable {
        case use(AccessToken)
        /// Hand out the token and start a background refresh with this generation.
        case useAndRefresh(AccessToken, generation: Int)
        /// Start a fetch with this generation and wait for it.
        case fetch(generation: Int)
        /// Wait for the fetch already in flight.
        case join(generation: Int)
        case fail(TokenError)
    }

    /// Moves the state for a caller arriving at `now`; `nextGeneration` numbers a new fetch.
    mutating func request(now: Date, nextGeneration: Int) -> Decision {
        switch self {
        case .empty:
            self = .fetching(generation: nextGeneration)
            return .fetch(generation: nextGeneration)
        case .fetching(let generation):
            return .join(generation: generation)
        case .valid(let cached):
            if now < cached.refreshAt { return .use(cached.token) }
            if now < cached.expiresAt {
                self = .refreshing(cached, generation: nextGeneration)
                return .useAndRefresh(cached.token, generation: nextGeneration)
            }
            self = .fetching(generation: nextGeneration)
            return .fetch(generation: nextGeneration)
        case .refreshing(let cached, let generation):
            return now < cached.expiresAt ? .use(cached.token) : .join(generation: generation)
        case .failed(let error, let until):
            if now < until { return .fail(error) }
            self = .fetching(generation: nextGeneration)
            return .fetch(generation: nextGeneration)
        }
    }

    /// A fetch finished. Results of a fetch that is no longer current (purged meanwhile) are dropped.
    mutating func completed(
        generation: Int, result: Result<CachedToken, TokenError>, now: Date, retryAfter: Duration
    ) {
        switch self {
        case .fetching(let current) where current == generation:
            switch result {
            case .success(let cached): self = .valid(cached)
            case .failure(let error): self = .failed(error, until: now.adding(retryAfter))
            }
        case .refreshing(let old, let current) where current == generation:
            switch result {
            case .success(let cached): self = .valid(cached)
            case .failure:
                // The old token still works: keep it, and try again after the back-off, not on every call.
                var kept = old
                kept.refreshAt = min(now.adding(retryAfter), old.expiresAt)
                self = .valid(kept)
            }
        default:
            break
        }
    }

    /// Altinn refused `token` (401): forget it so the next caller fetches anew. A fetch already in
    /// flight is kept; it will bring a new token.
    mutating func invalidate(_ token: AccessToken) {
        switch self {
        case .valid(let cached) where cached.token == token:
            self = .empty
        case .refreshing(let cached, let generation) where cached.token == token:
            self = .fetching(generation: generation)
        default:
            break
        }
    }
}

/// A token with its schedule.
struct CachedToken: Sendable, Equatable {
    var token: AccessToken
    var refreshAt: Date
    var expiresAt: Date

    /// Refresh ahead by min(10 % of the lifetime, 60 s), so callers never see an expired token.
    init(token: AccessToken, obtainedAt: Date, expiresAt: Date) {
        self.token = token
        self.expiresAt = expiresAt
        let lifetime = max(0, expiresAt.timeIntervalSince(obtainedAt))
        self.refreshAt = expiresAt.addingTimeInterval(-min(lifetime * 0.1, 60))
    }
}

extension Date {
    func adding(_ duration: Duration) -> Date {
        let (seconds, attoseconds) = duration.components
        return self.addingTimeInterval(Double(seconds) + Double(attoseconds) / 1e18)
    }
}
