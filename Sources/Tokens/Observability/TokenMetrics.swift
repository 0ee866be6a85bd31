package import Foundation
import Metrics

/// Token fetches per profile and outcome. Profile names come from configuration, a closed set.
enum TokenMetrics {
    static let fetches = "signing_gateway_token_fetches_total"

    static func fetched(profile: String, succeeded: Bool) {
        Metrics.Counter(
            label: Self.fetches, dimensions: [("profile", profile), ("result", succeeded ? "success" : "failure")]
        )
        .increment()
    }
}

/// A profile's recent fetches, as an operator wants to see them (never a token or what Maskinporten said).
package struct TokenHistory: Sendable, Equatable {
    package var lastRefreshAt: Date?
    package var lastFailureAt: Date?
    /// `maskinporten grant`, `altinn exchange`, … (`TokenError.unavailable`'s step).
    package var lastFailureStep: String?

    mutating func record(_ result: Result<Void, TokenError>, at now: Date) {
        switch result {
        case .success:
            self.lastRefreshAt = now
        case .failure(let error):
            self.lastFailureAt = now
            if case .unavailable(_, let step, _) = error {
                self.lastFailureStep = step
            } else {
                self.lastFailureStep = nil
            }
        }
    }
}

extension TokenProvider {
    /// Each fetched profile's last refresh and last failure; static profiles are absent.
    package func tokenHistories() async -> [String: TokenHistory] {
        guard let provider = self as? ProfileTokenProvider else { return [:] }
        return await provider.histories()
    }

    /// When each fetched (cached) profile's token expires; `nil` while it holds none (not fetched yet, or
    /// failing). Static profiles have no known expiry and are absent.
    package func tokenExpiries() async -> [String: Date?] {
        guard let provider = self as? ProfileTokenProvider else { return [:] }
        return await provider.cacheExpiries()
    }
}

extension ProfileTokenProvider {
    func cacheExpiries() async -> [String: Date?] { await self.cacheForExpiries.expiries() }
    func histories() async -> [String: TokenHistory] { await self.cacheForExpiries.history }
}

extension TokenCache {
    /// The expiry of every profile's current token (valid or being refreshed).
    package func expiries() -> [String: Date?] {
        var result: [String: Date?] = [:]
        for name in self.profileNames {
            switch self.currentStates[name] ?? .empty {
            case .valid(let cached), .refreshing(let cached, _): result[name] = .some(cached.expiresAt)
            case .empty, .fetching, .failed: result[name] = .some(nil)
            }
        }
        return result
    }
}
