import Foundation
import Testing

@testable import Storage

/// One suite, both engines: every behaviour the gateway relies on.
@Suite("Store conformance")
struct StoreConformanceTests {
    @Test("migrating again keeps the schema and the data", arguments: Engine.allCases)
    func migrateTwice(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            try await harness.store.appendAudit(entry(1))
            #expect(try await harness.store.beginIdempotent(claim("k")) == .acquired)
            try await harness.store.migrate()
            try await harness.store.migrate()
            let replica = try await harness.openReplica()
            await replica.close()
            #expect(try await allRecords(harness.store).map(\.entry) == [entry(1)])
            #expect(try await harness.store.beginIdempotent(claim("k")) == .inFlight)
            #expect(
                try await AuditVerifier.verify(store: harness.store)
                    == .intact(count: 1, head: allRecords(harness.store)[0].hash))
        }
    }

    @Test("acquire, in flight, mismatch, outcome unknown, replay", arguments: Engine.allCases)
    func idempotencyStates(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            #expect(try await store.beginIdempotent(claim("k1")) == .acquired)
            // Same key and payload within the lease: the first call is still running.
            #expect(try await store.beginIdempotent(claim("k1", now: fixedTime(29))) == .inFlight)
            // Same key, other payload, whatever the state.
            #expect(try await store.beginIdempotent(claim("k1", fingerprint: "fp-2")) == .fingerprintMismatch)
            // The lease ran out and the key is still in flight: the claimant died mid-call.
            #expect(try await store.beginIdempotent(claim("k1", now: fixedTime(30))) == .outcomeUnknown)
            #expect(try await store.beginIdempotent(claim("k1", now: fixedTime(3_600))) == .outcomeUnknown)

            // Bytes that are not UTF-8, a NUL among them: replayed exactly.
            let response = StoredResponse(status: 201, contentType: "application/json", body: [0x7B, 0x00, 0xFF, 0x7D])
            try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "k1"), response: response, audit: entry(1))
            #expect(try await store.beginIdempotent(claim("k1")) == .replay(response))
            // Completed keys replay long after the lease.
            #expect(try await store.beginIdempotent(claim("k1", now: fixedTime(7_200))) == .replay(response))
            #expect(try await store.beginIdempotent(claim("k1", fingerprint: "fp-2")) == .fingerprintMismatch)

            // Stored failures and empty bodies replay too.
            #expect(try await store.beginIdempotent(claim("k2")) == .acquired)
            let failure = StoredResponse(status: 409, contentType: "application/problem+json", body: [])
            try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "k2"), response: failure, audit: entry(2))
            #expect(try await store.beginIdempotent(claim("k2")) == .replay(failure))
        }
    }

    @Test("a released key can be claimed again", arguments: Engine.allCases)
    func releaseThenReacquire(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let scope = IdempotencyScope(clientId: "erp", key: "k")
            #expect(try await harness.store.beginIdempotent(claim("k")) == .acquired)
            try await harness.store.releaseIdempotent(scope, audit: entry(1, outcome: "failed"))
            // A retry with another payload is a new call, not a mismatch: the first never reached Altinn.
            #expect(try await harness.store.beginIdempotent(claim("k", fingerprint: "fp-2")) == .acquired)
            #expect(try await harness.store.beginIdempotent(claim("k", fingerprint: "fp-2")) == .inFlight)
        }
    }

    @Test("one client's keys are invisible to another", arguments: Engine.allCases)
    func clientScoping(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            #expect(try await store.beginIdempotent(claim("same", client: "alpha")) == .acquired)
            #expect(try await store.beginIdempotent(claim("same", client: "beta", fingerprint: "other")) == .acquired)
            let response = StoredResponse(status: 200, contentType: "application/json", body: Array("{}".utf8))
            try await store.completeIdempotent(
                IdempotencyScope(clientId: "alpha", key: "same"), response: response, audit: entry(1))
            #expect(try await store.beginIdempotent(claim("same", client: "alpha")) == .replay(response))
            #expect(try await store.beginIdempotent(claim("same", client: "beta", fingerprint: "other")) == .inFlight)
            try await store.releaseIdempotent(IdempotencyScope(clientId: "beta", key: "same"), audit: entry(2))
            #expect(try await store.beginIdempotent(claim("same", client: "alpha")) == .replay(response))
        }
    }

    @Test("prune deletes only keys created before the cutoff", arguments: Engine.allCases)
    func prune(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            let now = fixedTime(100_000)
            #expect(
                try await store.beginIdempotent(claim("old-in-flight", now: now.addingTimeInterval(-48 * 3_600)))
                    == .acquired)
            #expect(
                try await store.beginIdempotent(claim("old-done", now: now.addingTimeInterval(-25 * 3_600)))
                    == .acquired)
            try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "old-done"),
                response: StoredResponse(status: 200, contentType: "text/plain", body: [1]), audit: entry(1))
            #expect(try await store.beginIdempotent(claim("fresh", now: now.addingTimeInterval(-3_600))) == .acquired)

            let cutoff = now.addingTimeInterval(-24 * 3_600)
            #expect(try await store.pruneIdempotency(createdBefore: cutoff) == 2)
            #expect(try await store.pruneIdempotency(createdBefore: cutoff) == 0)

            #expect(try await store.beginIdempotent(claim("old-in-flight", now: now)) == .acquired)
            #expect(try await store.beginIdempotent(claim("old-done", now: now)) == .acquired)
            #expect(try await store.beginIdempotent(claim("fresh", now: now.addingTimeInterval(-3_590))) == .inFlight)
            // Pruning never touches the audit log.
            #expect(try await allRecords(store).count == 1)
        }
    }

    @Test("complete and release need a key in flight; failures append nothing", arguments: Engine.allCases)
    func notInFlight(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            let scope = IdempotencyScope(clientId: "erp", key: "k")
            let response = StoredResponse(status: 200, contentType: "application/json", body: [])
            await #expect(throws: StoreError.notInFlight) {
                try await store.completeIdempotent(scope, response: response, audit: entry(1))
            }
            await #expect(throws: StoreError.notInFlight) { try await store.releaseIdempotent(scope, audit: entry(1)) }

            #expect(try await store.beginIdempotent(claim("k")) == .acquired)
            try await store.completeIdempotent(scope, response: response, audit: entry(1))
            await #expect(throws: StoreError.notInFlight) {
                try await store.completeIdempotent(scope, response: response, audit: entry(2))
            }
            await #expect(throws: StoreError.notInFlight) { try await store.releaseIdempotent(scope, audit: entry(2)) }
            // Another client's scope with the same key is not this key.
            await #expect(throws: StoreError.notInFlight) {
                try await store.releaseIdempotent(IdempotencyScope(clientId: "other", key: "k"), audit: entry(2))
            }
            #expect(try await allRecords(store).map(\.entry) == [entry(1)])
            #expect(try await store.beginIdempotent(claim("k")) == .replay(response))
        }
    }

    @Test("concurrent successes and failures: failures undo only themselves", arguments: Engine.allCases)
    func concurrentMixedOutcomes(engine: Engine) async throws {
        // On SQLite these land in shared group commits; a failing job must not take its group down.
        try await withHarness(engine) { harness in
            let store = harness.store
            let response = StoredResponse(status: 200, contentType: "application/json", body: [1, 2, 3])
            for index in 0..<40 { #expect(try await store.beginIdempotent(claim("ok-\(index)")) == .acquired) }
            let failures = await withTaskGroup(of: Bool.self) { group in
                for index in 0..<80 {
                    group.addTask {
                        // Even: a key in flight (succeeds). Odd: a key never claimed (fails, appends nothing).
                        let key = index.isMultiple(of: 2) ? "ok-\(index / 2)" : "missing-\(index)"
                        do {
                            try await store.completeIdempotent(
                                IdempotencyScope(clientId: "erp", key: key), response: response, audit: entry(index))
                            return false
                        } catch {
                            return true
                        }
                    }
                }
                return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(failures == 40)
            for index in 0..<40 { #expect(try await store.beginIdempotent(claim("ok-\(index)")) == .replay(response)) }
            let records = try await allRecords(store)
            #expect(records.count == 40)
            #expect(Set(records.map(\.sequence)) == Set(1...40))
            guard case .intact(let count, _) = try await AuditVerifier.verify(store: store) else {
                Issue.record("chain broken")
                return
            }
            #expect(count == 40)
        }
    }

    @Test("appends from every path form one chain, in order", arguments: Engine.allCases)
    func chainAcrossMixedCalls(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            #expect(try await AuditVerifier.verify(store: store) == .intact(count: 0, head: AuditChain.genesisHash))
            var expected: [AuditEntry] = []
            for number in 1...12 {
                let audit = entry(number, outcome: ["succeeded", "failed", "refused"][number % 3], key: "k\(number)")
                let scope = IdempotencyScope(clientId: "erp", key: "k\(number)")
                switch number % 3 {
                case 0:
                    try await store.appendAudit(audit)
                case 1:
                    #expect(try await store.beginIdempotent(claim("k\(number)")) == .acquired)
                    try await store.completeIdempotent(
                        scope, response: StoredResponse(status: 200, contentType: "a/b", body: [UInt8(number)]),
                        audit: audit)
                default:
                    #expect(try await store.beginIdempotent(claim("k\(number)")) == .acquired)
                    try await store.releaseIdempotent(scope, audit: audit)
                }
                expected.append(audit)
            }
            // Optional fields all absent, and text that needs escaping in the canonical form.
            let sparse = AuditEntry(
                time: fixedTime(0.000_001), clientId: nil, sourceAddress: nil,
                requestId: "quote\"back\\slash\nnewline æøå",
                traceparent: nil, idempotencyKey: nil, operation: "refused", instance: nil, tokenProfile: nil,
                upstreamMethod: nil, upstreamURL: nil, upstreamStatus: nil, latencyMicros: 0, outcome: "refused",
                requestDigest: nil, responseDigest: nil)
            try await store.appendAudit(sparse)
            expected.append(sparse)
            // Empty strings (not null), a control character, four-byte UTF-8, what was signed, and a negative status:
            // PostgreSQL hashes the record itself (from the canonical bytes around the sequence), so every kind of
            // value must come out byte for byte as `AuditChain.hash` has it.
            var full = entry(13, client: "", outcome: "succeeded", key: "tab\t\u{01}🙂")
            full.signedData = #"{"id":"d1","signee":"\u00e6 🙂"}"#
            full.upstreamStatus = -1
            full.requestDigest = ""
            #expect(try await store.beginIdempotent(claim("tab\t\u{01}🙂", client: "")) == .acquired)
            try await store.completeIdempotent(
                IdempotencyScope(clientId: "", key: "tab\t\u{01}🙂"),
                response: StoredResponse(status: 200, contentType: "a/b", body: []), audit: full)
            expected.append(full)

            let records = try await allRecords(store)
            #expect(records.map(\.entry) == expected)
            #expect(records.map(\.sequence) == Array(1...Int64(expected.count)))
            #expect(records.first?.previousHash == AuditChain.genesisHash)
            for (previous, record) in zip(records, records.dropFirst()) {
                #expect(record.previousHash == previous.hash)
            }
            for record in records {
                let hash = try AuditChain.hash(
                    entry: record.entry, sequence: record.sequence, previousHash: record.previousHash)
                #expect(record.hash == hash)
            }
            let head = try #require(records.last?.hash)
            #expect(try await AuditVerifier.verify(store: store) == .intact(count: expected.count, head: head))
            #expect(
                try await AuditVerifier.verify(store: store, pageSize: 2) == .intact(count: expected.count, head: head))
        }
    }

    @Test("records page by sequence and filter by time, client, instance and outcome", arguments: Engine.allCases)
    func pagingAndFilters(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            for number in 1...25 {
                try await store.appendAudit(
                    entry(
                        number,
                        client: number % 5 == 0 ? nil : (number.isMultiple(of: 2) ? "even" : "odd"),
                        instance: number <= 10 ? "ttd/app/instances/1/a" : "ttd/app/instances/2/b",
                        outcome: number % 3 == 0 ? "failed" : "succeeded",
                        time: fixedTime(Double(number) * 60)))
            }
            let first = try await store.auditRecords(after: 0, limit: 10, filter: AuditFilter())
            let second = try await store.auditRecords(after: 10, limit: 10, filter: AuditFilter())
            let third = try await store.auditRecords(after: 20, limit: 10, filter: AuditFilter())
            #expect(first.map(\.sequence) == Array(1...10))
            #expect(second.map(\.sequence) == Array(11...20))
            #expect(third.map(\.sequence) == Array(21...25))
            #expect(try await store.auditRecords(after: 25, limit: 10, filter: AuditFilter()).isEmpty)
            #expect(try await store.auditRecords(after: 0, limit: 0, filter: AuditFilter()).isEmpty)

            func sequences(_ filter: AuditFilter) async throws -> [Int64] {
                try await allRecords(store, filter: filter).map(\.sequence)
            }
            // `from` inclusive, `until` exclusive.
            #expect(try await sequences(AuditFilter(from: fixedTime(5 * 60))) == Array(5...25))
            #expect(try await sequences(AuditFilter(until: fixedTime(5 * 60))) == Array(1...4))
            #expect(try await sequences(AuditFilter(from: fixedTime(3 * 60), until: fixedTime(6 * 60))) == [3, 4, 5])
            #expect(try await sequences(AuditFilter(clientId: "even")) == [2, 4, 6, 8, 12, 14, 16, 18, 22, 24])
            #expect(try await sequences(AuditFilter(instance: .key("ttd/app/instances/1/a"))) == Array(1...10))
            #expect(try await sequences(AuditFilter(instance: .partyAndGuid("2/b"))) == Array(11...25))
            #expect(try await sequences(AuditFilter(instance: .partyAndGuid("1/b"))) == [])
            #expect(try await sequences(AuditFilter(outcome: "failed")) == [3, 6, 9, 12, 15, 18, 21, 24])
            let all = AuditFilter(
                from: fixedTime(60), until: fixedTime(22 * 60), clientId: "odd",
                instance: .key("ttd/app/instances/2/b"),
                outcome: "failed")
            #expect(try await sequences(all) == [21])
            var untilExcludes = all
            untilExcludes.until = fixedTime(21 * 60)
            #expect(try await sequences(untilExcludes) == [])
            #expect(try await sequences(AuditFilter(clientId: "nobody")) == [])
            // Filtered pages continue after the last sequence seen.
            let page = try await store.auditRecords(after: 6, limit: 2, filter: AuditFilter(outcome: "failed"))
            #expect(page.map(\.sequence) == [9, 12])
        }
    }

    @Test("the audit table rejects UPDATE and DELETE", arguments: Engine.allCases)
    func appendOnly(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            for number in 1...3 { try await harness.store.appendAudit(entry(number)) }
            let before = try await allRecords(harness.store)
            // Refused by the append-only trigger, not by any error (a typo in the SQL would also throw).
            func expectRefused(_ sql: String) async {
                do {
                    try await harness.raw(sql)
                    Issue.record("accepted: \(sql)")
                } catch {
                    let text = String(reflecting: error)
                    #expect(text.contains("append-only"), "\(sql): \(text)")
                }
            }
            await expectRefused("UPDATE audit_log SET outcome = 'tampered' WHERE sequence = 2")
            await expectRefused("DELETE FROM audit_log WHERE sequence = 3")
            await expectRefused("DELETE FROM audit_log")
            if engine == .postgres {
                await expectRefused("TRUNCATE audit_log")
            }
            #expect(try await allRecords(harness.store) == before)
            #expect(try await AuditVerifier.verify(store: harness.store) == .intact(count: 3, head: before[2].hash))
        }
    }

    @Test("an edited row breaks the chain exactly there", arguments: Engine.allCases)
    func tamperDetection(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            for number in 1...6 { try await harness.store.appendAudit(entry(number)) }
            let dropTrigger =
                engine == .sqlite
                ? "DROP TRIGGER audit_log_no_update" : "DROP TRIGGER audit_log_no_update ON audit_log"
            try await harness.raw(dropTrigger)
            try await harness.raw("UPDATE audit_log SET outcome = 'failed' WHERE sequence = 4")
            let result = try await AuditVerifier.verify(store: harness.store)
            guard case .broken(let sequence, _) = result else {
                Issue.record("expected a broken chain, got \(result)")
                return
            }
            #expect(sequence == 4)

            // Re-hashing the edited row to hide the edit breaks the link of the next one instead.
            let records = try await allRecords(harness.store)
            let forged = try AuditChain.hash(entry: records[3].entry, sequence: 4, previousHash: records[2].hash)
            try await harness.raw("UPDATE audit_log SET hash = '\(forged)' WHERE sequence = 4")
            let relinked = try await AuditVerifier.verify(store: harness.store)
            guard case .broken(let next, _) = relinked else {
                Issue.record("expected a broken chain, got \(relinked)")
                return
            }
            #expect(next == 5)
        }
    }

    @Test("50 concurrent claims of one key: exactly one acquires", arguments: Engine.allCases)
    func concurrentClaims(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            let results = try await withThrowingTaskGroup(of: IdempotencyBegin.self) { group in
                for _ in 0..<50 { group.addTask { try await store.beginIdempotent(claim("contested")) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.count == 50)
            #expect(results.filter { $0 == .acquired }.count == 1)
            #expect(results.filter { $0 == .inFlight }.count == 49)
        }
    }

    @Test("200 concurrent appends form one intact chain 1…200", arguments: Engine.allCases)
    func concurrentAppends(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            try await withThrowingTaskGroup(of: Void.self) { group in
                for number in 1...200 { group.addTask { try await store.appendAudit(entry(number)) } }
                try await group.waitForAll()
            }
            let records = try await allRecords(store)
            #expect(records.map(\.sequence) == Array(1...200))
            #expect(Set(records.map(\.entry.requestId)) == Set((1...200).map { "req-\($0)" }))
            #expect(try await AuditVerifier.verify(store: store) == .intact(count: 200, head: records[199].hash))
        }
    }

    @Test("a webhook id is remembered per client until it expires, across replicas", arguments: Engine.allCases)
    func webhookIds(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            let replica = try await harness.openReplica()
            let expires = fixedTime(600)
            #expect(
                try await store.rememberWebhookId(clientId: "erp", id: "msg_1", now: fixedTime(), expiresAt: expires))
            // The same id again, from this or another replica, inside its window: a replay.
            #expect(
                try await !store.rememberWebhookId(clientId: "erp", id: "msg_1", now: fixedTime(1), expiresAt: expires))
            #expect(
                try await !replica.rememberWebhookId(
                    clientId: "erp", id: "msg_1", now: fixedTime(599), expiresAt: fixedTime(1_200)))
            // Another client may use the same id.
            #expect(
                try await store.rememberWebhookId(clientId: "crm", id: "msg_1", now: fixedTime(), expiresAt: expires))
            // Once expired, the id is forgotten and may be used again.
            #expect(
                try await replica.rememberWebhookId(
                    clientId: "erp", id: "msg_1", now: fixedTime(600), expiresAt: fixedTime(1_200)))
            await replica.close()
        }
    }

    @Test("20 concurrent uses of one webhook id: exactly one is accepted", arguments: Engine.allCases)
    func concurrentWebhookIds(engine: Engine) async throws {
        try await withHarness(engine) { harness in
            let store = harness.store
            let results = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<20 {
                    group.addTask {
                        try await store.rememberWebhookId(
                            clientId: "erp", id: "msg_race", now: fixedTime(), expiresAt: fixedTime(300))
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(results.filter { $0 }.count == 1)
        }
    }
}
