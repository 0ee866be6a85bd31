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
    static func start(path: String, name: String = "sqlite-store") async throws(StoreError) -> SQLiteThread {
        let queue = JobQueue()
        let opened: Result<Void, StoreError> = await withCheckedContinuation { continuation in
            let thread = Thread {
                let connection: SQLiteConnection
                do throws(StoreError) {
                    connection = try SQLiteConnection(path: path)
                } catch {
                    queue.close(onDrained: {})
                    queue.finish()
                    continuation.resume(returning: .failure(error))
                    return
                }
                continuation.resume(returning: .success(()))
                while let job = queue.next() { job(connection) }
                connection.close()
                queue.finish()
            }
            thread.name = name
            thread.start()
        }
        try opened.get()
        return SQLiteThread(queue: queue)
    }

    /// Runs `body` with the connection on the store thread and returns its result.
    func run<T: Sendable>(
        _ body: @escaping @Sendable (SQLiteConnection) throws(StoreError) -> T
    ) async throws(StoreError) -> T {
        let result: Result<T, StoreError> = await withCheckedContinuation { continuation in
            let accepted = queue.submit { connection in
                continuation.resume(returning: Result { () throws(StoreError) -> T in try body(connection) })
            }
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
    typealias Job = @Sendable (SQLiteConnection) -> Void

    private let condition = NSCondition()
    private var jobs: [Job] = []
    private var head = 0
    private var closed = false
    private var finished = false
    private var drainedWaiters: [@Sendable () -> Void] = []

    /// Queues a job; `false` once the queue is closed.
    func submit(_ job: @escaping Job) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard !closed else { return false }
        jobs.append(job)
        condition.signal()
        return true
    }

    /// The next job, waiting for one; `nil` when closed and drained.
    func next() -> Job? {
        condition.lock()
        defer { condition.unlock() }
        while head == jobs.count && !closed { condition.wait() }
        guard head < jobs.count else { return nil }
        let job = jobs[head]
        head += 1
        if head == jobs.count {
            jobs.removeAll(keepingCapacity: true)
            head = 0
        }
        return job
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
