import Foundation

/// Copies the WAL into the database file from a connection and thread of its own, so the writer thread never
/// runs a checkpoint inside a commit. SQLite's automatic checkpoint runs in the committing connection once the WAL
/// passes 1,000 pages: every read and sign queued behind that commit waited for the checkpoint's two fsyncs
/// (measured: about 4 a second at 1,000 reads a second, 2 ms each on a quiet disk and up to 66 ms on a busy one).
/// A PASSIVE checkpoint takes no lock a writer waits for; when it finds the WAL busy it copies what it can, and
/// the writer's own automatic checkpoint stays as the backstop.
final class SQLiteCheckpointer: Sendable {
    /// Between checkpoints: short enough that the WAL rarely reaches the automatic threshold under load.
    static let interval: TimeInterval = 0.1

    private let state: State

    private init(state: State) {
        self.state = state
    }

    /// Starts the thread. Should the database not open a second time, the thread ends and the writer's automatic
    /// checkpoint does the work, as before.
    static func start(path: String) -> SQLiteCheckpointer {
        let state = State()
        let thread = Thread {
            // Opened on this thread and used only here (SQLiteConnection is not Sendable).
            guard let connection = try? SQLiteConnection(path: path, create: false) else {
                state.finished()
                return
            }
            // A checkpoint never waits for a busy writer's lock for long: it tries again at the next tick.
            try? connection.execute("PRAGMA busy_timeout = 50", "checkpointer: busy_timeout")
            while state.waitForTick(Self.interval) {
                try? connection.execute("PRAGMA wal_checkpoint(PASSIVE)", "checkpointer: checkpoint")
            }
            connection.close()
            state.finished()
        }
        thread.name = "sqlite-checkpointer"
        thread.start()
        return SQLiteCheckpointer(state: state)
    }

    /// Stops the thread and waits until its connection is closed.
    func stop() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            self.state.stop { continuation.resume() }
        }
    }

    // @unchecked Sendable: every stored property is read and written only while holding `condition`.
    private final class State: @unchecked Sendable {
        private let condition = NSCondition()
        private var stopping = false
        private var done = false
        private var waiters: [@Sendable () -> Void] = []

        /// Waits one interval (or until stopped); false once stopping.
        func waitForTick(_ interval: TimeInterval) -> Bool {
            condition.lock()
            defer { condition.unlock() }
            if !stopping { _ = condition.wait(until: Date(timeIntervalSinceNow: interval)) }
            return !stopping
        }

        func stop(_ waiter: @escaping @Sendable () -> Void) {
            condition.lock()
            stopping = true
            let alreadyDone = done
            if !alreadyDone { waiters.append(waiter) }
            condition.broadcast()
            condition.unlock()
            if alreadyDone { waiter() }
        }

        func finished() {
            condition.lock()
            done = true
            let toResume = waiters
            waiters = []
            condition.unlock()
            for waiter in toResume { waiter() }
        }
    }
}
