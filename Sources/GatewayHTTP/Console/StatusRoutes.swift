import Foundation
import Gateway
import Hummingbird
import Storage
import Tokens

/// `GET /v1/status`: the operator's health facts in one answer (the console's health page): readiness, each token
/// profile, the outbox, dead letters, tracked instances by state and the audit chain's head. Each part is shown
/// only to a caller whose policy covers it: deliveries need `events` (and are the caller's own subscriptions'
/// unless `admin`); tracked-instance counts and the audit head, which span every client, need `admin`.
struct StatusRoutes: Sendable {
    let readiness: ReadinessCheck
    let store: any Store
    let subscriptions: Subscriptions
    let upstreamName: String
    let lastVerify: LastAuditVerify
    var now: @Sendable () -> Date = { Date() }

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("status", use: self.status)
    }

    @Sendable func status(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        _ = try QueryParameters(request.uri.queryParameters, allowed: [])
        let caller = try context.caller()
        let mayEvents = context.policy?.allows(.events) ?? false
        let now = self.now()
        let findings = await self.readiness.run()
        let notReady = findings.contains { !$0.ready && !$0.name.hasPrefix("tokenProfile:") }
        let degraded = findings.contains { !$0.ready && $0.name.hasPrefix("tokenProfile:") }
        let expiries = await self.readiness.tokens.tokenExpiries()
        let histories = await self.readiness.tokens.tokenHistories()
        let profiles: [JSONValue] = findings.filter { $0.name.hasPrefix("tokenProfile:") }.map { finding in
            let name = String(finding.name.dropFirst("tokenProfile:".count))
            let validUntil: JSONValue = (expiries[name] ?? nil).map { .string(AuditJSON.formatTime($0)) } ?? .null
            var members: [(String, JSONValue)] = [
                ("name", .string(name)), ("ready", .bool(finding.ready)), ("validUntil", validUntil),
            ]
            members.append(("detail", finding.detail.map(JSONValue.string) ?? .null))
            let history = histories[name]
            func time(_ date: Date?) -> JSONValue { date.map { .string(AuditJSON.formatTime($0)) } ?? .null }
            members.append(("lastRefreshAt", time(history?.lastRefreshAt)))
            members.append(("lastFailureAt", time(history?.lastFailureAt)))
            members.append(("lastFailureStep", history?.lastFailureStep.map(JSONValue.string) ?? .null))
            return .object(members)
        }
        var members: [(String, JSONValue)] = [
            ("status", .string(notReady ? "notReady" : degraded ? "degraded" : "ready")),
            ("upstream", .string(self.upstreamName)),
            ("time", .string(AuditJSON.formatTime(now))),
            ("store", .object([("ready", .bool(!notReady))])),
            ("tokenProfiles", .array(profiles)),
        ]
        members.append(("deliveries", mayEvents ? try await self.deliveries(for: caller, now: now) : .null))
        members.append(("trackedInstances", caller.isAdmin ? try await self.tracked() : .null))
        members.append(("audit", caller.isAdmin ? try await self.audit() : .null))
        return Response(stored: .ok(.object(members)))
    }

    private func deliveries(for caller: Caller, now: Date) async throws(Problem) -> JSONValue {
        let counts = try await Problem.fromStore { () async throws(StoreError) in try await self.store.deliveryCounts()
        }
        var visible: Set<String>?
        if !caller.isAdmin {
            do {
                visible = Set(try await self.subscriptions.list(for: caller).map(\.id))
            } catch {
                throw Problem(.storeUnavailable, "The subscriptions could not be read.")
            }
        }
        let mine = counts.filter { visible?.contains($0.subscriptionId) ?? true }
        func total(_ state: DeliveryState) -> Int { mine.filter { $0.state == state }.reduce(0) { $0 + $1.count } }
        let oldest = mine.filter { $0.state == .pending }.map(\.oldestCreatedAt).min()
        var bySubscription: [String: [(String, JSONValue)]] = [:]
        for count in mine {
            bySubscription[count.subscriptionId, default: [("subscriptionId", .string(count.subscriptionId))]].append(
                (count.state.rawValue, .int(count.count)))
        }
        // The last 24 hours of attempts: the recent success rate and the last failure, per subscription.
        let recent = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.attemptSummary(since: now.addingTimeInterval(-Self.recentWindow))
        }.filter { visible?.contains($0.subscriptionId) ?? true }
        for id in Set(recent.map(\.subscriptionId)) {
            let rows = recent.filter { $0.subscriptionId == id }
            let attempts = rows.reduce(0) { $0 + $1.count }
            let delivered = rows.filter { $0.verdict == "delivered" }.reduce(0) { $0 + $1.count }
            let failure = rows.filter { $0.verdict != "delivered" }.max { $0.lastAt < $1.lastAt }
            bySubscription[id, default: [("subscriptionId", .string(id))]].append(
                (
                    "recent",
                    .object([
                        ("windowHours", .int(Int(Self.recentWindow / 3600))), ("attempts", .int(attempts)),
                        ("delivered", .int(delivered)),
                        (
                            "lastFailure",
                            failure.map {
                                .object([
                                    ("at", .string(AuditJSON.formatTime($0.lastAt))), ("verdict", .string($0.verdict)),
                                ])
                            } ?? .null
                        ),
                    ])
                ))
        }
        return .object([
            ("pending", .int(total(.pending))),
            ("oldestPendingSeconds", oldest.map { .int(max(0, Int(now.timeIntervalSince($0)))) } ?? .null),
            ("dead", .int(total(.dead))),
            ("delivered", .int(total(.delivered))),
            ("bySubscription", .array(bySubscription.keys.sorted().map { .object(bySubscription[$0] ?? []) })),
        ])
    }

    /// How far back a subscriber's recent success rate looks.
    static let recentWindow: TimeInterval = 24 * 3600

    private func tracked() async throws(Problem) -> JSONValue {
        let counts = try await Problem.fromStore { () async throws(StoreError) in try await self.store.trackingCounts()
        }
        return .object(
            TrackingStatus.allCases.map { status in
                (status.rawValue, .int(counts.filter { $0.status == status }.reduce(0) { $0 + $1.count }))
            })
    }

    private func audit() async throws(Problem) -> JSONValue {
        let head = try await Problem.fromStore { () async throws(StoreError) in try await self.store.auditHead() }
        let checkpoints = try await Problem.fromStore { () async throws(StoreError) in
            try await self.store.auditCheckpoints()
        }
        let last: JSONValue =
            checkpoints.max { $0.sequence < $1.sequence }.map {
                .object([("sequence", .int(Int($0.sequence))), ("time", .string(AuditJSON.formatTime($0.time)))])
            } ?? .null
        return .object([
            ("sequence", head.map { .int(Int($0.sequence)) } ?? .int(0)),
            ("hash", head.map { .string($0.hash) } ?? .null),
            ("lastCheckpoint", last),
            ("lastVerify", self.lastVerify.get() ?? .null),
        ])
    }
}
