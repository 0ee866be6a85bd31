import Foundation
package import Storage
import Synchronization

/// One Altinn write at a time per instance, from every caller of this gateway: two clients, the tracker's
/// completeWhenAllSigned and, through `InstanceWriteLeases`, other replicas. Altinn's process/next takes an
/// instance lock and answers a concurrent one with a bare 409; two writes racing can also move a process
/// twice. Writers queue in arrival order in-process; across replicas they wait for the lease.
package struct InstanceWriteGate: Sendable {
    private let queue = WriteQueue()
    private let leases: (any InstanceWriteLeases)?
    private let owner: String
    /// How long a lease lives if its holder dies mid-call; longer than any one write (its upstream deadlines).
    private let leaseDuration: Duration
    /// How long a writer waits for another replica's lease before giving up (nothing sent).
    private let maxWait: Duration

    package init(
        leases: (any InstanceWriteLeases)? = nil,
        owner: String = UUID().uuidString,
        leaseDuration: Duration = .seconds(60),
        maxWait: Duration = .seconds(30)
    ) {
        self.leases = leases
        self.owner = owner
        self.leaseDuration = leaseDuration
        self.maxWait = maxWait
    }

    /// Runs `body` as the instance's only writer. The replicas' lease is given back at the end, or handed on to
    /// `handOff` when given: the call's completion then gives it back in its own statement (`IdempotencyGate`).
    /// Meanwhile this process's next writer takes it over; other replicas wait the little longer.
    func serialized<T: Sendable>(
        _ instance: String,
        handOff: LeaseHandOff? = nil,
        _ body: () async throws(GatewayError) -> T
    ) async throws(GatewayError) -> T {
        await self.queue.enter(instance)
        let result: Result<T, GatewayError>
        do {
            let lease = try await self.takeLease(instance)
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            if let lease, let leases = self.leases {
                if let handOff {
                    // A second write in one call hands on its own taking; the first is given back now.
                    if let earlier = handOff.keep(lease) { try? await leases.releaseWriteLease(earlier) }
                } else {
                    try? await leases.releaseWriteLease(lease)
                }
            }
        } catch {
            result = .failure(error)
        }
        await self.queue.leave(instance)
        return try result.get()
    }

    /// Polls with doubling waits: a lease is held for one write (a few upstream round trips). Nil without leases.
    private func takeLease(_ instance: String) async throws(GatewayError) -> WriteLease? {
        guard let leases else { return nil }
        let clock = ContinuousClock()
        let deadline = clock.now + self.maxWait
        var wait = Duration.milliseconds(10)
        while true {
            let now = Date()
            let acquired: WriteLease?
            do {
                acquired = try await leases.acquireWriteLease(
                    instance: instance, owner: self.owner, now: now,
                    until: now.addingTimeInterval(Self.seconds(self.leaseDuration)))
            } catch {
                throw .instanceBusy(storeFailed: true)
            }
            if let acquired { return acquired }
            guard clock.now + wait < deadline, (try? await Task.sleep(for: wait)) != nil else {
                throw .instanceBusy(storeFailed: false)
            }
            wait = min(wait * 2, .milliseconds(500))
        }
    }

    private static func seconds(_ duration: Duration) -> TimeInterval {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// Where a write gate leaves its replicas' lease for the call's completion to give back (`IdempotencyGate`), one
/// per call.
package final class LeaseHandOff: Sendable {
    private let lease = Mutex<WriteLease?>(nil)

    package init() {}

    /// Keeps `lease`; the one kept before, if any.
    func keep(_ lease: WriteLease) -> WriteLease? {
        self.lease.withLock { kept in
            defer { kept = lease }
            return kept
        }
    }

    /// The kept lease, now the taker's to give back.
    package func take() -> WriteLease? {
        self.lease.withLock { kept in
            defer { kept = nil }
            return kept
        }
    }
}

/// Per-instance FIFO mutual exclusion inside one process.
private actor WriteQueue {
    private var waiting: [String: [CheckedContinuation<Void, Never>]] = [:]

    func enter(_ instance: String) async {
        guard self.waiting[instance] != nil else {
            self.waiting[instance] = []
            return
        }
        await withCheckedContinuation { self.waiting[instance, default: []].append($0) }
    }

    func leave(_ instance: String) {
        guard var queue = self.waiting[instance] else { return }
        if queue.isEmpty {
            self.waiting[instance] = nil
        } else {
            let next = queue.removeFirst()
            self.waiting[instance] = queue
            next.resume()
        }
    }
}
