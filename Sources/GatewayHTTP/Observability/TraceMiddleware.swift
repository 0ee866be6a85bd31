import HTTPTypes
import Hummingbird
import Logging
import Transport

/// W3C Trace Context for every inbound request: a valid inbound `traceparent` is continued, anything else
/// starts a new trace. The gateway's own span (same trace id, new span id) is
/// - bound to the task (`TraceContext.current`) so every Altinn call made for this request carries it,
/// - added to the request's logger metadata, and returned in the response's `traceparent` header.
/// Hummingbird's `TracingMiddleware` needs a swift-distributed-tracing backend and does not hand the span to
/// libcurl calls or the audit record; this one is the propagation the audit log and Altinn calls rely on.
struct TraceMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let inbound = request.headers[values: .traceparent]
        // Two traceparent headers are invalid per the specification: start a new trace.
        let parent = inbound.count == 1 ? TraceContext(traceparent: inbound[0]) : nil
        let span = parent?.child() ?? TraceContext.root()
        var tracedContext = context
        tracedContext.logger[metadataKey: "traceparent"] = .string(span.traceparent)
        let inner = tracedContext
        var response = try await TraceContext.$current.withValue(span) {
            try await next(request, inner)
        }
        response.headers[.traceparent] = span.traceparent
        return response
    }
}
