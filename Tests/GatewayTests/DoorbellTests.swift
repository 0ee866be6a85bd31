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
        // Three waiters of an hour each, all registered, then one ring: it must wake all three (else the time
        // limit fails the test).
        let awake = Awake()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await doorbell.wait(timeout: .seconds(3600))
                    awake.count.withLock { $0 += 1 }
                }
            }
            group.addTask {
                while doorbell.waiterCount < 3 { await Task.yield() }
                doorbell.ring()
            }
            await group.waitForAll()
        }
        #expect(awake.count.withLock { $0 } == 3)
    }

    @Test(.timeLimit(.minutes(1))) func aTimedOutWaitLeavesNoWaiterBehind() async {
        let doorbell = Doorbell()
        await doorbell.wait(timeout: .milliseconds(1))
        #expect(doorbell.waiterCount == 0)
        // The timed-out wait's continuation was resumed by its cancellation; a ring now has nobody to wake and is
        // kept, so this wait returns at once.
        doorbell.ring()
        await doorbell.wait(timeout: .seconds(3600))
    }
}
