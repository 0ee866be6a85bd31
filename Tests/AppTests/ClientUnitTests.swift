import AltinnAPI
import Foundation
import Gateway
import Synchronization
import Testing

@testable import App
@testable import GatewayHTTP

@Suite struct ClientUnitTests {
    @Test func tokenBucketRefillsWithTheInjectedClock() {
        let start = ContinuousClock.now
        let clock = TestClock(start)
        let limiter = RateLimiter { clock.value.withLock { $0 } }
        let limit = RateLimit(perSecond: 2, burst: 2)
        #expect(limiter.take("a", limit) == nil)
        #expect(limiter.take("a", limit) == nil)
        #expect(limiter.take("a", limit) == .milliseconds(500))
        #expect(limiter.take("b", limit) == nil)
        clock.value.withLock { $0 = start + .milliseconds(500) }
        #expect(limiter.take("a", limit) == nil)
        #expect(limiter.take("a", limit) != nil)
        // Refill is capped at the burst.
        clock.value.withLock { $0 = start + .seconds(3600) }
        #expect(limiter.take("a", limit) == nil)
        #expect(limiter.take("a", limit) == nil)
        #expect(limiter.take("a", limit) != nil)
    }

    @Test(arguments: [
        (#"{"a":1,"a":2}"#, "/a"),
        (#"{"a":1,"b":{"c":1,"c":2}}"#, "/b/c"),
        (#"{"a":[{"x":1},{"x":1,"x":2}]}"#, "/a/1/x"),
        (#"{"a":1,"\u0061":2}"#, "/a"),
        (#"{"a/b":{"~":1,"~":2}}"#, "/a~1b/~0"),
    ])
    func duplicateMembersAreFound(_ json: String, _ pointer: String) {
        #expect(DuplicateMembers.first(in: Array(json.utf8)) == pointer)
    }

    @Test(arguments: [
        #"{"a":1,"b":"a","c":{"a":1},"d":[{"a":1},{"a":1}]}"#, #"["a","a"]"#, #"{"a":"\"a\"","b":"a"}"#, #"{"a":"#,
        "",
    ])
    func distinctMembersPass(_ json: String) {
        #expect(DuplicateMembers.first(in: Array(json.utf8)) == nil)
    }

    @Test func appPatterns() throws {
        let app = try AppReference(org: "ttd", app: "signing-app")
        #expect(AppPattern("*")?.matches(app) == true)
        #expect(AppPattern("ttd/*")?.matches(app) == true)
        #expect(AppPattern("ttd/signing-app")?.matches(app) == true)
        #expect(AppPattern("ttd/other")?.matches(app) == false)
        #expect(AppPattern("acme/*")?.matches(app) == false)
        for bad in ["ttd", "ttd/..", "TTD/*", "*/*", "ttd/a/b", "ttd/%2F", ""] {
            #expect(AppPattern(bad) == nil, "\(bad)")
        }
    }

    @Test func tokenProfileChoice() {
        var policy = ClientPolicy(
            apps: [], operations: [], tokenProfiles: ["erp", "dev"], defaultTokenProfile: "erp", rateLimit: nil)
        #expect(policy.tokenProfile(requested: nil, gatewayDefault: "dev") == "erp")
        #expect(policy.tokenProfile(requested: "dev", gatewayDefault: "dev") == "dev")
        #expect(policy.tokenProfile(requested: "prod", gatewayDefault: "dev") == nil)
        policy.defaultTokenProfile = nil
        policy.tokenProfiles = ["erp"]
        #expect(policy.tokenProfile(requested: nil, gatewayDefault: "dev") == nil)
        policy.tokenProfiles = nil
        #expect(policy.tokenProfile(requested: nil, gatewayDefault: "dev") == "dev")
        // No list: only the default, never another profile (another client's system user).
        #expect(policy.tokenProfile(requested: "other-clients-profile", gatewayDefault: "dev") == nil)
        policy.defaultTokenProfile = "erp"
        #expect(policy.tokenProfile(requested: "dev", gatewayDefault: "dev") == nil)
        #expect(policy.tokenProfile(requested: nil, gatewayDefault: "dev") == "erp")
        // `["*"]` in the configuration: any.
        policy.anyTokenProfile = true
        #expect(policy.tokenProfile(requested: "prod", gatewayDefault: "dev") == "prod")
    }

    @Test func noConfiguredRateCanMakeTheLimiterTrap() {
        let limiter = RateLimiter()
        let tiny = RateLimit(perSecond: 1e-300, burst: 1)
        #expect(limiter.take("a", tiny) == nil)
        let wait = limiter.take("a", tiny)
        #expect(wait == .seconds(86_400))
    }

    @Test(
        "rate limits out of bounds are configuration errors",
        arguments: [(0.0001, 1), (0, 1), (200_000, 1), (1, 0), (1, 1_000_000)] as [(Double, Int)])
    func rateLimitBounds(perSecond: Double, burst: Int) {
        var client = ClientRegistry.devClient(apiKeySha256: APIKeyHash.hex(of: "k"))
        client.policy.rateLimit = .init(perSecond: perSecond, burst: burst)
        #expect(throws: ConfigurationError.self) { try ClientRegistry.configured(["c": client], environment: [:]) }
    }

    @Test func webhookIds() {
        #expect(ClientAuthMiddleware.isValidWebhookId("msg_p5jXN8AQM9LWM0D4loKWxJek"))
        for bad in ["", "a.b", "a b", "a\r\nb", String(repeating: "a", count: 256), "a\"b", "æ"] {
            #expect(!ClientAuthMiddleware.isValidWebhookId(bad))
        }
    }
}

/// A settable clock: time moves only when the test says so.
final class TestClock: Sendable {
    let value: Mutex<ContinuousClock.Instant>
    init(_ start: ContinuousClock.Instant) { self.value = Mutex(start) }
}
