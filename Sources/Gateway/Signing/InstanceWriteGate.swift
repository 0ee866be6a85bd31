import Foundation
package import Storage

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

    func serialized<T: Sendable>(
        _ instance: String,
        _ body: () async throws(GatewayError) -> T
    ) async throws(GatewayError) -> T {
        await self.queue.enter(instance)
        let result: Result<T, GatewayError>
        do {
            try await self.takeLease(instance)
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            try? await self.leases?.releaseWriteLease(instance: instance, owner: self.owner)
        } catch {
            result = .failure(error)
        }
        await self.queue.leave(instance)
        return try result.get()
    }

    /// Polls with doubling waits: a lease is held for one write (a few upstream round trips).
    private func takeLease(_ instance: String) async throws(GatewayError) {
        guard let leases else { return }
        let clock = ContinuousClock()
        let deadline = clock.now + self.maxWait
        var wait = Duration.milliseconds(10)
        while true {
            let now = Date()
            let acquired: Bool
            do {
                acquired = try await leases.acquireWriteLease(
                    instance: instance, owner: self.owner, now: now,
                    until: now.addingTimeInterval(Self.seconds(self.leaseDuration)))
            } catch {
                throw .instanceBusy(storeFailed: true)
            }
            if acquired { return }
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
