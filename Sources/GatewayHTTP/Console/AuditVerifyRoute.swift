import Foundation
import Gateway
import Hummingbird
import Storage
import Synchronization

/// `GET /v1/audit/verify` (admin): recomputes the audit chain now, as `signing-gateway audit verify` does, against
/// the stored checkpoints signed with this gateway's checkpoint key. The last result is kept for `/v1/status`.
struct AuditVerifyRoute: Sendable {
    let store: any Store
    let anchors: AuditAnchors
    let last: LastAuditVerify

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("audit/verify", use: self.verify)
    }

    @Sendable func verify(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.admin)
        _ = try QueryParameters(request.uri.queryParameters, allowed: [])
        let report = try await Problem.fromStore { () async throws(StoreError) in
            try await AuditVerifier.report(store: self.store, anchors: self.anchors)
        }
        let body = Self.json(report, at: Date())
        self.last.set(body)
        return Response(stored: .ok(body))
    }

    static func json(_ report: AuditVerificationReport, at time: Date) -> JSONValue {
        var members: [(String, JSONValue)] = [("time", .string(AuditJSON.formatTime(time)))]
        switch report.verification {
        case .intact(let count, let head):
            members += [
                ("intact", .bool(true)), ("records", .int(count)), ("head", .string(head)),
                ("brokenAt", .null), ("reason", .null),
            ]
        case .broken(let sequence, let reason):
            members += [
                ("intact", .bool(false)), ("records", .null), ("head", .null), ("brokenAt", .int(Int(sequence))),
                ("reason", .string(reason)),
            ]
        }
        members += [
            ("firstSequence", report.firstSequence.map { .int(Int($0)) } ?? .null),
            ("checkpointsMatched", .int(report.checkpointsMatched)),
            ("checkpointsIgnored", .int(report.checkpointsIgnored)),
        ]
        return .object(members)
    }
}

/// The last `GET /v1/audit/verify` answer of this replica.
final class LastAuditVerify: Sendable {
    private let value = Mutex<JSONValue?>(nil)

    func set(_ body: JSONValue) { self.value.withLock { $0 = body } }
    func get() -> JSONValue? { self.value.withLock { $0 } }
}
