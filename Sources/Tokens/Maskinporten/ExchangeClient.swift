import Foundation
import HTTPTypes
import Transport

/// `GET {platform}/authentication/api/v1/exchange/maskinporten`: trades a Maskinporten token for an
/// Altinn token, which comes back as plain text or, depending on `Accept`, as a JSON string (§8).
struct ExchangeClient: Sendable {
    let transport: any HTTPTransport
    let endpoint: String
    let timeout: Duration

    func altinnToken(for maskinportenToken: AccessToken) async throws(StepFailure) -> AccessToken {
        let request = OutboundRequest(
            method: .get, url: self.endpoint,
            headerFields: [.authorization: maskinportenToken.authorizationHeaderValue, .accept: "text/plain"],
            timeout: self.timeout)
        let response: InboundResponse
        do {
            response = try await self.transport.execute(request)
        } catch {
            throw .unreachable(.exchange, error)
        }
        guard response.status.code == 200 else {
            // Altinn's error bodies are short plain strings or ProblemDetails; none echo the token.
            throw .rejected(.exchange, status: response.status.code, detail: nil)
        }
        guard let token = Self.token(fromBody: response.body) else {
            throw StepFailure(step: .exchange, reason: "answer without a token")
        }
        return AccessToken(token)
    }

    static func token(fromBody body: [UInt8]) -> String? {
        var text = String(decoding: body, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        if text.hasPrefix("\"") {
            guard let decoded = try? JSONDecoder().decode(String.self, from: Data(text.utf8)) else { return nil }
            text = decoded
        }
        guard !text.isEmpty, !text.contains(where: { $0.isWhitespace || $0 == "\"" }) else { return nil }
        return text
    }
}
