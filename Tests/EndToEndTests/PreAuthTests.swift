import Foundation
import GatewayHTTP
import HTTPTypes
import Logging
import ServiceLifecycle
import Storage
import Synchronization
import Testing

/// Refusals where no client is established: limited per source address, audited as counts.
@Suite struct PreAuthTests {
    /// The count an aggregated record carries (`… x<count>`).
    static func count(_ record: AuditRecord) -> Int? {
        guard let range = record.entry.outcome.range(of: " x", options: .backwards) else { return nil }
        return Int(record.entry.outcome[range.upperBound...])
    }

    @Test func aFloodOfBadKeysIsLimitedAndAuditedInAggregateWhileSignsGoOn() async throws {
        var options = Harness.Options()
        options.preAuth = PreAuthLimits(perSecond: 1, burst: 100, window: .seconds(3_600))
        // A frozen clock: the bucket never refills during the test, so exactly `burst` refusals are answered.
        let frozen = ContinuousClock.now
        options.preAuthNow = { frozen }
        try await Harness.run(options) { h in
            let path = "/v1/instances/ttd/signing-app/\(Harness.demoA)/signees"
            let flood = 500
            let (statuses, valid) = try await withThrowingTaskGroup(of: [Int].self) { group in
                for worker in 0..<10 {
                    group.addTask {
                        var statuses: [Int] = []
                        for index in 0..<(flood / 10) {
                            let reply = try await h.send(
                                .get, path, headers: [.authorization: "Bearer bad-key-\(worker)-\(index)"])
                            if reply.status == 429 {
                                #expect(Int(reply.headers[HTTPField.Name("Retry-After")!] ?? "") ?? 0 >= 1)
                                #expect(reply.problemType == "/problems/rate-limited")
                            }
                            statuses.append(reply.status)
                        }
                        return statuses
                    }
                }
                // A valid client from the same address, during the flood.
                var valid: [Int] = [try await h.sign(Harness.demoA).status]
                for _ in 0..<20 { valid.append(try await h.send(.get, path).status) }
                var statuses: [Int] = []
                for try await part in group { statuses += part }
                return (statuses, valid)
            }
            #expect(valid.allSatisfy { $0 == 200 }, "\(valid)")
            let answered401 = statuses.filter { $0 == 401 }.count
            let limited429 = statuses.filter { $0 == 429 }.count
            #expect(statuses.count == flood)
            #expect(answered401 + limited429 == flood, "\(Dictionary(grouping: statuses) { $0 }.mapValues(\.count))")
            #expect(answered401 == 100)

            // Nothing was written per refused request.
            let before = try await h.store.auditRecords(after: 0, limit: 1_000, filter: AuditFilter())
            #expect(!before.contains { $0.entry.operation == "refused" })
            #expect(before.count == valid.count)

            try await h.flushRefusals()
            let after = try await h.store.auditRecords(after: 0, limit: 1_000, filter: AuditFilter())
            let aggregated = after.filter { $0.entry.operation == "refused" }
            // One window, one reason, one source.
            #expect(aggregated.count == 1)
            #expect(aggregated.first?.entry.outcome == "refused:unauthenticated:unknown-api-key x\(answered401)")
            #expect(aggregated.first?.entry.sourceAddress == "127.0.0.1")
            #expect(aggregated.first?.entry.clientId == nil)
            #expect(aggregated.compactMap(Self.count).reduce(0, +) == answered401)
            guard case .intact(let records, _) = try await AuditVerifier.verify(store: h.store) else {
                Issue.record("audit chain broken")
                return
            }
            #expect(records == valid.count + 1)
        }
    }

    @Test func bucketsAndCountsAreBoundedPerSource() {
        let frozen = ContinuousClock.now
        let defence = PreAuthDefence(
            limits: PreAuthLimits(perSecond: 1, burst: 2, maxSources: 2, window: .seconds(60)), now: { frozen })
        #expect(defence.admit(source: "10.0.0.1") == nil)
        #expect(defence.admit(source: "10.0.0.1") == nil)
        #expect(defence.admit(source: "10.0.0.1") != nil)
        #expect(defence.admit(source: "10.0.0.2") == nil)
        // A third source while two are tracked (and neither has refilled): the shared overflow bucket.
        #expect(defence.admit(source: "10.0.0.3") == nil)
        #expect(defence.admit(source: "10.0.0.4") == nil)
        #expect(defence.admit(source: "10.0.0.5") != nil)

        for source in ["10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.4"] {
            defence.count(source: source, outcome: "refused:unauthenticated:unknown-api-key")
        }
        defence.count(source: "10.0.0.1", outcome: "refused:signature-invalid:signature-mismatch")
        let entries = defence.closeWindow()
        let lines = Set(entries.map { "\($0.sourceAddress ?? "-") \($0.outcome)" })
        #expect(
            lines == [
                "10.0.0.1 refused:unauthenticated:unknown-api-key x2",
                "10.0.0.2 refused:unauthenticated:unknown-api-key x1",
                "overflow refused:unauthenticated:unknown-api-key x2",
                "overflow refused:signature-invalid:signature-mismatch x1",
            ])
        #expect(entries.allSatisfy { $0.operation == "refused" && $0.requestId.hasPrefix("preauth-window:") })
        #expect(defence.closeWindow().isEmpty, "a closed window's counts are gone")
    }

    @Test func aTinyRateWaitsADayInsteadOfTrapping() {
        let frozen = ContinuousClock.now
        let defence = PreAuthDefence(
            limits: PreAuthLimits(perSecond: 1e-300, burst: 1, maxSources: 4, window: .seconds(60)), now: { frozen })
        #expect(defence.admit(source: "10.0.0.1") == nil)
        #expect(defence.admit(source: "10.0.0.1") == .seconds(86_400))
    }

    @Test func countsAreWrittenAtShutdown() async throws {
        let store = try await StoreFactory.open(
            StoreConfiguration(
                engine: .sqlite(
                    path: FileManager.default.temporaryDirectory.appendingPathComponent("preauth-\(UUID().uuidString)")
                        .appendingPathComponent("gw.sqlite").path)),
            logger: Logger(label: "preauth-test"))
        let defence = PreAuthDefence(limits: PreAuthLimits(window: .seconds(3_600)))
        for _ in 0..<7 { defence.count(source: "192.0.2.7", outcome: "refused:unauthenticated:missing-credentials") }
        let flusher = PreAuthFlusher(defence: defence, store: store, logger: Logger(label: "preauth-test"))
        let group = ServiceGroup(
            services: [flusher], gracefulShutdownSignals: [], logger: Logger(label: "preauth-test"))
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            tasks.addTask { try await group.run() }
            // The window is an hour: only the shutdown can write the count.
            await group.triggerGracefulShutdown()
            try await tasks.waitForAll()
        }
        let records = try await store.auditRecords(after: 0, limit: 10, filter: AuditFilter())
        await store.close()
        #expect(records.map(\.entry.outcome) == ["refused:unauthenticated:missing-credentials x7"])
        #expect(records.first?.entry.sourceAddress == "192.0.2.7")
    }
}
