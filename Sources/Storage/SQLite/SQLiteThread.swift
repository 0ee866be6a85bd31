import Foundation

/// A dedicated OS thread that owns one SQLite connection and runs jobs on it one at a time, in order.
/// SQLite calls block (fsync with `synchronous=FULL`, busy waits); running them here keeps them off Swift's
/// cooperative pool, and serializing them gives the connection a single owner without locks of our own.
final class SQLiteThread: Sendable {
    private let queue: JobQueue

    private init(queue: JobQueue) {
        self.queue = queue
    }

    /// Starts the thread and opens the database on it.
    static func start(path: String, create: Bool = true, name: String = "sqlite-store") async throws(StoreError)
        -> SQLiteThread
    {
        let queue = JobQueue()
        let opened: Result<Void, StoreError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                let connection: SQLiteConnection
                do throws(StoreError) {
                    connection = try SQLiteConnection(path: path, create: create)
                } catch {
                    queue.close(onDrained: {})
                    queue.finish()
                    continuation.resume(returning: .failure(error))
                    return
                }
                continuation.resume(returning: .success(()))
                while let batch = queue.nextBatch() { Self.runGroup(batch, on: connection) }
                connection.close()
                queue.finish()
            }
            thread.name = name
            thread.start()
        }
        try opened.get()
        return SQLiteThread(queue: queue)
    }

    /// Group commit: every job queued while the previous group was busy runs in one transaction, and their
    /// callers are answered after its single COMMIT (one fsync for all). Each job's own transaction becomes a
    /// savepoint, so one job's failure does not undo another's. A lone job runs as before.
    ///
    /// The group's COMMIT is fsynced (`synchronous=FULL`) when any of its jobs needs `.synced`; a group of
    /// `.written` jobs only is committed with `synchronous=NORMAL` (in WAL mode: written, not fsynced; the next
    /// FULL commit or checkpoint syncs it).
    private static func runGroup(_ batch: [JobQueue.Job], on connection: SQLiteConnection) {
        do throws(StoreError) {
            try connection.synchronous(full: batch.contains { $0.durability == .synced })
        } catch {
            // Never a weaker commit than asked for: the jobs fail unrun.
            for job in batch { job.fail(error) }
            return
        }
        guard batch.count > 1 else {
            batch.first?.work(connection)(nil)
            return
        }
        do throws(StoreError) {
            try connection.beginGroup()
        } catch {
            for job in batch { job.work(connection)(nil) }  // fall back: one transaction each
            return
        }
        let answers = batch.map { $0.work(connection) }
        var failure: StoreError?
        do throws(StoreError) {
            try connection.commitGroup()
        } catch {
            failure = error
        }
        for answer in answers { answer(failure) }
    }

    /// Runs `body` with the connection on the store thread and returns its result once it is as durable as asked.
    func run<T: Sendable>(
        _ durability: Durability = .synced,
        _ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> T
    ) async throws(StoreError) -> T {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            let accepted = queue.submit(
                durability,
                work: { connection in
                    let result = Result { () throws(StoreError) -> T in try body(connection) }
                    // Answered only after the group's COMMIT; a failed COMMIT fails every job of the group.
                    return { commitFailure in
                        continuation.resume(returning: commitFailure.map { .failure($0) } ?? result)
                    }
                },
                fail: { continuation.resume(returning: .failure($0)) })
            if !accepted { continuation.resume(returning: .failure(.unavailable("sqlite: store is closed"))) }
        }
        return try result.get()
    }

    /// Lets queued jobs finish, closes the connection and ends the thread. Idempotent.
    func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.close(onDrained: { continuation.resume() })
        }
    }
}

/// The thread's job queue.
// @unchecked Sendable: every stored property is read and written only while holding `condition`.
private final class JobQueue: @unchecked Sendable {
    struct Job: Sendable {
        var durability: Durability
        /// Runs on the connection and returns how to answer its caller once the group's outcome is known.
        var work: @Sendable (SQLiteConnection) -> (StoreError?) -> Void
        /// Answers its caller without running `work`.
        var fail: @Sendable (StoreError) -> Void
    }

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var closed = false
    private var finished = false
    private var drainedWaiters: [@Sendable () -> Void] = []

    /// Queues a job; `false` once the queue is closed.
    func submit(
        _ durability: Durability,
        work: @escaping @Sendable (SQLiteConnection) -> (StoreError?) -> Void,
        fail: @escaping @Sendable (StoreError) -> Void
    ) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        jobs.append(Job(durability: durability, work: work, fail: fail))
        condition.signal()
        return true
    }

    /// Every queued job (at most `limit`), waiting for one; `nil` when closed and drained.
    func nextBatch(limit: Int = 256) -> [Job]? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !closed { condition.wait() }
        guard head < jobs.count else { return nil }
        let end = min(jobs.count, head + limit)
        let batch = Array(jobs[head..<end])
        head = end
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return batch
    }

    func close(onDrained waiter: @escaping @Sendable () -> Void) {
        condition.lock()
        closed = true
        let alreadyFinished = finished
        if !alreadyFinished { drainedWaiters.append(waiter) }
        condition.signal()
        condition.unlock()
        if alreadyFinished { waiter() }
    }

    /// Called by the thread once it has closed the connection.
    func finish() {
        condition.lock()
        finished = true
        let waiters = drainedWaiters
        drainedWaiters = []
        condition.unlock()
        for waiter in waiters { waiter() }
    }
}
