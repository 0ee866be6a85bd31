import Foundation
import Logging
import NIOCore
import NIOPosix
import PostgresNIO
import Synchronization
import Testing

@testable import Storage

/// Connections the server ends (a restart, a failover, `pg_terminate_backend`): a statement then fails, with a
/// retryable error, or goes to another connection; it never waits forever. See `PostgresPool` for the cause.
@Suite("PostgreSQL connections the server ends", .timeLimit(.minutes(1)))
struct PostgresConnectionLossTests {
    @Test("postgres-nio: a statement written to a connection whose close completed is never answered")
    func libraryLosesTheStatement() async throws {
        let (_, connection) = try await Self.endedConnection()
        let answered = Flag()
        // Written from this task: postgres-nio hands the write to the event loop, which finds no handler any more.
        connection.query("SELECT 1", logger: Harness.logger).whenComplete { _ in answered.set() }
        // Runs after that write on the same loop; a failed write would have completed the query by then.
        try await connection.eventLoop.submit {}.get()
        #expect(!answered.isSet, "postgres-nio now answers it: PostgresPool's check may no longer be needed")
    }

    @Test("a connection found closed before anything is written to it is not used")
    func closedBeforeUse() async throws {
        let (_, connection) = try await Self.endedConnection()
        let outcome = try await PostgresPool.onLoop(
            of: connection, logger: Harness.logger, watch: ConnectionWatch(answerTimeout: nil)
        ) { _ in
            Issue.record("the body ran on a closed connection")
            return 0
        }
        guard case .closed = outcome else {
            Issue.record("expected .closed, got \(outcome)")
            return
        }
    }

    @Test("a statement on a connection that closed while it was held fails at once, as unavailable")
    func closedWhileHeld() async throws {
        let url = try await Harness.freshPostgresDatabase()
        let connection = try await Self.connect(url)
        let outcome = try await PostgresPool.onLoop(
            of: connection, logger: Harness.logger, watch: ConnectionWatch(answerTimeout: nil)
        ) { live in
            let pid = try #require(try await live.query("SELECT pg_backend_pid()").first?.decode(Int32.self))
            try await Harness.postgresRaw(url: url, ["SELECT pg_terminate_backend(\(pid))"])
            try? await connection.closeFuture.get()
            do {
                try await live.query("SELECT 1")
                Issue.record("a statement on a closed connection answered")
            } catch let error as StoreError {
                guard case .unavailable = error else {
                    Issue.record("expected unavailable, got \(error)")
                    return 0
                }
            }
            return 1
        }
        guard case .done(1) = outcome else {
            Issue.record("expected the body to run, got \(outcome)")
            return
        }
    }

    @Test("connections the server ends are replaced, and the new ones prepare their statements again")
    func serverEndsPooledConnections() async throws {
        try await withHarness(.postgres) { harness in
            let leases = try #require(harness.store as? any InstanceWriteLeases)
            let now = Date()
            // Prepared on the pool's connections, then every one of them ended by the server.
            let held = try #require(
                try await leases.acquireWriteLease(instance: "i1", owner: "A", now: now, until: now + 60))
            #expect(try await harness.store.beginIdempotent(claim("before")) == .acquired)
            try await Self.terminateOthers(harness)
            // A call may still meet a connection whose end has not reached the gateway yet: it fails as unavailable
            // (a 503 the caller may retry), and the next call takes another connection.
            var acquired: IdempotencyBegin?
            for _ in 0..<20 where acquired == nil {
                do {
                    acquired = try await harness.store.beginIdempotent(claim("after"))
                } catch {
                    Self.expectUnavailable(error)
                }
            }
            #expect(acquired == .acquired)
            #expect(try await leases.acquireWriteLease(instance: "i1", owner: "B", now: now, until: now + 60) == nil)
            try await leases.releaseWriteLease(held)
            #expect(try await leases.acquireWriteLease(instance: "i1", owner: "B", now: now, until: now + 60) != nil)
        }
    }

    @Test("under load, with the server ending every connection again and again, every call returns")
    func endedUnderLoad() async throws {
        try await withHarness(.postgres) { harness in
            let store = harness.store
            let workers = 8
            let callsEach = 40
            let (acquired, unavailable) = try await withThrowingTaskGroup(of: (Int, Int).self) { group in
                for worker in 0..<workers {
                    group.addTask {
                        var counts = (acquired: 0, unavailable: 0)
                        for call in 0..<callsEach {
                            do {
                                let begun = try await store.beginIdempotent(claim("w\(worker)-\(call)"))
                                #expect(begun == .acquired)
                                counts.acquired += 1
                            } catch {
                                Self.expectUnavailable(error)
                                counts.unavailable += 1
                            }
                        }
                        return counts
                    }
                }
                group.addTask {
                    for _ in 0..<10 { try await Self.terminateOthers(harness) }
                    return (0, 0)
                }
                return try await group.reduce((0, 0)) { ($0.0 + $1.0, $0.1 + $1.1) }
            }
            #expect(acquired + unavailable == workers * callsEach)
            #expect(acquired > 0)
            // Afterwards the pool serves again without failures.
            #expect(try await store.beginIdempotent(claim("after")) == .acquired)
        }
    }

    @Test("with no server to connect to, a call is answered unavailable when the lease time is up")
    func noServer() async throws {
        // A port nothing listens on: every connection attempt is refused, and postgres-nio's pool would keep the
        // caller waiting for 60 s (its circuit breaker) and then say ConnectionPoolError.
        let port = try await Self.closedPort()
        let client = PostgresClient(
            configuration: .init(
                host: "127.0.0.1", port: port, username: "nobody", password: nil, database: nil, tls: .disable),
            backgroundLogger: Harness.logger)
        let run = Task { await client.run() }
        defer { run.cancel() }
        let pool = PostgresPool(client: client, logger: Harness.logger, leaseTimeout: .milliseconds(300))
        await #expect(throws: StoreError.unavailable("postgres: no connection to the server in time")) {
            try await pool.query("SELECT 1")
        }
        // A store opened on it fails the same way (after `PostgresStore.startupWait`), so start-up does not hang.
        await #expect(throws: StoreError.unavailable("postgres: no connection to the server in time")) {
            _ = try await PostgresStore.open(
                url: "postgres://nobody@127.0.0.1:\(port)/none", passwordFile: nil, logger: Harness.logger)
        }
    }

    @Test("a server that stops answering (a partition) fails the call once its time is up, and the pool recovers")
    func silentServer() async throws {
        let (store, proxy) = try await Self.storeBehindProxy()
        #expect(try await store.beginIdempotent(claim("before")) == .acquired)

        proxy.mode = .silent
        // Nothing reaches the server and nothing comes back: the watchdog closes the connection.
        do {
            let begun = try await store.beginIdempotent(claim("during"))
            Issue.record("a call through a silent network answered: \(begun)")
        } catch {
            Self.expectUnavailable(error)
        }

        proxy.mode = .open
        // The closed connection is not handed out again while its TLS close is under way: the next call takes a new
        // one, and succeeds.
        #expect(try await store.beginIdempotent(claim("after")) == .acquired)
        await store.close()
        try await proxy.close()
    }

    @Test(
        "an answer lost after the server committed: the call fails as unavailable, and its retry replays what was kept")
    func answerLostAfterCommit() async throws {
        let (store, proxy) = try await Self.storeBehindProxy()
        let response = StoredResponse(status: 200, contentType: "application/json", body: Array(#"{"ok":true}"#.utf8))
        // One whole call first: the completion's statement is then prepared on the connection, and is sent whole
        // (unprepared, its Parse would wait for an answer that never comes, and nothing would be done at all).
        #expect(try await store.beginIdempotent(claim("warm")) == .acquired)
        _ = try await store.completeIdempotent(
            IdempotencyScope(clientId: "erp", key: "warm"), response: response, audit: entry(0), outbox: nil)
        #expect(try await store.beginIdempotent(claim("k")) == .acquired)
        let now = Date()
        let lease = try #require(
            try await store.acquireWriteLease(instance: "i1", owner: "A", now: now, until: now + 60))

        // The completion reaches the server and commits, its write lease given back with it; its answer never comes
        // back. The caller hears unavailable after one wait for the answer, not two.
        proxy.mode = .answersLost
        let started = ContinuousClock.now
        do {
            _ = try await store.completeIdempotent(
                IdempotencyScope(clientId: "erp", key: "k"), response: response, audit: entry(1), outbox: nil,
                givingBack: lease)
            Issue.record("a completion whose answer was lost reported success")
        } catch {
            Self.expectUnavailable(error)
        }
        #expect(ContinuousClock.now - started < .seconds(5), "answered after \(ContinuousClock.now - started)")

        proxy.mode = .open
        // The caller's retry with the same key gets the kept answer: nothing is done twice, nothing is lost.
        let retried = try await store.beginIdempotent(claim("k"))
        #expect(retried == .replay(response), "the retry found \(retried)")
        #expect(try await allRecords(store).map(\.entry) == [entry(0), entry(1)])
        // The lease went with the commit: another replica takes it at once.
        #expect(try await store.acquireWriteLease(instance: "i1", owner: "B", now: now, until: now + 60) != nil)
        await store.close()
        try await proxy.close()
    }

    @Test(
        "a batch's answer lost after the server committed: each of its calls fails as unavailable, each retry replays")
    func batchAnswerLostAfterCommit() async throws {
        let (store, proxy) = try await Self.storeBehindProxy()
        let response = StoredResponse(status: 200, contentType: "application/json", body: Array(#"{"ok":true}"#.utf8))
        let now = Date()
        /// Claims the keys and takes the leases; the completions to send as one batch.
        func calls(_ keys: [String]) async throws -> [PostgresStore.PendingFinish] {
            var items: [PostgresStore.PendingFinish] = []
            for (number, key) in keys.enumerated() {
                #expect(try await store.beginIdempotent(claim(key)) == .acquired)
                let lease = try #require(
                    try await store.acquireWriteLease(instance: "i-\(key)", owner: "A", now: now, until: now + 60))
                let write = OutboxWrite(instance: "i-\(key)") { _ in
                    InstanceUpdate(tracked: tracked("i-\(key)"), events: [event("e-\(key)", instance: "i-\(key)")])
                }
                items.append(
                    try #require(
                        PostgresStore.PendingFinish(
                            IdempotencyScope(clientId: "erp", key: key), .keep(response),
                            audit: entry(number, key: key),
                            outbox: write, lease: lease)))
            }
            return items
        }
        // One whole batch first, so that its statement is prepared on the connection and is later sent whole.
        let warm = await PostgresStore.finishBatch(try await calls(["w1", "w2"]), on: store.pool)
        #expect(warm.allSatisfy { if case .finished(.done) = $0 { true } else { false } })

        // The batch reaches the server and commits, the leases given back with it; its answer never comes back.
        let items = try await calls(["k1", "k2"])
        proxy.mode = .answersLost
        let lost = await PostgresStore.finishBatch(items, on: store.pool)
        for answer in lost {
            guard case .failed(.unavailable) = answer else {
                Issue.record("a call of a batch whose answer was lost: \(answer)")
                continue
            }
        }

        proxy.mode = .open
        for key in ["k1", "k2"] {
            #expect(try await store.beginIdempotent(claim(key)) == .replay(response), "\(key) was kept")
            #expect(
                try await store.acquireWriteLease(instance: "i-\(key)", owner: "B", now: now, until: now + 60) != nil,
                "\(key)'s lease went with the commit")
        }
        #expect(try await store.events(after: 0, limit: 10).map(\.event.id) == ["e-w1", "e-w2", "e-k1", "e-k2"])
        #expect(try await allRecords(store).count == 4)
        await store.close()
        try await proxy.close()
    }

    @Test(
        "a claim that took its instance's write lease, its answer lost: the retry is told the key is in flight, and the lease keeps other replicas out until it expires"
    )
    func claimWithLeaseAnswerLost() async throws {
        let (store, proxy) = try await Self.storeBehindProxy()
        let now = fixedTime()
        let request = WriteLeaseRequest(instance: "i1", owner: "A", until: fixedTime(60))
        // One whole claim first, so that the statement is prepared on the connection and is later sent whole.
        let warm = try await store.beginIdempotent(claim("warm"), takingWriteLease: request)
        #expect(warm.0 == .acquired && warm.1 != nil)
        try await store.releaseWriteLease(try #require(warm.1))

        // The claim and its lease commit; the answer never comes back.
        proxy.mode = .answersLost
        do {
            let begun = try await store.beginIdempotent(claim("k"), takingWriteLease: request)
            Issue.record("a claim whose answer was lost reported \(begun)")
        } catch {
            Self.expectUnavailable(error)
        }

        proxy.mode = .open
        // Never sent blindly again: the retry finds the key in flight.
        #expect(try await store.beginIdempotent(claim("k")) == .inFlight)
        // The lease is this owner's until it expires: other replicas wait, this process's next writer takes it over.
        #expect(try await store.acquireWriteLease(instance: "i1", owner: "B", now: now, until: fixedTime(60)) == nil)
        #expect(try await store.acquireWriteLease(instance: "i1", owner: "A", now: now, until: fixedTime(60)) != nil)
        #expect(
            try await store.acquireWriteLease(instance: "i1", owner: "B", now: fixedTime(61), until: fixedTime(120))
                != nil)
        await store.close()
        try await proxy.close()
    }

    @Test("a statement longer than the limit is cancelled by the server, as unavailable, and the connection serves on")
    func statementTimeout() async throws {
        let url = try await Harness.freshPostgresDatabase()
        let store = try await PostgresStore.open(
            url: url, passwordFile: nil, maximumConnections: 1, statementTimeout: .seconds(1), logger: Harness.logger)
        do {
            try await store.pool.query("SELECT pg_sleep(5)")
            Issue.record("a statement longer than the limit completed")
        } catch {
            let mapped = PostgresErrorMapping.storeError(error, what: "sleep")
            #expect("\(mapped)".contains("57014"), "the server's own cancel, not the watchdog: \(mapped)")
            Self.expectUnavailable(mapped)
        }
        let settings = try await store.pool.query(
            "SELECT current_setting('statement_timeout'), current_setting('idle_in_transaction_session_timeout')")
        let row = try #require(settings.first).makeRandomAccess()
        #expect(try row[0].decode(String.self) == "1s")
        #expect(try row[1].decode(String.self) == "1s")
        await store.close()
    }

    // MARK: Helpers

    /// A loopback port that was free a moment ago, with nothing listening on it.
    private static func closedPort() async throws -> Int {
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(channel.localAddress?.port)
        try await channel.close()
        return port
    }

    /// A store on a fresh, migrated database, through a proxy the test can make drop bytes; statements limited to
    /// 1 s, and one connection, so that every call uses the one the previous call prepared its statements on.
    private static func storeBehindProxy() async throws -> (PostgresStore, SilentableProxy) {
        let url = try await Harness.freshPostgresDatabase()
        // Migrated first under the default limits: the 1 s limit ends a transaction idle for 1 s, which the
        // migration's can be between its statements on a loaded machine (seen beside four busy loops: 25P03).
        let setup = try await PostgresStore.open(
            url: url, passwordFile: nil, maximumConnections: 1, logger: Harness.logger)
        do { try await setup.migrate() } catch {
            await setup.close()
            throw error
        }
        await setup.close()
        let dsn = try PostgresDSN(url: url, passwordFile: nil)
        let proxy = try await SilentableProxy.start(to: try SocketAddress(ipAddress: dsn.host, port: dsn.port))
        var components = try #require(URLComponents(string: url))
        components.port = proxy.port
        let store = try await PostgresStore.open(
            url: try #require(components.string), passwordFile: nil, maximumConnections: 1,
            statementTimeout: .seconds(1), logger: Harness.logger)
        return (store, proxy)
    }

    private static func connect(_ url: String) async throws -> PostgresConnection {
        let dsn = try PostgresDSN(url: url, passwordFile: nil)
        return try await PostgresConnection.connect(
            configuration: .init(
                host: dsn.host, port: dsn.port, username: dsn.username, password: dsn.password,
                database: dsn.database, tls: .disable),
            id: 1, logger: Harness.logger)
    }

    /// A connection the server ended, once its close has completed on the gateway's side (handlers removed).
    private static func endedConnection() async throws -> (url: String, connection: PostgresConnection) {
        let url = try await Harness.freshPostgresDatabase()
        let connection = try await connect(url)
        let pid = try #require(
            try await connection.query("SELECT pg_backend_pid()", logger: Harness.logger).collect().first?
                .decode(Int32.self))
        try await Harness.postgresRaw(url: url, ["SELECT pg_terminate_backend(\(pid))"])
        try? await connection.closeFuture.get()
        return (url, connection)
    }

    /// Ends every connection to the harness's database but the one asking.
    private static func terminateOthers(_ harness: Harness) async throws {
        try await harness.raw(
            """
            SELECT pg_terminate_backend(pid) FROM pg_stat_activity
            WHERE datname = current_database() AND pid <> pg_backend_pid()
            """)
    }

    private static func expectUnavailable(_ error: any Error) {
        guard case .unavailable = error as? StoreError else {
            Issue.record("expected a StoreError.unavailable, got \(error)")
            return
        }
    }
}

private final class Flag: Sendable {
    private let value = Mutex(false)
    var isSet: Bool { value.withLock { $0 } }
    func set() { value.withLock { $0 = true } }
}

/// A TCP proxy to one address that can drop bytes while connections stay open: both ways (`silent`, as across a
/// partition or to a host that vanished without a reset) or only the server's (`answersLost`: what the client sends
/// is done, and it never hears so).
private final class SilentableProxy: Sendable {
    enum Mode: UInt8 {
        case open, silent, answersLost
    }

    private let state = Atomic<UInt8>(Mode.open.rawValue)
    private let server: any Channel
    var port: Int { server.localAddress?.port ?? 0 }
    var mode: Mode {
        get { Mode(rawValue: state.load(ordering: .acquiring)) ?? .open }
        set { state.store(newValue.rawValue, ordering: .releasing) }
    }

    private init(server: any Channel) {
        self.server = server
    }

    static func start(to target: SocketAddress) async throws -> SilentableProxy {
        let box = Mutex<SilentableProxy?>(nil)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelOption(.autoRead, value: false)
            .childChannelInitializer { inbound in
                ClientBootstrap(group: inbound.eventLoop).connect(to: target).flatMapThrowing { outbound in
                    guard let proxy = box.withLock({ $0 }) else { throw ChannelError.ioOnClosedChannel }
                    try inbound.pipeline.syncOperations.addHandler(Forward(to: outbound, proxy, fromServer: false))
                    try outbound.pipeline.syncOperations.addHandler(Forward(to: inbound, proxy, fromServer: true))
                }
            }
            .bind(host: "127.0.0.1", port: 0).get()
        let proxy = SilentableProxy(server: server)
        box.withLock { $0 = proxy }
        return proxy
    }

    func close() async throws {
        try await server.close()
    }

    private final class Forward: ChannelInboundHandler {
        typealias InboundIn = ByteBuffer
        private let peer: any Channel
        private let proxy: SilentableProxy
        private let fromServer: Bool

        init(to peer: any Channel, _ proxy: SilentableProxy, fromServer: Bool) {
            self.peer = peer
            self.proxy = proxy
            self.fromServer = fromServer
        }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            switch proxy.mode {
            case .open: break
            case .silent: return
            case .answersLost: if fromServer { return }
            }
            peer.writeAndFlush(Self.unwrapInboundIn(data), promise: nil)
        }

        // The accepted side reads only once the server side is connected (its autoRead is off until then).
        func channelActive(context: ChannelHandlerContext) {
            context.read()
            context.fireChannelActive()
        }

        func channelReadComplete(context: ChannelHandlerContext) {
            context.read()
        }

        func channelInactive(context: ChannelHandlerContext) {
            peer.close(promise: nil)
        }
    }
}
