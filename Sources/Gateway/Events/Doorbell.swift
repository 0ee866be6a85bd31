import Synchronization

/// Wakes background loops early: rung when new work was committed in this process, so the loops need not wait
/// for their next idle check. An event count: a loop reads `rings` before it looks for work and then waits
/// `since` that reading, so a ring that comes while it looks (after its query, before its wait) returns its wait
/// at once, whichever other loops wait on the same bell. A ring wakes every loop waiting.
package final class Doorbell: Sendable {
    private struct State {
        var rings: UInt64 = 0
        var nextId: UInt64 = 0
        var waiters: [UInt64: CheckedContinuation<Void, Never>] = [:]
    }

    private let state = Mutex(State())

    package init() {}

    /// How many times it was rung so far: what a loop reads before it looks for work.
    package var rings: UInt64 { self.state.withLock { $0.rings } }

    /// Loops waiting now; a timed-out or cancelled wait leaves none behind.
    var waiterCount: Int { self.state.withLock { $0.waiters.count } }

    package func ring() {
        let waiters = self.state.withLock { state -> [CheckedContinuation<Void, Never>] in
            state.rings &+= 1
            defer { state.waiters = [:] }
            return Array(state.waiters.values)
        }
        for waiter in waiters { waiter.resume() }
    }

    /// Returns when rung since `seen` was read (at once if it already was), after `timeout`, or when cancelled.
    package func wait(since seen: UInt64, timeout: Duration) async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.waitForRing(since: seen) }
            group.addTask { try? await Task.sleep(for: timeout) }
            await group.next()
            group.cancelAll()
        }
    }

    private func waitForRing(since seen: UInt64) async {
        let id = self.state.withLock { state -> UInt64 in
            defer { state.nextId += 1 }
            return state.nextId
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let resumeNow = self.state.withLock { state -> Bool in
                    if state.rings != seen || Task.isCancelled { return true }
                    state.waiters[id] = continuation
                    return false
                }
                if resumeNow { continuation.resume() }
            }
        } onCancel: {
            // Only this waiter's own continuation: each is resumed exactly once, by a ring or here.
            let waiter = self.state.withLock { state in state.waiters.removeValue(forKey: id) }
            waiter?.resume()
        }
    }
}
