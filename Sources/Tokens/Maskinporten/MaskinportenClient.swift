import Foundation
import HTTPTypes
import Transport

/// `POST {issuer}/token` with a JWT grant; returns Maskinporten's access token.
struct MaskinportenClient: Sendable {
    let transport: any HTTPTransport
    let endpoint: String
    let timeout: Duration

    func accessToken(for assertion: AccessToken) async throws(StepFailure) -> AccessToken {
        let body =
            "grant_type=" + Self.formEncode("urn:ietf:params:oauth:grant-type:jwt-bearer")
            + "&assertion=" + Self.formEncode(assertion.secret)
        let request = OutboundRequest(
            method: .post, url: self.endpoint,
            headerFields: [.contentType: "application/x-www-form-urlencoded", .accept: "application/json"],
            body: Array(body.utf8), timeout: self.timeout)
        let response: InboundResponse
        do {
            response = try await self.transport.execute(request)
        } catch {
            throw .unreachable(.grant, error)
        }
        guard response.status.code == 200 else {
            throw .rejected(.grant, status: response.status.code, detail: Self.oauthError(response.body))
        }
        guard let object = try? JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any],
            let token = object["access_token"] as? String, !token.isEmpty
        else {
            throw StepFailure(step: .grant, reason: "answer without an access_token")
        }
        return AccessToken(token)
    }

    /// `error` and `error_description` of an OAuth error body: Maskinporten's own words, never an echo of
    /// the assertion. Anything else is left out rather than risk repeating a secret.
    static func oauthError(_ body: [UInt8]) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
            let error = object["error"] as? String
        else { return nil }
        let description = (object["error_description"] as? String).map { " \($0)" } ?? ""
        return String((error + description).prefix(200))
    }

    /// `application/x-www-form-urlencoded`: everything but unreserved characters percent-encoded.
    static func formEncode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }
}
