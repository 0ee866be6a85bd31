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
    /// Meanwhile this process's next writer takes it over; other replicas wait the little longer. A lease taken
    /// with the call's claim (`begin`) is used instead of a taking of its own when it is still this process's latest.
    func serialized<T: Sendable>(
        _ instance: String,
        handOff: LeaseHandOff? = nil,
        _ body: () async throws(GatewayError) -> T
    ) async throws(GatewayError) -> T {
        let prepaid = handOff?.takePrepaid(for: instance)
        let latest = await self.queue.enter(instance, watched: prepaid?.watch)
        let result: Result<T, GatewayError>
        do {
            let lease: WriteLease?
            if latest, let prepaid {
                lease = prepaid.lease
            } else {
                lease = try await self.takeLease(instance)
            }
            do {
                result = .success(try await body())
            } catch {
                result = .failure(error)
            }
            if let lease, let leases = self.leases {
                if let handOff {
                    // A second write in one call hands on its own taking. An earlier taking of the same instance
                    // (the claim's, or a first write's) is this process's, so this one replaced it: nothing to give.
                    if let earlier = handOff.keep(lease), earlier.instance != lease.instance {
                        try? await leases.releaseWriteLease(earlier)
                    }
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

    /// Claims `claim` for a call that writes to `instance`. With the replicas' leases and a store that has them,
    /// the claim takes the instance's lease in the same round trip when the key is new, and leaves it on `handOff`
    /// for the call's first write, which then needs no taking of its own (`serialized`). The taking is watched from
    /// before it was asked for: if another writer of this process comes to the instance meanwhile, it may have taken
    /// the lease over (and given it back), and the call's write takes it again.
    func begin(
        _ claim: IdempotencyClaim, on store: any IdempotencyStore, writing instance: String, handOff: LeaseHandOff
    ) async throws(StoreError) -> IdempotencyBegin {
        guard self.leases != nil, let leases = store as? any InstanceWriteLeases else {
            return try await store.beginIdempotent(claim)
        }
        let watch = await self.queue.watch(instance)
        let begun: (IdempotencyBegin, WriteLease?)
        do {
            begun = try await leases.beginIdempotent(
                claim,
                takingWriteLease: WriteLeaseRequest(
                    instance: instance, owner: self.owner,
                    until: claim.now.addingTimeInterval(Self.seconds(self.leaseDuration))))
        } catch {
            await self.queue.unwatch(watch)
            throw error
        }
        if let lease = begun.1 {
            handOff.prepay(lease, watch: watch)
        } else {
            await self.queue.unwatch(watch)
        }
        return begun.0
    }

    /// Ends the watch of a lease taken with the claim that no write used (the call failed before writing); the
    /// taking itself stays on `handOff`, for the completion to give back.
    func settle(_ handOff: LeaseHandOff) async {
        if let prepaid = handOff.takePrepaid() { await self.queue.unwatch(prepaid.watch) }
    }

    /// How many instances the in-process queue keeps state for: writers in or waiting, or watches (0 when idle).
    func instancesInUse() async -> Int { await self.queue.instancesInUse }

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
/// per call; and the lease the call's claim took, until its first write takes it up (`InstanceWriteGate.begin`).
package final class LeaseHandOff: Sendable {
    struct Prepaid: Sendable {
        var lease: WriteLease
        var watch: WriteQueue.Watch
    }

    private struct State {
        var kept: WriteLease?
        var prepaid: Prepaid?
    }

    private let state = Mutex(State())

    package init() {}

    /// Keeps `lease`, taken with the claim, and the watch on it; it is also the lease to give back until a write
    /// keeps another.
    func prepay(_ lease: WriteLease, watch: WriteQueue.Watch) {
        self.state.withLock { $0 = State(kept: lease, prepaid: Prepaid(lease: lease, watch: watch)) }
    }

    /// The claim's taking, once: for a write to `instance`, or (nil) whatever its instance.
    func takePrepaid(for instance: String? = nil) -> Prepaid? {
        self.state.withLock { state in
            guard let prepaid = state.prepaid, instance == nil || prepaid.lease.instance == instance else {
                return nil
            }
            state.prepaid = nil
            return prepaid
        }
    }

    /// Keeps `lease`; the one kept before, if any.
    func keep(_ lease: WriteLease) -> WriteLease? {
        self.state.withLock { state in
            defer { state.kept = lease }
            return state.kept
        }
    }

    /// The kept lease, now the taker's to give back.
    package func take() -> WriteLease? {
        self.state.withLock { state in
            defer { state.kept = nil }
            return state.kept
        }
    }
}

/// Per-instance FIFO mutual exclusion inside one process, and watches on an instance's writers.
actor WriteQueue {
    /// A watch on an instance (`watch`); `mark` is nil when a writer was already there.
    struct Watch: Sendable {
        let instance: String
        let mark: Int?
    }

    /// An instance's writers in this process: whether one is inside, those waiting, and the watches on them.
    private struct Line {
        var inside = false
        var waiting: [CheckedContinuation<Void, Never>] = []
        /// Writers that entered since the line was made (it lives while watched).
        var entries = 0
        var watchers = 0
        var idle: Bool { !self.inside && self.watchers == 0 }
    }

    private var lines: [String: Line] = [:]

    var instancesInUse: Int { self.lines.count }

    /// Starts watching `instance`'s writers; end it with `enter(_:watched:)` or `unwatch`.
    func watch(_ instance: String) -> Watch {
        var line = self.lines[instance] ?? Line()
        line.watchers += 1
        self.lines[instance] = line
        return Watch(instance: instance, mark: line.inside ? nil : line.entries)
    }

    func unwatch(_ watch: Watch) {
        guard var line = self.lines[watch.instance] else { return }
        line.watchers -= 1
        self.lines[watch.instance] = line.idle ? nil : line
    }

    /// Enters as the instance's only writer, in arrival order. With `watch` (ended here): true when no writer of this
    /// process was at the instance from the watch until now, so that a lease taken after the watch is still this
    /// process's latest taking of it.
    func enter(_ instance: String, watched watch: Watch?) async -> Bool {
        var line = self.lines[instance] ?? Line()
        var latest = false
        if let watch {
            line.watchers -= 1
            latest = watch.mark == line.entries && !line.inside
        }
        line.entries += 1
        guard line.inside else {
            line.inside = true
            self.lines[instance] = line
            return latest
        }
        self.lines[instance] = line
        await withCheckedContinuation { self.lines[instance]?.waiting.append($0) }
        return false
    }

    func leave(_ instance: String) {
        guard var line = self.lines[instance] else { return }
        if line.waiting.isEmpty {
            line.inside = false
        } else {
            // The next writer is inside now.
            line.waiting.removeFirst().resume()
        }
        self.lines[instance] = line.idle ? nil : line
    }
}
