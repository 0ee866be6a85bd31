import Foundation
import Gateway
import Hummingbird
import Storage

/// `GET /v1/audit`: the audit log, filtered, with cursor pagination (`after` = last sequence seen).
struct AuditRoutes: Sendable {
    let store: any Store

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("audit", use: self.list)
    }

    @Sendable func list(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.admin)
        var filter = AuditFilter()
        var after: Int64 = 0
        var limit = 100
        var seen = Set<String>()
        for (rawKey, rawValue) in request.uri.queryParameters {
            let key = String(rawKey)
            let value = String(rawValue)
            guard seen.insert(key).inserted else { throw SigneesQuery.invalid(key, "repeated query parameter") }
            switch key {
            case "from", "until":
                guard let date = AuditJSON.parseTime(value) else {
                    throw SigneesQuery.invalid(key, "\(key) must be an RFC 3339 time such as 2026-01-01T00:00:00Z")
                }
                if key == "from" { filter.from = date } else { filter.until = date }
            case "clientId", "instance", "outcome":
                guard (1...256).contains(value.utf8.count), value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                    throw SigneesQuery.invalid(key, "\(key) must be 1-256 printable characters")
                }
                switch key {
                case "clientId": filter.clientId = value
                case "instance": filter.instance = value
                default: filter.outcome = value
                }
            case "after":
                guard let value = Int64(value), value >= 0 else {
                    throw SigneesQuery.invalid(key, "after must be a sequence number")
                }
                after = value
            case "limit":
                guard let value = Int(value), (1...1000).contains(value) else {
                    throw SigneesQuery.invalid(key, "limit must be 1-1000")
                }
                limit = value
            default:
                throw SigneesQuery.invalid(key, "unknown query parameter")
            }
        }
        let records: [AuditRecord]
        do {
            records = try await self.store.auditRecords(after: after, limit: limit, filter: filter)
        } catch {
            throw Problem(.storeUnavailable, "The audit log could not be read.")
        }
        let next: JSONValue = records.count == limit ? records.last.map { .int(Int($0.sequence)) } ?? .null : .null
        return Response(stored: .ok(.object([("records", .array(records.map(AuditJSON.record))), ("next", next)])))
    }
}

/// The JSON form of audit records, shared by `GET /v1/audit` and `audit export` (JSON Lines).
public enum AuditJSON {
    public static func record(_ record: AuditRecord) -> JSONValue {
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
            ("previousHash", .string(record.previousHash)),
            ("hash", .string(record.hash)),
        ])
    }

    public static func formatTime(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true, timeZone: .gmt))
    }

    public static func parseTime(_ text: String) -> Date? {
        (try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
            ?? (try? Date.ISO8601FormatStyle().parse(text))
    }
}
