import Foundation
import Hummingbird

/// `GET /authentication/api/v1/exchange/maskinporten`: Altinn Authentication trading a Maskinporten
/// token for an Altinn token (§3.2): plain text, or a JSON string when the caller asks for JSON.
struct ExchangeRoute {
    let authority: TokenAuthority

    func register(on router: Router<SimulatorRequestContext>) {
        router.get("authentication/api/v1/exchange/{provider}") { request, context in
            try await self.exchange(request, context)
        }
    }

    private func exchange(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let provider = context.parameters.get("provider")?.lowercased() ?? ""
        guard ["maskinporten", "id-porten", "altinnstudio"].contains(provider) else {
            return Replies.negotiatedString(
                .badRequest, "Invalid token provider: \(provider)", accept: request.headers[.accept])
        }
        guard provider == "maskinporten", let token = bearerToken(request) else { return Replies.empty(.unauthorized) }
        let issuer = "http://\(request.head.authority ?? "localhost")/authentication/api/v1/openid/"
        switch await self.authority.exchange(maskinportenToken: token, issuer: issuer) {
        case .issued(let altinnToken):
            return Replies.negotiatedString(.ok, altinnToken, accept: request.headers[.accept])
        case .unauthorized:
            return Replies.empty(.unauthorized)
        }
    }
}

/// The token of an `Authorization: Bearer …` header.
func bearerToken(_ request: Request) -> String? {
    guard let header = request.headers[.authorization], header.count > 7, header.prefix(7).lowercased() == "bearer "
    else { return nil }
    let token = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    return token.isEmpty ? nil : token
}
