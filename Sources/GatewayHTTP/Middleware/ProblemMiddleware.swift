import Hummingbird
import Logging
import NIOCore

/// Outermost middleware: whatever goes wrong below becomes an `application/problem+json` answer.
/// Hummingbird's own errors (route miss, body limits) are mapped onto the catalogue too.
struct ProblemMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            return try Self.problem(for: error, context: context).response(from: request, context: context)
        }
    }

    static func problem(for error: any Error, context: Context) -> Problem {
        switch error {
        case let problem as Problem:
            return problem
        case is NIOTooManyBytesError:
            return Problem(.payloadTooLarge, "The request body exceeds the configured limit.")
        case let httpError as HTTPError:
            switch httpError.status {
            case .notFound: return Problem(.notFound, "No route matches this path.")
            case .methodNotAllowed: return Problem(.methodNotAllowed, "This method is not allowed on this path.")
            case .contentTooLarge: return Problem(.payloadTooLarge, "The request body exceeds the configured limit.")
            case .unsupportedMediaType: return Problem(.unsupportedMediaType, "Send Content-Type: application/json.")
            default: return Problem(.invalidRequest, "The request could not be processed (\(httpError.status.code)).")
            }
        default:
            // Not expected: every known failure is a Problem by now. Log the type, not the value.
            context.logger.error("unexpected error", metadata: ["errorType": "\(type(of: error))"])
            return Problem(.internalError, "An unexpected error occurred.")
        }
    }
}
