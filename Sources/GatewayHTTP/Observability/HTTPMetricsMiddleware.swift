import HTTPTypes
import Hummingbird
import Metrics
import Primitives

/// Counts and times every inbound request by route template, method and status class. The route is the
/// matched template (`/v1/instances/{org}/…`), never the concrete path, and an unknown method is `other`:
/// no label can take a value a caller chose. (Hummingbird's `MetricsMiddleware` labels by the raw method and the
/// exact status, so a caller inventing methods would grow the series without bound.)
struct HTTPMetricsMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    func handle(
        _ request: Request,
        context: Context,
        next: (Request, Context) async throws -> Response
    ) async throws -> Response {
        let started = ContinuousClock.now
        do {
            let response = try await next(request, context)
            Self.record(request, context, status: Int(response.status.code), since: started)
            return response
        } catch {
            // Only reached when the problem middleware below could not answer: count it as a server error.
            Self.record(request, context, status: (error as? any HTTPResponseError)?.status.code ?? 500, since: started)
            throw error
        }
    }

    private static let knownMethods: Set<HTTPRequest.Method> = [.get, .head, .post, .put, .delete, .patch, .options]

    private static func record(
        _ request: Request, _ context: Context, status: Int, since started: ContinuousClock.Instant
    ) {
        let elapsed = ContinuousClock.now - started
        let key = Series.Key(
            route: context.endpointPath ?? "unmatched",
            method: Self.knownMethods.contains(request.method) ? request.method.rawValue : "other",
            statusClass: status / 100)
        let series = Self.series.value(key) {
            let dimensions = [("route", key.route), ("method", key.method), ("status", "\(key.statusClass)xx")]
            return Series(
                requests: Metrics.Counter(label: GatewayMetrics.inboundRequests, dimensions: dimensions),
                duration: Metrics.Timer(label: GatewayMetrics.inboundDuration, dimensions: dimensions))
        }
        series.requests.increment()
        series.duration.recordNanoseconds(
            elapsed.components.seconds * 1_000_000_000 + elapsed.components.attoseconds / 1_000_000_000)
    }

    private struct Series: Sendable {
        /// Closed sets: route templates, known methods, status classes.
        struct Key: Hashable, Sendable {
            var route: String
            var method: String
            var statusClass: Int
        }
        var requests: Metrics.Counter
        var duration: Metrics.Timer
    }

    private static let series = HandleCache<Series.Key, Series>()
}
