import AltinnSimulator
import CurlHTTP
import Foundation
import HTTPTypes
import JWTKit
import Logging
import Synchronization
import Testing
import Transport

@testable import Tokens

@Suite struct GrantTests {
    /// jwt-kit, given only the public JWK, accepts the grant; the claims are exactly the documented set.
    @Test func grantIsAcceptedByAnIndependentVerifier() async throws {
        let key = try SigningKey.load(file: TestKey.written.privateKeyPath, kid: TestKey.kid)
        let profile = MaskinportenProfile(
            clientId: "c1", kid: TestKey.kid, keyFile: TestKey.written.privateKeyPath,
            scopes: ["altinn:instances.read", "altinn:instances.write"], systemUserOrg: "310000001",
            issuer: "https://test.maskinporten.no/", platform: "https://platform.tt02.altinn.no")
        let builder = await GrantBuilder(profile: profile, key: key)
        let now = Date()
        let grant = try await builder.signedGrant(now: now).secret

        let jwk = try JSONSerialization.jsonObject(with: Data(TestKey.written.publicJWK.utf8)) as! [String: String]
        let verifier = JWTKeyCollection()
        await verifier.add(
            rsa: try JWTKit.Insecure.RSA.PublicKey(modulus: jwk["n"]!, exponent: jwk["e"]!), digestAlgorithm: .sha256,
            kid: JWKIdentifier(string: TestKey.kid))
        let verified = try await verifier.verify(grant, as: GrantClaims.self)
        #expect(verified.iss == "c1")

        let parts = grant.split(separator: ".").map(String.init)
        let header = try JSONSerialization.jsonObject(with: base64URL(parts[0])) as! [String: Any]
        #expect(header["alg"] as? String == "RS256")
        #expect(header["kid"] as? String == TestKey.kid)
        let claims = try JSONSerialization.jsonObject(with: base64URL(parts[1])) as! [String: Any]
        #expect(
            Set(claims.keys) == ["aud", "iss", "iat", "exp", "jti", "scope", "authorization_details"])
        #expect(claims["aud"] as? String == "https://test.maskinporten.no/")
        let iat = try #require(claims["iat"] as? Int)
        let exp = try #require(claims["exp"] as? Int)
        #expect(exp - iat <= 120 && exp > iat)
        #expect(abs(Double(iat) - now.timeIntervalSince1970) < 2)
        #expect(claims["scope"] as? String == "altinn:instances.read altinn:instances.write")
        let details = try #require(claims["authorization_details"] as? [[String: Any]])
        #expect(details.count == 1)
        #expect(details[0]["type"] as? String == "urn:altinn:systemuser")
        let org = try #require(details[0]["systemuser_org"] as? [String: String])
        #expect(org == ["authority": "iso6523-actorid-upis", "ID": "0192:310000001"])

        let second = try await builder.signedGrant(now: now).secret
        let secondClaims =
            try JSONSerialization.jsonObject(with: base64URL(String(second.split(separator: ".")[1])))
            as! [String: Any]
        #expect(secondClaims["jti"] as? String != claims["jti"] as? String, "a fresh jti per grant")
    }

    @Test func grantWithoutSystemUserHasNoAuthorizationDetails() async throws {
        let key = try SigningKey.load(file: TestKey.written.privateKeyPath, kid: TestKey.kid)
        let profile = MaskinportenProfile(
            clientId: "c1", kid: TestKey.kid, keyFile: "", scopes: ["s"], resource: "urn:r",
            issuer: "https://maskinporten.no/", platform: "https://platform.altinn.no")
        let claims = await GrantBuilder(profile: profile, key: key).claims(now: Date())
        let json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(claims)) as! [String: Any]
        #expect(Set(json.keys) == ["aud", "iss", "iat", "exp", "jti", "scope", "resource"])
    }

    @Test func keyErrorsNameThePathNeverTheContent() throws {
        let path = NSTemporaryDirectory() + "bad-key-\(UUID().uuidString).pem"
        try "-----BEGIN PRIVATE KEY-----\nc2VjcmV0LWtleS1tYXRlcmlhbA==\n-----END PRIVATE KEY-----\n".write(
            toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: KeyLoadingError.self) { try SigningKey.load(file: path, kid: "k") }
        do {
            _ = try SigningKey.load(file: path, kid: "k")
        } catch {
            #expect(error.description.contains(path))
            #expect(!error.description.contains("c2VjcmV0"))
        }
        let key = try SigningKey.load(file: TestKey.written.privateKeyPath, kid: "k")
        #expect(!"\(key)".contains("PRIVATE"))
    }
}

@Suite struct SimulatorVerificationTests {
    /// Signs arbitrary claims with the registered key, as a misbehaving client would.
    func sign(_ claims: [String: JSONClaim], kid: String = TestKey.kid) async throws -> String {
        let keys = JWTKeyCollection()
        let key = try SigningKey.load(file: TestKey.written.privateKeyPath, kid: kid)
        await keys.add(rsa: key.privateKey, digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
        return try await keys.sign(RawClaims(claims: claims), kid: JWKIdentifier(string: kid))
    }

    func claims(_ fixture: SimulatorFixture, extra: [String: JSONClaim] = [:]) -> [String: JSONClaim] {
        let now = Int(Date().timeIntervalSince1970)
        var claims: [String: JSONClaim] = [
            "aud": .string(fixture.url + "/maskinporten/"), "iss": .string(TestKey.clientId), "iat": .int(now),
            "exp": .int(now + 60), "jti": .string(UUID().uuidString), "scope": .string("altinn:instances.read"),
        ]
        claims.merge(extra) { $1 }
        return claims
    }

    func grant(_ fixture: SimulatorFixture, _ assertion: String) async throws -> (Int, String) {
        let response = try await fixture.post(
            "/maskinporten/token",
            form: "grant_type=urn%3Aietf%3Aparams%3Aoauth%3Agrant-type%3Ajwt-bearer&assertion=\(assertion)")
        return (Int(response.status.code), String(decoding: response.body, as: UTF8.self))
    }

    @Test func unknownClaimIsAnInvalidAssertion() async throws {
        try await SimulatorFixture.run { f in
            let (ok, _) = try await grant(f, try await sign(claims(f)))
            #expect(ok == 200)
            let (status, body) = try await grant(f, try await sign(claims(f, extra: ["foo": .string("bar")])))
            #expect(status == 400)
            #expect(body == #"{"error":"invalid_grant","error_description":"Invalid assertion"}"#)
        }
    }

    @Test func replayedJtiWrongAudienceLongLifeAndUnknownKidAreRefused() async throws {
        try await SimulatorFixture.run { f in
            let once = try await sign(claims(f))
            #expect(try await grant(f, once).0 == 200)
            #expect(try await grant(f, once).0 == 400, "jti reused")
            #expect(try await grant(f, try await sign(claims(f, extra: ["aud": .string("https://x/")]))).0 == 400)
            let now = Int(Date().timeIntervalSince1970)
            #expect(try await grant(f, try await sign(claims(f, extra: ["exp": .int(now + 121)]))).0 == 400)
            #expect(try await grant(f, try await sign(claims(f, extra: ["iat": .int(now - 30)]))).0 == 400)
            #expect(try await grant(f, try await sign(claims(f), kid: "other-kid")).0 == 400)
            let (scopeStatus, scopeBody) = try await grant(
                f, try await sign(claims(f, extra: ["scope": .string("altinn:serviceowner")])))
            #expect(scopeStatus == 400 && scopeBody.contains("invalid_scope"))
        }
    }
}

@Suite struct CacheTests {
    @Test func fiveHundredColdCallsMakeOneGrantAndOneExchange() async throws {
        try await SimulatorFixture.run { f in
            let cache = try await f.cache(clock: ManualClock())
            let tokens = try await withThrowingTaskGroup(of: AccessToken.self) { group in
                for _ in 0..<500 { group.addTask { try await cache.token(forProfile: "p") } }
                var all: [AccessToken] = []
                for try await token in group { all.append(token) }
                return all
            }
            #expect(tokens.count == 500)
            #expect(Set(tokens.map(\.secret)).count == 1)
            let counters = await f.simulator.authority.counters
            #expect(counters.grantRequests == 1)
            #expect(counters.exchangeRequests == 1)
        }
    }

    @Test func refreshesAheadWithoutMakingCallersWait() async throws {
        try await SimulatorFixture.run(lifetime: .seconds(600)) { f in
            let clock = ManualClock()
            let cache = try await f.cache(clock: clock)
            let first = try await cache.token(forProfile: "p")
            // Refresh is due at 600 − min(60, 60) = 540 s; the token is valid until 600 s.
            clock.advance(by: 550)
            let during = try await cache.token(forProfile: "p")
            #expect(during == first, "the caller got the valid token at once, not the refreshed one")
            await cache.fetchesSettled()
            #expect(await f.simulator.authority.counters.exchangesIssued == 2)
            let after = try await cache.token(forProfile: "p")
            #expect(after != first)
            #expect(await f.simulator.authority.counters.grantRequests == 2)
        }
    }

    @Test func expiredTokenIsNeverHandedOut() async throws {
        try await SimulatorFixture.run { f in
            let clock = ManualClock()
            let cache = try await f.cache(clock: clock)
            let first = try await cache.token(forProfile: "p")
            clock.advance(by: 601)
            let second = try await cache.token(forProfile: "p")
            #expect(second != first)
            #expect(await f.simulator.authority.counters.exchangesIssued == 2)
        }
    }

    @Test func failureIsRememberedBrieflyWithoutHammeringMaskinporten() async throws {
        try await SimulatorFixture.run { f in
            await f.simulator.authority.setMaskinportenFailure(status: 503)
            let clock = ManualClock()
            let cache = try await f.cache(clock: clock)
            for _ in 0..<20 {
                await #expect(throws: TokenError.self) { try await cache.token(forProfile: "p") }
            }
            #expect(await f.simulator.authority.counters.grantRequests == 1)
            do throws(TokenError) {
                _ = try await cache.token(forProfile: "p")
            } catch {
                guard case .unavailable(let profile, let step, let reason) = error else {
                    Issue.record("wrong error")
                    return
                }
                #expect(profile == "p" && step == "maskinporten grant")
                #expect(reason.contains("rejected (HTTP 503"))
            }
            await f.simulator.authority.setMaskinportenFailure(status: nil)
            clock.advance(by: 10)
            _ = try await cache.token(forProfile: "p")
            #expect(await f.simulator.authority.counters.grantRequests == 2)
        }
    }

    @Test func invalidatePurgesSoTheNextCallFetchesAnew() async throws {
        try await SimulatorFixture.run { f in
            let cache = try await f.cache(clock: ManualClock())
            let first = try await cache.token(forProfile: "p")
            await cache.invalidate(profile: "p", token: first)
            let second = try await cache.token(forProfile: "p")
            #expect(second != first)
            #expect(await f.simulator.authority.counters.exchangesIssued == 2)
        }
    }

    @Test func unreachableMaskinportenSaysSo() async throws {
        let transport = CurlHTTPClient(configuration: .init())
        defer { transport.shutdown() }
        let profile = MaskinportenProfile(
            clientId: "c", kid: TestKey.kid, keyFile: TestKey.written.privateKeyPath, scopes: ["s"],
            issuer: "http://127.0.0.1:1/", platform: "http://127.0.0.1:1")
        let source = try await MaskinportenTokenSource(name: "p", profile: profile, transport: transport)
        await #expect(throws: TokenError.self) { try await source.fetch() }
        do throws(TokenError) { _ = try await source.fetch() } catch {
            guard case .unavailable(_, let step, let reason) = error else {
                Issue.record("expected .unavailable, got \(error)")
                return
            }
            #expect(step == "maskinporten grant" && reason.hasPrefix("unreachable"))
        }
    }
}

@Suite struct SimulatorTokenTests {
    @Test func systemUserTokenSignsAndExpiredOrRevokedTokensGetAnEmpty401() async throws {
        try await SimulatorFixture.run { f in
            let fetched = try await f.source().fetch()
            #expect(fetched.facts.systemUserOrg == "310000001")
            #expect(fetched.steps.map(\.name) == ["sign grant", "maskinporten token", "altinn exchange"])
            let url = f.url + "/ttd/signing-app/instances/51281269/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01/process"
            func call() async throws -> InboundResponse {
                try await f.transport.execute(
                    OutboundRequest(
                        method: .get, url: url, headerFields: [.authorization: fetched.token.authorizationHeaderValue]))
            }
            #expect(try await call().status.code == 200)
            await f.simulator.authority.expireIssuedTokens()
            let expired = try await call()
            #expect(expired.status.code == 401 && expired.body.isEmpty)
        }
    }

    @Test func unknownSystemUserOrgIsRefusedAtTheGrant() async throws {
        try await SimulatorFixture.run { f in
            let source = try await f.source(f.profile(systemUserOrg: "999999999"))
            do throws(TokenError) {
                _ = try await source.fetch()
                Issue.record("expected a refusal")
            } catch {
                guard case .unavailable(_, let step, let reason) = error else {
                    Issue.record("expected .unavailable, got \(error)")
                    return
                }
                #expect(step == "maskinporten grant")
                #expect(reason.contains("invalid_authorization_details"))
            }
        }
    }

    /// Secrets never appear in logs or errors of a full flow, including a failure.
    @Test func noSecretInLogsOrErrors() async throws {
        try await SimulatorFixture.run { f in
            let capture = LinesCapture()
            let cache = try await f.cache(clock: ManualClock(), logger: capture.logger())
            let token = try await cache.token(forProfile: "p")
            await cache.invalidate(profile: "p", token: token)
            await f.simulator.authority.setMaskinportenFailure(status: 400)
            let error = await #expect(throws: TokenError.self) { try await cache.token(forProfile: "p") }
            let pem = try String(contentsOfFile: TestKey.written.privateKeyPath, encoding: .utf8)
            let keyLines = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }
            let text = capture.text + "\(String(describing: error))" + "\(token)"
            #expect(!text.contains(token.secret))
            #expect(!text.contains("eyJ"), "no JWT (token or grant) in any line")
            for line in keyLines { #expect(!text.contains(line)) }
        }
    }
}

// MARK: - Helpers

enum JSONClaim: Codable, Sendable {
    case string(String)
    case int(Int)
    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .string(let value): try container.encode(value)
        case .int(let value): try container.encode(value)
        }
    }
    init(from decoder: any Decoder) throws { self = .string(try decoder.singleValueContainer().decode(String.self)) }
}

struct RawClaims: JWTPayload {
    var claims: [String: JSONClaim]
    func encode(to encoder: any Encoder) throws { try self.claims.encode(to: encoder) }
    init(claims: [String: JSONClaim]) { self.claims = claims }
    init(from decoder: any Decoder) throws { self.claims = try [String: JSONClaim](from: decoder) }
    func verify(using algorithm: some JWTAlgorithm) async throws {}
}

func base64URL(_ text: String) -> Data {
    var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
    while base64.count % 4 != 0 { base64 += "=" }
    return Data(base64Encoded: base64)!
}

final class LinesCapture: Sendable {
    private let lines = Synchronization.Mutex<[String]>([])
    var text: String { self.lines.withLock { $0.joined(separator: "\n") } }
    func logger() -> Logger {
        var logger = Logger(label: "capture") { _ in Handler(capture: self) }
        logger.logLevel = .trace
        return logger
    }
    func append(_ line: String) { self.lines.withLock { $0.append(line) } }

    struct Handler: LogHandler {
        let capture: LinesCapture
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { self.metadata[key] }
            set { self.metadata[key] = newValue }
        }
        func log(event: LogEvent) { self.capture.append("\(event.level) \(event.message) \(event.metadata ?? [:])") }
    }
}
