import Crypto
import Foundation
import Testing

@testable import Storage

/// Signed checkpoints of the audit chain, on both engines: they prove the chain complete (no truncated tail),
/// unrewritten, and vouch for what audit retention leaves.
@Suite("Audit checkpoints")
struct AuditCheckpointTests {
    static let key = AuditCheckpointKey(privateKey: Curve25519.Signing.PrivateKey())
    static var anchorsOfStore: AuditAnchors { AuditAnchors(publicKey: key.publicKey) }

    static func anchors(_ checkpoint: AuditCheckpoint) -> AuditAnchors {
        AuditAnchors(publicKey: key.publicKey, checkpoint: checkpoint)
    }

    /// What an attacker with the database owner's rights does first: lift the append-only guards.
    static func dropGuards(_ harness: Harness) async throws {
        switch harness.engine {
        case .sqlite:
            for trigger in [
                "audit_log_no_update", "audit_log_no_delete", "audit_checkpoints_no_update",
                "audit_checkpoints_no_delete",
            ] {
                try await harness.raw("DROP TRIGGER \(trigger)")
            }
        case .postgres:
            try await harness.raw("DROP TRIGGER audit_log_no_update ON audit_log")
            try await harness.raw("DROP TRIGGER audit_log_no_delete ON audit_log")
            try await harness.raw("DROP TRIGGER audit_checkpoints_no_update ON audit_checkpoints")
        }
    }

    static func expectBroken(
        _ verification: AuditVerification, at sequence: Int64, mentioning words: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard case .broken(let at, let reason) = verification else {
            Issue.record("expected a broken chain, got \(verification)", sourceLocation: sourceLocation)
            return
        }
        #expect(at == sequence, "\(reason)", sourceLocation: sourceLocation)
        #expect(reason.contains(words), "\(reason)", sourceLocation: sourceLocation)
    }

    @Test("a checkpoint is signed, stored, exported as one JSON line and verified", arguments: Engine.allCases)
    func writtenAndVerified(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let checkpointer = AuditCheckpointer(store: harness.store, key: Self.key)
            #expect(try await checkpointer.checkpoint() == nil, "an empty log has nothing to vouch for")
            for number in 1...5 { try await harness.store.appendAudit(entry(number)) }
            let made = try #require(try await checkpointer.checkpoint(now: fixedTime(100.7)))
            let records = try await allRecords(harness.store)
            #expect(made.sequence == 5)
            #expect(made.hash == records[4].hash)
            #expect(made.time == fixedTime(100))
            #expect(made.isSigned(by: Self.key.publicKey))
            #expect(try await harness.store.auditCheckpoints() == [made])
            // Nothing new since: an idle gateway adds no checkpoint.
            #expect(try await checkpointer.checkpoint(after: made.sequence) == nil)

            let line = made.jsonLine
            #expect(!line.contains("\n") && !line.contains(" "))
            let parsed = try #require(AuditCheckpoint(jsonLine: line))
            #expect(parsed == made)

            let report = try await AuditVerifier.report(store: harness.store, anchors: Self.anchors(parsed))
            #expect(report.verification == .intact(count: 5, head: records[4].hash))
            #expect(report.checkpointsMatched == 1)
            #expect(report.firstSequence == 1)

            // More records after the checkpoint still verify against it.
            for number in 6...7 { try await harness.store.appendAudit(entry(number)) }
            guard
                case .intact(7, _) = try await AuditVerifier.verify(store: harness.store, anchors: Self.anchors(parsed))
            else {
                Issue.record("expected 7 intact records")
                return
            }
        }
    }

    @Test("a tail truncated by direct SQL DELETE is detected", arguments: Engine.allCases)
    func truncatedTail(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            for number in 1...6 { try await harness.store.appendAudit(entry(number)) }
            let checkpoint = try #require(
                try await AuditCheckpointer(store: harness.store, key: Self.key).checkpoint())
            #expect(checkpoint.sequence == 6)

            // The guard refuses deleting the checkpointed record or anything after it.
            await #expect(throws: (any Error).self) {
                try await harness.raw("DELETE FROM audit_log WHERE sequence >= 5")
            }

            try await Self.dropGuards(harness)
            try await harness.raw("DELETE FROM audit_log WHERE sequence >= 5")
            // The rest of the chain is intact by itself: only the checkpoint shows what is missing.
            guard case .intact(4, _) = try await AuditVerifier.verify(store: harness.store) else {
                Issue.record("the truncated chain should verify on its own")
                return
            }
            Self.expectBroken(
                try await AuditVerifier.verify(store: harness.store, anchors: Self.anchorsOfStore), at: 6,
                mentioning: "truncated")
            // Also when the stored checkpoints are wiped too: the exported one still knows.
            try await harness.raw("DELETE FROM audit_checkpoints")
            Self.expectBroken(
                try await AuditVerifier.verify(store: harness.store, anchors: Self.anchors(checkpoint)), at: 6,
                mentioning: "truncated")
        }
    }

    @Test("a rewritten record with a recomputed chain is detected by the checkpoint", arguments: Engine.allCases)
    func rewrittenChain(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            for number in 1...6 { try await harness.store.appendAudit(entry(number)) }
            let checkpoint = try #require(
                try await AuditCheckpointer(store: harness.store, key: Self.key).checkpoint())
            try await Self.dropGuards(harness)
            // Record 3 says something else, and every hash from it on is recomputed so the links hold.
            try await harness.raw("UPDATE audit_log SET outcome = 'failed' WHERE sequence = 3")
            var records = try await allRecords(harness.store)
            var previous = records[1].hash
            for index in 2..<records.count {
                let hash = try AuditChain.hash(
                    entry: records[index].entry, sequence: records[index].sequence, previousHash: previous)
                try await harness.raw(
                    "UPDATE audit_log SET previous_hash = '\(previous)', hash = '\(hash)' "
                        + "WHERE sequence = \(records[index].sequence)")
                previous = hash
            }
            records = try await allRecords(harness.store)
            #expect(records[2].entry.outcome == "failed")
            // The chain alone cannot tell.
            #expect(try await AuditVerifier.verify(store: harness.store) == .intact(count: 6, head: previous))
            // The stored checkpoint can, and so can the exported one once the stored ones are gone.
            Self.expectBroken(
                try await AuditVerifier.verify(store: harness.store, anchors: Self.anchorsOfStore), at: 6,
                mentioning: "rewritten")
            try await harness.raw("DELETE FROM audit_checkpoints")
            Self.expectBroken(
                try await AuditVerifier.verify(store: harness.store, anchors: Self.anchors(checkpoint)), at: 6,
                mentioning: "rewritten")
        }
    }

    @Test("retention drops old records below the newest checkpoint; verify passes from it", arguments: Engine.allCases)
    func retention(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let checkpointer = AuditCheckpointer(store: harness.store, key: Self.key)
            let cutoff = fixedTime(8.5)
            // Without a checkpoint nothing may go.
            for number in 1...3 { try await harness.store.appendAudit(entry(number)) }
            #expect(try await harness.store.dropAuditRecords(olderThan: cutoff) == 0)
            let early = try #require(try await checkpointer.checkpoint())
            for number in 4...6 { try await harness.store.appendAudit(entry(number)) }
            let anchor = try #require(try await checkpointer.checkpoint())
            for number in 7...10 { try await harness.store.appendAudit(entry(number)) }
            let records = try await allRecords(harness.store)

            // Records 1…5: older than the cutoff and below the newest checkpoint (6), which itself stays.
            #expect(try await harness.store.dropAuditRecords(olderThan: cutoff) == 5)
            #expect(try await allRecords(harness.store).map(\.sequence) == [6, 7, 8, 9, 10])
            #expect(try await harness.store.dropAuditRecords(olderThan: cutoff) == 0)

            let report = try await AuditVerifier.report(store: harness.store, anchors: Self.anchorsOfStore)
            #expect(report.verification == .intact(count: 5, head: records[9].hash))
            #expect(report.firstSequence == 6)
            #expect(report.checkpointsMatched == 1)
            #expect(
                try await AuditVerifier.verify(store: harness.store, anchors: Self.anchors(anchor))
                    == .intact(count: 5, head: records[9].hash))
            // Without a key nothing vouches for the start.
            Self.expectBroken(try await AuditVerifier.verify(store: harness.store), at: 6, mentioning: "vouches")
            // A checkpoint older than what is kept cannot be checked any more.
            Self.expectBroken(
                try await AuditVerifier.verify(store: harness.store, anchors: Self.anchors(early)), at: 3,
                mentioning: "retention")
            // Records newer than the newest checkpoint stay guarded.
            await #expect(throws: (any Error).self) {
                try await harness.raw("DELETE FROM audit_log WHERE sequence = 8")
            }
            await #expect(throws: (any Error).self) {
                try await harness.raw("DELETE FROM audit_log WHERE sequence = 6")
            }
        }
    }

    @Test("a checkpoint with a bad signature is refused", arguments: Engine.allCases)
    func badSignature(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            for number in 1...4 { try await harness.store.appendAudit(entry(number)) }
            let records = try await allRecords(harness.store)
            let good = try #require(try await AuditCheckpointer(store: harness.store, key: Self.key).checkpoint())

            // The signature of another checkpoint (record 4's) on a claim about record 3.
            var moved = good
            moved.sequence = 3
            moved.hash = records[2].hash
            Self.expectBroken(
                try await AuditVerifier.verify(store: harness.store, anchors: Self.anchors(moved)), at: 3,
                mentioning: "refused")
            // Signed by another key.
            let stranger = AuditCheckpointKey(privateKey: Curve25519.Signing.PrivateKey())
            let foreign = try AuditCheckpoint.sign(sequence: 4, hash: records[3].hash, time: Date(), key: stranger)
            Self.expectBroken(
                try await AuditVerifier.verify(store: harness.store, anchors: Self.anchors(foreign)), at: 4,
                mentioning: "refused")
            // Given without a public key.
            Self.expectBroken(
                try await AuditVerifier.verify(store: harness.store, anchors: AuditAnchors(checkpoint: good)), at: 4,
                mentioning: "public key")
            // A forged row in the store under the gateway's key id.
            let zeros = Data(repeating: 0, count: 64).base64EncodedString()
            try await harness.raw(
                "INSERT INTO audit_checkpoints (sequence, hash, time_micros, key_id, signature) VALUES "
                    + "(2, '\(records[1].hash)', 0, '\(Self.key.keyId)', '\(zeros)')")
            Self.expectBroken(
                try await AuditVerifier.verify(store: harness.store, anchors: Self.anchorsOfStore), at: 2,
                mentioning: "signature")
            // Malformed files are not checkpoints.
            #expect(AuditCheckpoint(jsonLine: "{}") == nil)
            #expect(AuditCheckpoint(jsonLine: #"{"sequence":1,"hash":"xyz","time":"2026-01-01T00:00:00Z"}"#) == nil)
        }
    }

    @Test("retention's bound: below the newest checkpoint, before the first recent record, one batch at a time")
    func retentionBound() {
        #expect(AuditRetention.bound(newestCheckpoint: 0, firstRecent: nil, oldest: 1) <= 0, "no checkpoint: none")
        #expect(AuditRetention.bound(newestCheckpoint: 6, firstRecent: nil, oldest: 1) == 5)
        #expect(AuditRetention.bound(newestCheckpoint: 6, firstRecent: 4, oldest: 1) == 3)
        #expect(AuditRetention.bound(newestCheckpoint: 6, firstRecent: 1, oldest: 1) == 0)
        #expect(AuditRetention.bound(newestCheckpoint: 6, firstRecent: nil, oldest: nil) == 0, "empty log")
        let far = AuditRetention.batch * 3
        #expect(AuditRetention.bound(newestCheckpoint: far, firstRecent: nil, oldest: 1) == AuditRetention.batch)
        #expect(
            AuditRetention.bound(newestCheckpoint: far, firstRecent: nil, oldest: AuditRetention.batch + 1)
                == 2 * AuditRetention.batch)
    }

    @Test("the key file is made once, mode 0600, and read back as the same key")
    func keyFile() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ck-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("audit-checkpoint.key").path
        let (made, created) = try AuditCheckpointKey.loadOrCreate(file: file)
        #expect(created)
        let (again, createdAgain) = try AuditCheckpointKey.loadOrCreate(file: file)
        #expect(!createdAgain)
        #expect(again.keyId == made.keyId)
        let mode = try FileManager.default.attributesOfItem(atPath: file)[.posixPermissions] as? NSNumber
        #expect(mode?.intValue == 0o600)
        let publicText = AuditCheckpointKey.encode(made.publicKey)
        #expect(AuditCheckpointKey.decodePublicKey(publicText)?.rawRepresentation == made.publicKey.rawRepresentation)
        try Data("not a key".utf8).write(to: URL(fileURLWithPath: file))
        #expect(throws: StoreError.self) { try AuditCheckpointKey.load(file: file) }
    }
}
