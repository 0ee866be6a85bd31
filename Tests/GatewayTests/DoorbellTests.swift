import Synchronization
import Testing

@testable import Gateway

/// Each wait of an hour below must return by a ring (or at once), else the time limit fails the test.
@Suite struct DoorbellTests {
    final class Awake: Sendable {
        let count = Mutex(0)
    }

    @Test(.timeLimit(.minutes(1))) func aRingWakesEveryWaiter() async {
        let doorbell = Doorbell()
        let awake = Awake()
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    await doorbell.wait(since: 0, timeout: .seconds(3600))
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
        #expect(doorbell.rings == 1)
    }

    @Test(.timeLimit(.minutes(1))) func aRingWhileALoopLooksForWorkEndsItsNextWaitAtOnce() async {
        let doorbell = Doorbell()
        // A loop reads the count, then looks for work (finds none); meanwhile the work is committed and rung.
        let seen = doorbell.rings
        doorbell.ring()
        await doorbell.wait(since: seen, timeout: .seconds(3600))
        // A later reading waits for the next ring, not for that one.
        let now = doorbell.rings
        #expect(now == seen + 1)
        await doorbell.wait(since: now, timeout: .milliseconds(1))
        #expect(doorbell.waiterCount == 0)
    }

    /// Two loops on one bell (the dispatcher's loops share the deliveries' bell): the ring that wakes the one
    /// waiting is not used up for the one still looking. With a single "rung" flag it was: the busy loop then
    /// slept a whole idle period with work due.
    @Test(.timeLimit(.minutes(1))) func aRingThatWakesOneLoopIsNotLostForAnotherStillLooking() async {
        let doorbell = Doorbell()
        let busySeen = doorbell.rings
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await doorbell.wait(since: doorbell.rings, timeout: .seconds(3600)) }
            while doorbell.waiterCount < 1 { await Task.yield() }
            doorbell.ring()
            await group.waitForAll()
        }
        await doorbell.wait(since: busySeen, timeout: .seconds(3600))
    }

    @Test(.timeLimit(.minutes(1))) func aTimedOutWaitLeavesNoWaiterBehind() async {
        let doorbell = Doorbell()
        await doorbell.wait(since: doorbell.rings, timeout: .milliseconds(1))
        #expect(doorbell.waiterCount == 0)
        #expect(doorbell.rings == 0)
    }
}
