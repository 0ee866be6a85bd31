import HTTPTypes
import Hummingbird

/// Hummingbird's router answers a known path with an unknown method as 404. This tells the two apart: a path that
/// some route serves with other methods gets a 405 problem with `Allow` (RFC 9110 §15.5.6).
///
/// Added after every route, so it wraps only the router's not-found responder (`Router.buildResponder` wraps that
/// responder in the middlewares present when the router is built; routes keep the ones present when they were added).
struct MethodNotAllowedMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    private let routes: [(path: RouterPath, method: HTTPRequest.Method)]

    init(routes: [Router<Context>.RouteDescription]) {
        self.routes = routes.map { ($0.path, $0.method) }
    }

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let error as HTTPError where error.status == .notFound {
            let allowed = self.methods(serving: request.uri.path)
            guard !allowed.isEmpty else { throw error }
            throw Problem(
                .methodNotAllowed, "\(request.method.rawValue) is not allowed on this path; use \(allowed).",
                headers: [.allow: allowed])
        }
    }

    /// The methods of the routes whose path matches, comma separated; empty when no route has the path.
    func methods(serving path: String) -> String {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        var methods: [String] = []
        for route in self.routes where Self.matches(route.path, segments) {
            if !methods.contains(route.method.rawValue) { methods.append(route.method.rawValue) }
        }
        return methods.sorted().joined(separator: ", ")
    }

    private static func matches(_ path: RouterPath, _ segments: [Substring]) -> Bool {
        guard path.components.count == segments.count else { return false }
        return zip(path.components, segments).allSatisfy { element, segment in element ~= segment }
    }
}
