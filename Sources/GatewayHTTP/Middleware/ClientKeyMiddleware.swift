import HTTPTypes
import Hummingbird
import Tokens

/// Guards the API with one client key (`Authorization: Bearer <key>`), compared in constant time.
/// Full per-client authentication and policy replace this in a later issue.
struct ClientKeyMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext
    let key: AccessToken

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let values = request.headers[values: .authorization]
        guard values.count == 1, let value = values.first, value.hasPrefix("Bearer "),
            self.key.matches(String(value.dropFirst("Bearer ".count)))
        else {
            throw Problem(
                .unauthenticated,
                values.count > 1 ? "Send exactly one Authorization header." : "Missing or unknown client key.",
                headers: [.wwwAuthenticate: "Bearer"])
        }
        return try await next(request, context)
    }
}
