import Foundation
package import Storage

/// Runs a non-idempotent call at most once per (client, key): the key and the request's fingerprint
/// are stored *before* the call, the answer and the audit record in one transaction after it.
package struct IdempotencyGate: Sendable {
    private let store: any IdempotencyStore
    /// How long a claimant is presumed alive. Past it, an in-flight key is "outcome unknown":
    /// it is never re-sent blindly.
    private let lease: Duration

    /// Told about events a call committed, to wake the dispatcher.
    private let outboxCommitted: @Sendable (OutboxCommit) -> Void
    /// The calls' write gate: a call that writes to an instance claims its key with the instance's lease.
    private let writes: InstanceWriteGate?

    package init(
        store: any IdempotencyStore, lease: Duration, writes: InstanceWriteGate? = nil,
        outboxCommitted: @escaping @Sendable (OutboxCommit) -> Void = { _ in }
    ) {
        self.store = store
        self.lease = lease
        self.writes = writes
        self.outboxCommitted = outboxCommitted
    }

    /// The finished call: its answer, its audit facts, whether the key is released instead of kept, and the
    /// snapshot and events to commit with it.
    package struct Executed: Sendable {
        package var response: StoredResponse
        package var call: CallRecord
        package var releaseKey: Bool
        package var outbox: OutboxWrite?

        package init(response: StoredResponse, call: CallRecord, releaseKey: Bool, outbox: OutboxWrite? = nil) {
            self.response = response
            self.call = call
            self.releaseKey = releaseKey
            self.outbox = outbox
        }
    }

    package enum Answer: Sendable, Equatable {
        case fresh(StoredResponse)
        case replayed(StoredResponse)
        case refused(Refusal)
    }

    package enum Refusal: String, Sendable, Equatable {
        /// The same key is being processed right now (409).
        case inFlight
        /// The key was used with a different request (422).
        case fingerprintMismatch
        /// The key's first call died mid-flight; whether Altinn executed it is unknown.
        case outcomeUnknown
    }

    /// `work` may hand its instance's write lease on (`LeaseHandOff`): it is given back with the completion, in the
    /// same statement. A call that writes to `instance` takes that lease with its claim (`InstanceWriteGate.begin`).
    package func execute(
        key: String,
        fingerprint: String,
        inbound: InboundFacts,
        writing instance: String? = nil,
        _ work: (LeaseHandOff) async -> Executed
    ) async throws(StoreError) -> Answer {
        let scope = IdempotencyScope(clientId: inbound.clientId ?? "", key: key)
        let now = Date()
        let claim = IdempotencyClaim(
            scope: scope, fingerprint: fingerprint, now: now,
            leaseUntil: now.addingTimeInterval(Double(self.lease.components.seconds)))
        let handOff = LeaseHandOff()
        let begun =
            if let instance, let writes = self.writes {
                try await writes.begin(claim, on: self.store, writing: instance, handOff: handOff)
            } else {
                try await self.store.beginIdempotent(claim)
            }
        let answer: Answer
        switch begun {
        case .replay(let stored):
            answer = .replayed(stored)
        case .inFlight:
            answer = .refused(.inFlight)
        case .fingerprintMismatch:
            answer = .refused(.fingerprintMismatch)
        case .outcomeUnknown:
            answer = .refused(.outcomeUnknown)
        case .acquired:
            let executed = await work(handOff)
            await self.writes?.settle(handOff)
            let entry = AuditTrail.entry(inbound, executed.call, responseBody: executed.response.body)
            // The answer, its audit record and its events in one transaction; a released key (Altinn was
            // provably not reached) is deleted instead of kept, its failure event still told.
            let committed: OutboxCommit?
            let lease = handOff.take()
            do {
                committed =
                    executed.releaseKey
                    ? try await self.store.releaseIdempotent(
                        scope, audit: entry, outbox: executed.outbox, givingBack: lease)
                    : try await self.store.completeIdempotent(
                        scope, response: executed.response, audit: entry, outbox: executed.outbox, givingBack: lease)
            } catch {
                UseCaseMetrics.auditAppendFailed(operation: entry.operation)
                throw error
            }
            if let committed { self.committed(committed) }
            UseCaseMetrics.auditAppended(operation: entry.operation)
            answer = .fresh(executed.response)
        }
        UseCaseMetrics.idempotency(answer.metricLabel)
        return answer
    }
}

extension IdempotencyGate {
    private func committed(_ commit: OutboxCommit) {
        EventMetrics.appended(commit.appended)
        self.outboxCommitted(commit)
    }
}

extension IdempotencyGate.Answer {
    var metricLabel: String {
        switch self {
        case .fresh: return "fresh"
        case .replayed: return "replayed"
        case .refused(let refusal): return refusal.rawValue
        }
    }
}
