import Foundation
import Hummingbird

/// `POST /maskinporten/token`: the simulated Maskinporten. Its issuer identifier is
/// `http://{host}/maskinporten/`, which a grant's `aud` must equal.
struct MaskinportenTokenRoute {
    let authority: TokenAuthority

    static let issuerPath = "/maskinporten/"

    static func issuer(_ request: Request) -> String {
        "http://\(request.head.authority ?? "localhost")\(issuerPath)"
    }

    func register(on router: Router<SimulatorRequestContext>) {
        router.post("maskinporten/token") { request, context in try await self.token(request, context) }
    }

    private func token(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        guard request.headers[.contentType]?.lowercased().hasPrefix("application/x-www-form-urlencoded") == true
        else {
            return Self.error(400, GrantRejection(error: "invalid_request", description: "Expected a form body"))
        }
        let bytes = try await request.body.collect(upTo: context.maxUploadSize)
        let form = FormBody(String(buffer: bytes))
        guard let assertion = form["assertion"] else {
            return Self.error(400, GrantRejection(error: "invalid_request", description: "Missing assertion"))
        }
        switch await self.authority.grant(
            assertion: assertion, grantType: form["grant_type"], issuer: Self.issuer(request))
        {
        case .issued(let body): return Replies.json(.ok, body)
        case .rejected(let status, let rejection): return Self.error(status, rejection)
        }
    }

    static func error(_ status: Int, _ rejection: GrantRejection) -> Response {
        Replies.json(
            HTTPResponse.Status(code: status),
            .obj(["error": .string(rejection.error), "error_description": .string(rejection.description)]))
    }
}

/// `application/x-www-form-urlencoded` fields.
struct FormBody {
    private var fields: [String: String] = [:]

    init(_ text: String) {
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decode(parts[0]) else { continue }
            self.fields[name] = parts.count > 1 ? Self.decode(parts[1]) : ""
        }
    }

    subscript(name: String) -> String? { self.fields[name] }

    private static func decode(_ part: Substring) -> String? {
        part.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }
}
