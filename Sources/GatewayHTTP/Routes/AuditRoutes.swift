package import Foundation
package import Gateway
import Hummingbird
package import Storage

/// `GET /v1/audit`: the audit log, filtered, with cursor pagination (`after` = last sequence seen).
struct AuditRoutes: Sendable {
    let feeds: Feeds

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("audit", use: self.list)
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.admin)
        let query = try QueryParameters(
            request.uri.queryParameters,
            allowed: ["from", "until", "clientId", "instance", "outcome", "operation", "after", "limit"])
        for key in ["clientId", "outcome", "operation"] where (query[key]?.utf8.count ?? 0) > 256 {
            throw QueryParameters.invalid(key, "\(key) must be 1-256 printable characters")
        }
        let filter = AuditFilter(
            from: try query.time("from"), until: try query.time("until"), clientId: query["clientId"],
            instance: try query.instance(), outcome: query["outcome"], operation: query["operation"])
        let after = try query.sequence("after")
        let limit = try query.limit(default: 100, max: 1000)
        let records: [AuditRecord]
        do {
            records = try await self.feeds.auditRecords(after: after, limit: limit, filter: filter)
        } catch {
            throw Problem(.storeUnavailable, "The audit log could not be read.")
        }
        return Response(stored: .ok(.object([("records", .array(records.map(AuditJSON.record)))]))).nextCursor(
            records.count == limit ? records.last.map { String($0.sequence) } : nil)
    }
}

/// The JSON form of audit records, shared by `GET /v1/audit` and `audit export` (JSON Lines).
package enum AuditJSON {
    package static func record(_ record: AuditRecord) -> JSONValue {
        let entry = record.entry
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        return .object([
            ("sequence", .int(Int(record.sequence))),
            ("time", .string(self.formatTime(entry.time))),
            ("clientId", text(entry.clientId)),
            ("sourceAddress", text(entry.sourceAddress)),
            ("requestId", .string(entry.requestId)),
            ("traceparent", text(entry.traceparent)),
            ("idempotencyKey", text(entry.idempotencyKey)),
            ("operation", .string(entry.operation)),
            ("instance", text(entry.instance)),
            ("tokenProfile", text(entry.tokenProfile)),
            ("upstreamMethod", text(entry.upstreamMethod)),
            ("upstreamUrl", text(entry.upstreamURL)),
            ("upstreamStatus", entry.upstreamStatus.map { .int($0) } ?? .null),
            ("latencyMicros", .int(Int(entry.latencyMicros))),
            ("outcome", .string(entry.outcome)),
            ("requestSha256", text(entry.requestDigest)),
            ("responseSha256", text(entry.responseDigest)),
            // Exactly as chained (a JSON text), so an auditor can recompute the hash and match each digest to a
            // document without Altinn.
            ("signedData", text(entry.signedData)),
            ("previousHash", .string(record.previousHash)),
            ("hash", .string(record.hash)),
        ])
    }

    package static func formatTime(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    package static func parseTime(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }
}
