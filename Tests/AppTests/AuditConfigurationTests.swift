import Foundation
import Logging
import Storage
import Testing

@testable import App
@testable import GatewayHTTP

/// `audit.*` (checkpoints, retention) and `preAuth.*`: loading, bounds, and the checkpoint service's tick.
@Suite struct AuditConfigurationTests {
    func write(_ text: String) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("cfg-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let path = directory.appendingPathComponent("gateway.json").path
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    @Test func keysLoadWithDefaultsAndBounds() throws {
        let defaults = try ConfigurationLoader.load(file: nil, environment: [:])
        #expect(defaults.audit.checkpointIntervalSeconds == 300)
        #expect(defaults.audit.retentionDays == nil)
        #expect(defaults.audit.keyFile(dataDirectory: "/data") == "/data/audit-checkpoint.key")
        #expect(defaults.preAuth.limits == PreAuthLimits())

        let file = try self.write(
            """
            {"upstream": {"environment": "simulator"},
             "audit": {"checkpointKeyFile": "/run/secrets/ck", "checkpointIntervalSeconds": 60, "retentionDays": 400},
             "preAuth": {"perSecond": 2, "burst": 10, "maxSources": 500, "windowSeconds": 30}}
            """)
        let loaded = try ConfigurationLoader.load(file: file, environment: [:])
        #expect(loaded.audit.keyFile(dataDirectory: "/data") == "/run/secrets/ck")
        try loaded.validate()
        #expect(loaded.audit.checkpointIntervalSeconds == 60)
        #expect(loaded.audit.retentionDays == 400)
        #expect(
            loaded.preAuth.limits == PreAuthLimits(perSecond: 2, burst: 10, maxSources: 500, window: .seconds(30)))

        for bad in [
            #"{"audit": {"retentionDays": 0}}"#, #"{"audit": {"checkpointIntervalSeconds": -1}}"#,
            #"{"audit": {"checkpointIntervalSeconds": 0, "retentionDays": 30}}"#, #"{"preAuth": {"perSecond": 0}}"#,
            #"{"preAuth": {"burst": 0}}"#, #"{"preAuth": {"maxSources": 0}}"#, #"{"preAuth": {"windowSeconds": 0}}"#,
        ] {
            // Valid but for the one key (a file must name its upstream).
            let text = #"{"upstream": {"environment": "simulator"}, "# + bad.dropFirst()
            let configuration = try ConfigurationLoader.load(file: try self.write(text), environment: [:])
            do {
                try configuration.validate()
                Issue.record("accepted: \(bad)")
            } catch {
                guard case .invalid(let key, _) = error else {
                    Issue.record("\(error)")
                    continue
                }
                #expect(key.hasPrefix("audit.") || key.hasPrefix("preAuth."), "\(bad): \(key)")
            }
        }
        #expect(throws: ConfigurationError.self) {
            try ConfigurationLoader.load(file: try self.write(#"{"audit": {"retention": 3}}"#), environment: [:])
        }
    }

    @Test func theServiceSignsOnlyAMovedHeadAndAppliesRetention() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ck-\(UUID().uuidString)")
        let store = try await StoreFactory.open(
            StoreConfiguration(engine: .sqlite(path: directory.appendingPathComponent("gw.sqlite").path)),
            logger: Logger(label: "ck-test"))
        let (key, _) = try AuditCheckpointKey.loadOrCreate(
            file: directory.appendingPathComponent("audit-checkpoint.key").path)
        let service = AuditCheckpointService(
            store: store, key: key, interval: .seconds(3_600), retention: .seconds(86_400),
            logger: Logger(label: "ck-test"))
        let old = Date(timeIntervalSince1970: 1_767_225_600)
        func entry(_ number: Int, at time: Date) -> AuditEntry {
            AuditEntry(
                time: time, clientId: "erp", sourceAddress: nil, requestId: "r\(number)", traceparent: nil,
                idempotencyKey: nil, operation: "sign", instance: nil, tokenProfile: nil, upstreamMethod: nil,
                upstreamURL: nil, upstreamStatus: nil, latencyMicros: 0, outcome: "succeeded", requestDigest: nil,
                responseDigest: nil)
        }
        for number in 1...4 { try await store.appendAudit(entry(number, at: old)) }
        let now = old.addingTimeInterval(10 * 86_400)
        let first = await service.tick(after: nil, now: now)
        #expect(first == 4)
        // Records 1…3 are older than a day and below the checkpoint at 4, which stays.
        #expect(try await store.auditRecords(after: 0, limit: 10, filter: AuditFilter()).map(\.sequence) == [4])
        #expect(await service.tick(after: first, now: now) == 4)
        #expect(try await store.auditCheckpoints().count == 1, "an unmoved head is not signed again")
        try await store.appendAudit(entry(5, at: now))
        #expect(await service.tick(after: first, now: now) == 5)
        #expect(
            try await AuditVerifier.verify(store: store, anchors: AuditAnchors(publicKey: key.publicKey))
                .isIntact)
        await store.close()
    }
}

extension AuditVerification {
    var isIntact: Bool {
        if case .intact = self { return true }
        return false
    }
}
