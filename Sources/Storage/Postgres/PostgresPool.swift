import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization

/// The store's only door to PostgreSQL: every statement is written through a `LiveConnection`.
///
/// Why: postgres-nio writes a statement to its channel without a write promise. Once NIO has closed a channel and
/// removed its handlers, such a write fails with nobody told, and the caller waits forever. The pool hands out a
/// connection the server has just ended (a restart, a failover, `pg_terminate_backend`) until it hears of the close,
/// and a caller holding a connection can meet the close between two statements. (vapor/postgres-nio#487 failed the
/// statement on such a write; it was reverted in #501, and 1.33 still loses it. `StorageTests` pins both.)
///
/// So every statement is written from the connection's own event loop, right after checking there that the
/// connection is open: on its loop, "open" means the handler is still in the pipeline, the write reaches it at once,
/// and a close after that fails the statement through the handler, with an error.
struct PostgresPool: Sendable {
    /// A leased connection found closed before anything was written to it is given back and another leased, this
    /// many times in all: a whole pool ended at once (a server restart) is replaced without failing the caller.
    static let leaseAttempts = 4

    private let client: PostgresClient
    let logger: Logger
    /// How long a call waits for a connection before it is answered "unavailable". postgres-nio's pool keeps a
    /// caller waiting while it cannot connect until its circuit breaker trips, after 60 s of failed attempts (not
    /// configurable through `PostgresClient`); a caller of the gateway should hear 503 long before its own timeout.
    let leaseTimeout: Duration

    /// How long one statement may take, unless configured (`storage.postgresStatementTimeoutSeconds`).
    static let defaultStatementTimeout: Duration = .seconds(30)
    /// The server's own limit answers first (`sessionSettings`); this watch is for a server that answers nothing.
    private let watch: ConnectionWatch
    private let sweeper = LeaseSweeper()

    /// `statementTimeout` must be the one `sessionSettings` was given for the client's connections.
    init(
        client: PostgresClient, logger: Logger,
        leaseTimeout: Duration = StoreConfiguration.defaultPostgresConnectionWait,
        statementTimeout: Duration = Self.defaultStatementTimeout
    ) {
        self.client = client
        self.logger = logger
        self.leaseTimeout = leaseTimeout
        self.watch = ConnectionWatch(answerTimeout: statementTimeout + .seconds(2))
    }

    /// The session settings every connection starts with (startup parameters: no statement of their own). The
    /// server cancels a statement that runs longer than `statementTimeout` and ends a transaction left idle as long
    /// (a replica cut off mid-transaction frees its locks). A server that does not answer at all (a partition, a host
    /// gone without a reset) is met by the connection's watchdog 2 s later (`ConnectionWatch`): it closes the
    /// connection, which fails the statement; TCP alone would wait for many minutes.
    static func sessionSettings(_ statementTimeout: Duration) -> [(String, String)] {
        let milliseconds = String(statementTimeout.components.seconds * 1000)
        return [("statement_timeout", milliseconds), ("idle_in_transaction_session_timeout", milliseconds)]
    }

    /// Leases a connection, within `wait` (by default `leaseTimeout`), and runs `body` on its event loop.
    ///
    /// The pool's wait can only be ended by cancelling the task that waits, so the lease and `body` run in a task
    /// of their own, which `LeaseSweeper` cancels when no connection came in time. `LeaseDeadline` lets exactly one
    /// of them win: a body that started is never cancelled by the sweeper, so its outcome is never reported as a
    /// failure. `followingCancellation` false: the caller's cancellation does not reach them (a statement that
    /// carries other calls' work, `StatementBatcher`).
    func withConnection<T: Sendable>(
        within wait: Duration? = nil, followingCancellation: Bool = true,
        _ body: @escaping @Sendable (LiveConnection) async throws -> T
    ) async throws -> T {
        let client = self.client
        let logger = self.logger
        let watch = self.watch
        let deadline = LeaseDeadline()
        let work = Task {
            for _ in 0..<Self.leaseAttempts {
                let outcome = try await client.withConnection { connection in
                    try await Self.onLoop(of: connection, logger: logger, watch: watch, starting: deadline.start, body)
                }
                switch outcome {
                case .done(let value): return value
                case .closed: continue
                case .late: throw Self.noConnection
                }
            }
            throw StoreError.unavailable("postgres: every connection leased was closed")
        }
        let sweeper = self.sweeper
        let waiting = sweeper.add(deadline: .now() + .init(wait ?? self.leaseTimeout)) {
            if deadline.expire() { work.cancel() }
        }
        defer { sweeper.end(waiting) }
        do {
            guard followingCancellation else { return try await work.value }
            return try await withTaskCancellationHandler {
                try await work.value
            } onCancel: {
                work.cancel()
            }
        } catch {
            // Cancelled while waiting for the pool because the time was up: say so, not "cancelled".
            throw deadline.expired ? Self.noConnection : error
        }
    }

    private static let noConnection = StoreError.unavailable("postgres: no connection to the server in time")

    enum Outcome<T: Sendable>: Sendable {
        case done(T)
        /// The connection was closed before anything was written to it.
        case closed
        /// The connection came after the caller's time was up; nothing was written to it.
        case late
    }

    /// Runs `body` on `connection`'s event loop, unless the connection is closed already or `starting` says the
    /// caller's time is up.
    static func onLoop<T: Sendable>(
        of connection: PostgresConnection, logger: Logger, watch: ConnectionWatch,
        starting: @Sendable () -> Bool = { true },
        isolation: isolated (any Actor)? = #isolation, _ body: (LiveConnection) async throws -> T
    ) async throws -> Outcome<T> {
        try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) {
            guard watch.isOpen(connection) else {
                // Given back once the pool has heard of the close (it listens on the same future, from before), so
                // that the next lease is another connection.
                try? await connection.closeFuture.get()
                return .closed
            }
            guard starting() else { return .late }
            return .done(
                try await body(LiveConnection(connection: connection, logger: logger, watch: watch)))
        }
    }

    /// One statement on a pooled connection; its rows.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try await withConnection { try await $0.query(query) }
    }

    /// One prepared statement on a pooled connection; its rows.
    @discardableResult
    func rows<Text: PreparedSQL>(_ text: Text.Type, _ bindings: PostgresBindings) async throws -> [PostgresRow] {
        try await withConnection { try await $0.rows(text, bindings) }
    }

    /// `body` in a transaction on a pooled connection (`LiveConnection.tailTransaction`).
    func tailTransaction<T: Sendable>(
        _ body: @escaping @Sendable (LiveConnection) async throws -> (value: T, committed: Bool)
    ) async throws -> T {
        try await withConnection { try await $0.tailTransaction(body) }
    }

    /// `body` in a transaction on a pooled connection, committed after it.
    func transaction<T: Sendable>(_ body: @escaping @Sendable (LiveConnection) async throws -> T) async throws -> T {
        try await withConnection { try await $0.transaction(body) }
    }
}

/// A leased connection, used on its event loop only (`PostgresPool`): each statement is written after a check
/// there that the connection is still open.
struct LiveConnection {
    private let connection: PostgresConnection
    let logger: Logger
    private let watch: ConnectionWatch

    fileprivate init(connection: PostgresConnection, logger: Logger, watch: ConnectionWatch) {
        self.connection = connection
        self.logger = logger
        self.watch = watch
    }

    /// `body` on this connection with neither the server's statement limit nor the watchdog, for the migrations
    /// (a step may rewrite a large table); the limit is back afterwards.
    func withoutTimeLimit<T>(_ body: (LiveConnection) async throws -> T) async throws -> T {
        try await self.query("SET statement_timeout = 0")
        let unlimited = LiveConnection(connection: self.connection, logger: self.logger, watch: self.watch.unlimited)
        let value: T
        do {
            value = try await body(unlimited)
        } catch {
            _ = try? await self.query("RESET statement_timeout")
            throw error
        }
        try await self.query("RESET statement_timeout")
        return value
    }

    /// Runs `query`; its rows.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try self.checkOpen()
        let watchdog = self.watchdog()
        defer { watchdog?.cancel() }
        return try await self.connection.query(query, logger: self.logger).collect()
    }

    /// Runs the prepared `Text` with `bindings`; its rows. postgres-nio prepares it on this connection the first
    /// time, under `Text.name`, and then sends only the bindings.
    @discardableResult
    func rows<Text: PreparedSQL>(_: Text.Type, _ bindings: PostgresBindings) async throws -> [PostgresRow] {
        try self.checkOpen()
        let watchdog = self.watchdog()
        defer { watchdog?.cancel() }
        var rows: [PostgresRow] = []
        for try await row in try await self.connection.execute(Prepared<Text>(bindings: bindings), logger: self.logger)
        {
            rows.append(row)
        }
        return rows
    }

    /// Writes `query` now and returns its answer to come, so that two sent one after the other reach the server back
    /// to back, without a wait for the first answer in between.
    func send(_ query: PostgresQuery) throws -> EventLoopFuture<PostgresQueryResult> {
        try self.checkOpen()
        let watchdog = self.watchdog()
        let answer = self.connection.query(query, logger: self.logger)
        answer.whenComplete { _ in watchdog?.cancel() }
        return answer
    }

    private func watchdog() -> Scheduled<Void>? {
        self.watch.watchdog(self.connection)
    }

    /// BEGIN, `body`, COMMIT, except that `body` may end the transaction itself (`appendTailAndCommit`, which
    /// sends the COMMIT right behind its last statement) and then says so (`committed: true`). On an error the
    /// transaction is rolled back.
    func tailTransaction<T>(_ body: (LiveConnection) async throws -> (value: T, committed: Bool)) async throws -> T {
        try await self.query("BEGIN")
        let result: (value: T, committed: Bool)
        do {
            result = try await body(self)
        } catch {
            // When `appendTailAndCommit` failed, its COMMIT already ended the transaction (as a rollback); this
            // ROLLBACK then only draws a warning.
            _ = try? await self.query("ROLLBACK")
            throw error
        }
        if !result.committed { try await self.query("COMMIT") }
        return result.value
    }

    /// BEGIN, `body`, COMMIT.
    func transaction<T>(_ body: (LiveConnection) async throws -> T) async throws -> T {
        try await self.tailTransaction { (value: try await body($0), committed: false) }
    }

    private func checkOpen() throws {
        // Off its loop the check would race the close it is there to catch.
        self.connection.eventLoop.preconditionInEventLoop()
        guard self.watch.isOpen(self.connection) else {
            throw StoreError.unavailable("postgres: the connection closed")
        }
    }
}

/// Runs a task's jobs on one event loop, so that a `LiveConnection`'s check and write happen there, in one go.
private final class EventLoopTaskExecutor: TaskExecutor {
    private let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        self.loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// The deadlines of the calls waiting for a connection (`PostgresPool.withConnection`), swept by one timer rather
/// than a timer each. A timer scheduled from off its event loop wakes the loop, and so does its cancellation (which
/// fails the timer's promise on the loop): two wake-ups of an event loop for every statement, where each costs tens
/// of microseconds of CPU on a small VM. The sweep runs every `interval` while anyone waits (rescheduled from the
/// loop itself, which wakes nothing), so a wait is ended at most `interval` after its deadline.
final class LeaseSweeper: Sendable {
    static let interval: TimeAmount = .milliseconds(100)

    private struct Waiting {
        let deadline: NIODeadline
        let expire: @Sendable () -> Void
    }

    private struct State {
        var last: UInt64 = 0
        var waiting: [UInt64: Waiting] = [:]
        var armed = false
    }

    private let state = Mutex(State())
    private let loop: any EventLoop

    init(loop: any EventLoop = MultiThreadedEventLoopGroup.singleton.next()) {
        self.loop = loop
    }

    /// Calls `expire` once `deadline` has passed, unless `end` comes first. Returns the wait's ticket for `end`.
    func add(deadline: NIODeadline, _ expire: @escaping @Sendable () -> Void) -> UInt64 {
        let (ticket, arm) = self.state.withLock { state in
            state.last += 1
            state.waiting[state.last] = Waiting(deadline: deadline, expire: expire)
            defer { state.armed = true }
            return (state.last, !state.armed)
        }
        if arm { self.schedule() }
        return ticket
    }

    func end(_ ticket: UInt64) {
        _ = self.state.withLock { $0.waiting.removeValue(forKey: ticket) }
    }

    private func schedule() {
        self.loop.scheduleTask(in: Self.interval) { self.sweep() }
    }

    private func sweep() {
        let now = NIODeadline.now()
        let (expired, again) = self.state.withLock { state in
            let expired = state.waiting.filter { $0.value.deadline <= now }
            for ticket in expired.keys { state.waiting[ticket] = nil }
            state.armed = !state.waiting.isEmpty
            return (expired.values.map(\.expire), state.armed)
        }
        for expire in expired { expire() }
        if again { self.schedule() }
    }
}

/// Who wins between a call's lease and its timer (`PostgresPool.withConnection`): the first to move it from waiting.
private final class LeaseDeadline: Sendable {
    private static let waiting: UInt8 = 0
    private static let started: UInt8 = 1
    private static let late: UInt8 = 2
    private let state = Atomic<UInt8>(LeaseDeadline.waiting)

    /// The body may start: the time was not up.
    func start() -> Bool {
        state.compareExchange(expected: Self.waiting, desired: Self.started, ordering: .acquiringAndReleasing).exchanged
    }

    /// The time is up, and no body started.
    func expire() -> Bool {
        state.compareExchange(expected: Self.waiting, desired: Self.late, ordering: .acquiringAndReleasing).exchanged
    }

    var expired: Bool { state.load(ordering: .acquiring) == Self.late }
}

/// What the pool watches on its connections: an answer that does not come in time closes the connection, and a
/// connection so closed is not used again, even while its close is still under way (a TLS close waits for the
/// peer's close_notify, up to `PostgresStore.tlsShutdownTimeout`; postgres-nio meanwhile refuses every statement
/// with `clientClosedConnection`, yet the pool still hands the connection out).
struct ConnectionWatch: Sendable {
    /// After this long without an answer the connection is closed; nil: no limit.
    let answerTimeout: Duration?
    private let condemned: Condemned

    init(answerTimeout: Duration?) {
        self.answerTimeout = answerTimeout
        self.condemned = Condemned()
    }

    private init(answerTimeout: Duration?, condemned: Condemned) {
        self.answerTimeout = answerTimeout
        self.condemned = condemned
    }

    /// The same watch without the time limit.
    var unlimited: ConnectionWatch { ConnectionWatch(answerTimeout: nil, condemned: self.condemned) }

    /// Open and not condemned. On the connection's loop, so no close can start between this and a write.
    func isOpen(_ connection: PostgresConnection) -> Bool {
        !connection.isClosed && !self.condemned.contains(connection)
    }

    /// Closes `connection` if no answer comes within `answerTimeout`; the close fails the statements on it.
    func watchdog(_ connection: PostgresConnection) -> Scheduled<Void>? {
        guard let answerTimeout else { return nil }
        let condemned = self.condemned
        return connection.eventLoop.scheduleTask(in: .init(answerTimeout)) {
            condemned.insert(connection)
            _ = connection.close() as EventLoopFuture<Void>
        }
    }

    /// The connections a watchdog closed, until their close completes.
    private final class Condemned: Sendable {
        private let ids = Mutex<Set<ObjectIdentifier>>([])

        func insert(_ connection: PostgresConnection) {
            let id = ObjectIdentifier(connection)
            guard ids.withLock({ $0.insert(id).inserted }) else { return }
            connection.closeFuture.whenComplete { _ in _ = self.ids.withLock { $0.remove(id) } }
        }

        func contains(_ connection: PostgresConnection) -> Bool {
            ids.withLock { $0.contains(ObjectIdentifier(connection)) }
        }
    }
}
