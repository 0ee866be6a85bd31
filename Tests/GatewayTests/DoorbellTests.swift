import Synchronization
import Testing

@testable import Gateway

@Suite struct DoorbellTests {
    final class Awake: Sendable {
        let count = Mutex(0)
    }

    @Test(.timeLimit(.minutes(1))) func aRingWakesEveryWaiterAndIsKeptWhenNobodyWaits() async {
        let doorbell = Doorbell()
        // Kept: the next wait returns at once instead of after an hour.
        doorbell.ring()
        await doorbell.wait(timeout: .seconds(3600))
        // Three waiters of an hour each; rings until all three are awake (a waiter that registers after a ring
        // is woken by the next one).
        let awake = Awake()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await doorbell.wait(timeout: .seconds(3600))
                    awake.count.withLock { $0 += 1 }
                }
            }
            group.addTask {
                while awake.count.withLock({ $0 }) < 3 {
                    doorbell.ring()
                    await Task.yield()
                }
            }
            await group.waitForAll()
        }
        #expect(awake.count.withLock { $0 } == 3)
    }

    @Test(.timeLimit(.minutes(1))) func aTimedOutWaitLeavesNoWaiterBehind() async {
        let doorbell = Doorbell()
        await doorbell.wait(timeout: .milliseconds(1))
        // The timed-out wait's continuation was resumed by its cancellation; a ring now has nobody to wake and is
        // kept, so this wait returns at once.
        doorbell.ring()
        await doorbell.wait(timeout: .seconds(3600))
    }
}
