import NIOCore
import Synchronization
import Testing

@testable import Storage

/// The one timer that ends the waits for a PostgreSQL connection (`PostgresPool.withConnection`).
@Suite struct LeaseSweeperTests {
    @Test func aWaitPastItsDeadlineIsEndedOnceAndAWaitEndedInTimeNever() async throws {
        let sweeper = LeaseSweeper()
        let ended = Mutex<[String]>([])
        let past = NIODeadline.now() - .seconds(1)
        // Both deadlines have passed: the first sweep would expire both, unless the first wait is over by then.
        let over = sweeper.add(deadline: past) { ended.withLock { $0.append("over") } }
        sweeper.end(over)
        await withCheckedContinuation { (expired: CheckedContinuation<Void, Never>) in
            _ = sweeper.add(deadline: past) {
                ended.withLock { $0.append("late") }
                expired.resume()
            }
        }
        let waitsLater = sweeper.add(deadline: .now() + .seconds(3600)) { ended.withLock { $0.append("later") } }
        // The sweeps go on while a wait is left; another past deadline is swept with it still there.
        await withCheckedContinuation { (expired: CheckedContinuation<Void, Never>) in
            _ = sweeper.add(deadline: past) { expired.resume() }
        }
        sweeper.end(waitsLater)
        #expect(ended.withLock { $0 } == ["late"])
    }
}
