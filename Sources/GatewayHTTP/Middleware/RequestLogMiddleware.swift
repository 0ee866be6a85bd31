import Gateway
import Hummingbird
import Logging

/// One log line per request: method, path (no query), status, duration, and who called, which operation and how
/// it ended. Never a header value. (Hummingbird's `LogRequestsMiddleware` logs the URI with its query and cannot
/// add the caller and outcome that are only known inside the handler.)
struct RequestLogMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let start = ContinuousClock.now
        // Filled in below where the call is audited: who called, which operation, how it ended.
        let facts = CallLogFacts()
        let response = try await CallLogFacts.$current.withValue(facts) { try await next(request, context) }
        let elapsed = ContinuousClock.now - start
        let micros = elapsed.components.seconds * 1_000_000 + elapsed.components.attoseconds / 1_000_000_000_000
        var metadata: Logger.Metadata = [
            "method": "\(request.method.rawValue)", "path": "\(request.uri.path)",
            "status": "\(response.status.code)", "durationMicros": "\(micros)",
        ]
        let call = facts.snapshot
        if let clientId = call.clientId { metadata["clientId"] = "\(clientId)" }
        if let operation = call.operation { metadata["operation"] = "\(operation)" }
        if let outcome = call.outcome { metadata["outcome"] = "\(outcome)" }
        context.logger.info("request", metadata: metadata)
        return response
    }
}
