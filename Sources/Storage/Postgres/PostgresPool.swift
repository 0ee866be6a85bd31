import Logging
import NIOCore
import PostgresNIO

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

    init(client: PostgresClient, logger: Logger) {
        self.client = client
        self.logger = logger
    }

    /// Leases a connection and runs `body` on its event loop.
    func withConnection<T: Sendable>(_ body: (LiveConnection) async throws -> T) async throws -> T {
        let logger = self.logger
        for _ in 0..<Self.leaseAttempts {
            let outcome = try await client.withConnection { connection in
                try await Self.onLoop(of: connection, logger: logger, body)
            }
            if case .done(let value) = outcome { return value }
        }
        throw StoreError.unavailable("postgres: every connection leased was closed")
    }

    enum Outcome<T: Sendable>: Sendable {
        case done(T)
        /// The connection was closed before anything was written to it.
        case closed
    }

    /// Runs `body` on `connection`'s event loop, unless the connection is closed already.
    static func onLoop<T: Sendable>(
        of connection: PostgresConnection, logger: Logger, isolation: isolated (any Actor)? = #isolation,
        _ body: (LiveConnection) async throws -> T
    ) async throws -> Outcome<T> {
        try await withTaskExecutorPreference(EventLoopTaskExecutor(connection.eventLoop)) {
            guard !connection.isClosed else {
                // Given back once the pool has heard of the close (it listens on the same future, from before), so
                // that the next lease is another connection.
                try? await connection.closeFuture.get()
                return .closed
            }
            return .done(try await body(LiveConnection(connection: connection, logger: logger)))
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
        _ body: (LiveConnection) async throws -> (value: T, committed: Bool)
    ) async throws -> T {
        try await withConnection { try await $0.tailTransaction(body) }
    }

    /// `body` in a transaction on a pooled connection, committed after it.
    func transaction<T: Sendable>(_ body: (LiveConnection) async throws -> T) async throws -> T {
        try await withConnection { try await $0.transaction(body) }
    }
}

/// A leased connection, used on its event loop only (`PostgresPool`): each statement is written after a check
/// there that the connection is still open.
struct LiveConnection {
    private let connection: PostgresConnection
    let logger: Logger

    fileprivate init(connection: PostgresConnection, logger: Logger) {
        self.connection = connection
        self.logger = logger
    }

    /// Runs `query`; its rows.
    @discardableResult
    func query(_ query: PostgresQuery) async throws -> [PostgresRow] {
        try self.checkOpen()
        return try await self.connection.query(query, logger: self.logger).collect()
    }

    /// Runs the prepared `Text` with `bindings`; its rows. postgres-nio prepares it on this connection the first
    /// time, under `Text.name`, and then sends only the bindings.
    @discardableResult
    func rows<Text: PreparedSQL>(_: Text.Type, _ bindings: PostgresBindings) async throws -> [PostgresRow] {
        try self.checkOpen()
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
        return self.connection.query(query, logger: self.logger)
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
        guard !self.connection.isClosed else { throw StoreError.unavailable("postgres: the connection closed") }
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
