import CSQLite
import Foundation

/// One SQLite connection. Not `Sendable`: it is created, used and closed on the store's thread only
/// (see `SQLiteThread`).
final class SQLiteConnection {
    private var handle: OpaquePointer?
    /// Prepared statements by SQL text, idle ones only: compiling is a large part of a short statement's cost,
    /// and the store runs the same few statements over and over.
    /// One lookup per `prepare` (the slot stays in the dictionary while in use): taking a statement out and putting
    /// it back hashed every SQL text twice, a tenth of a sign's work on this thread.
    private var statements: [String: StatementSlot] = [:]
    /// What `PRAGMA synchronous` is now; the store opens with FULL.
    private var synchronousFull = true

    /// `create: false`: the file must exist. SQLite itself refuses a missing one (no `SQLITE_OPEN_CREATE`), so
    /// there is no check-then-open race, and nothing is created.
    init(path: String, create: Bool = true) throws(StoreError) {
        var db: OpaquePointer?
        // FULLMUTEX costs nothing here (one thread) and keeps SQLite safe should that ever change.
        let flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_FULLMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            // The open failed already; asking why creates nothing, so this is no check-then-create race.
            if !create, rc == SQLITE_CANTOPEN, !FileManager.default.fileExists(atPath: path) {
                sqlite3_close_v2(db)
                throw .missing(path: path)
            }
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close_v2(db)
            throw .unavailable("sqlite: cannot open database: \(message)")
        }
        handle = db
    }

    deinit { close() }

    func close() {
        guard let handle else { return }
        // Statements still in use are finalized when their user lets go (`checkIn` on a closed connection).
        for slot in statements.values where !slot.inUse { sqlite3_finalize(slot.statement) }
        statements = [:]
        sqlite3_close_v2(handle)
        self.handle = nil
    }

    /// Runs one or more statements without parameters (schema, pragmas, transaction control).
    func execute(_ sql: String, _ what: String) throws(StoreError) {
        let db = try open()
        let rc = sqlite3_exec(db, sql, nil, nil, nil)
        guard rc == SQLITE_OK else { throw failure(what, rc) }
    }

    func prepare(_ sql: String, _ what: String) throws(StoreError) -> SQLiteStatement {
        let db = try open()
        // An idle cached statement is taken out of the cache while in use, so a nested use of the same SQL
        // (a loop that prepares what an outer loop is stepping) compiles its own.
        let cached = statements[sql]
        if let cached, !cached.inUse {
            cached.inUse = true
            return SQLiteStatement(cached.statement, connection: self, what: what, slot: cached)
        }
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v2(db, sql, -1, &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw failure(what, rc) }
        // The first of this SQL is kept; a nested second one (the first is in use) is its user's alone.
        guard cached == nil else { return SQLiteStatement(statement, connection: self, what: what, slot: nil) }
        let slot = StatementSlot(statement)
        statements[sql] = slot
        return SQLiteStatement(statement, connection: self, what: what, slot: slot)
    }

    /// A statement whose user is done with it: kept, reset, for the next `prepare` of the same SQL.
    fileprivate func checkIn(_ statement: OpaquePointer, slot: StatementSlot?) {
        guard handle != nil, let slot else {
            sqlite3_finalize(statement)
            return
        }
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
        slot.inUse = false
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    var changes: Int {
        handle.map { Int(sqlite3_changes($0)) } ?? 0
    }

    /// The rowid (an `INTEGER PRIMARY KEY`) of the last row inserted; read it only when `changes` says one was.
    var lastInsertRowID: Int64 {
        handle.map { sqlite3_last_insert_rowid($0) } ?? 0
    }

    /// True while a group commit (`SQLiteThread`) holds one transaction around several jobs.
    private(set) var inGroup = false

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back when it throws. IMMEDIATE takes the write
    /// lock up front, so a read-then-write (the chain head, then the insert) can never be interleaved.
    /// Inside a group commit the same body runs in a savepoint: its failure undoes only its own writes, and
    /// its durability comes with the group's single COMMIT (the caller is answered only after it).
    func transaction<T>(_ what: String, _ body: () throws(StoreError) -> T) throws(StoreError) -> T {
        let (begin, commit, rollback) =
            self.inGroup
            ? ("SAVEPOINT job", "RELEASE job", "ROLLBACK TO job; RELEASE job")
            : ("BEGIN IMMEDIATE", "COMMIT", "ROLLBACK")
        try control(begin, what)
        do throws(StoreError) {
            let value = try body()
            try control(commit, what)
            return value
        } catch {
            try? execute(rollback, "\(what): rollback")
            throw error
        }
    }

    /// `PRAGMA synchronous` as the next commit needs it (FULL: fsynced; NORMAL: written, synced later), set only
    /// when it changes. Called between transactions, where the pragma applies.
    func synchronous(full: Bool) throws(StoreError) {
        guard full != self.synchronousFull else { return }
        try control(full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL", "synchronous")
        self.synchronousFull = full
    }

    /// Opens the transaction that several queued jobs share (one fsync for all of them).
    func beginGroup() throws(StoreError) {
        try control("BEGIN IMMEDIATE", "group commit: begin")
        self.inGroup = true
    }

    /// Commits the shared transaction; on failure rolls it back, so none of the group's writes stand.
    func commitGroup() throws(StoreError) {
        self.inGroup = false
        do throws(StoreError) {
            try control("COMMIT", "group commit: commit")
        } catch {
            try? execute("ROLLBACK", "group commit: rollback")
            throw error
        }
    }

    /// One transaction-control statement, through the statement cache: compiling BEGIN, SAVEPOINT, RELEASE and
    /// COMMIT with `sqlite3_exec` for every job cost a read's audit append about a fifth of its instructions on
    /// the SQLite thread (`bench/profile.sh callgrind`).
    private func control(_ sql: String, _ what: String) throws(StoreError) {
        try prepare(sql, what).run()
    }

    /// Names the statement and SQLite's message; SQLite messages name constraints, never bound values.
    func failure(_ what: String, _ rc: Int32) -> StoreError {
        let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
        switch rc & 0xFF {
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_CANTOPEN, SQLITE_IOERR, SQLITE_FULL:
            return .unavailable("sqlite: \(what): \(message)")
        default:
            return .failed("sqlite: \(what): \(message)")
        }
    }

    private func open() throws(StoreError) -> OpaquePointer {
        guard let handle else { throw .unavailable("sqlite: connection is closed") }
        return handle
    }
}

/// A prepared statement; handed back to its connection's cache when released. Lives only on the store's thread,
/// like its connection.
final class SQLiteStatement {
    private let statement: OpaquePointer
    private let connection: SQLiteConnection
    private let what: String
    private let slot: StatementSlot?

    fileprivate init(_ statement: OpaquePointer, connection: SQLiteConnection, what: String, slot: StatementSlot?) {
        self.statement = statement
        self.connection = connection
        self.what = what
        self.slot = slot
    }

    deinit { connection.checkIn(statement, slot: slot) }

    enum Value {
        case null
        case integer(Int64)
        case text(String)
        case blob([UInt8])
    }

    /// Binds parameters 1…n in order.
    func bind(_ values: Value...) throws(StoreError) {
        try bind(values)
    }

    func bind(_ values: [Value]) throws(StoreError) {
        for (offset, value) in values.enumerated() {
            let index = Int32(offset + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite3_bind_null(statement, index)
            case .integer(let number): rc = sqlite3_bind_int64(statement, index, number)
            case .text(let text):
                // withCString also gives a valid pointer for "" (a NULL pointer would bind SQL NULL).
                let count = Int32(text.utf8.count)
                rc = text.withCString { csqlite_bind_text(statement, index, $0, count) }
            case .blob(let bytes):
                rc = bytes.withUnsafeBytes { raw in
                    // A zero-length blob needs a non-nil pointer too, or it becomes NULL.
                    if raw.isEmpty { return sqlite3_bind_zeroblob(statement, index, 0) }
                    return csqlite_bind_blob(statement, index, raw.baseAddress, Int32(raw.count))
                }
            }
            guard rc == SQLITE_OK else { throw connection.failure("\(what): bind", rc) }
        }
    }

    /// Advances to the next row; `false` when done.
    func step() throws(StoreError) -> Bool {
        let rc = sqlite3_step(statement)
        switch rc {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw connection.failure(what, rc)
        }
    }

    /// Runs a statement that returns no rows.
    func run() throws(StoreError) {
        while try step() {}
    }

    /// Makes the statement ready to run again with new bindings (a loop reuses one prepared statement).
    func reset() {
        sqlite3_reset(statement)
        sqlite3_clear_bindings(statement)
    }

    func isNull(_ column: Int32) -> Bool { sqlite3_column_type(statement, column) == SQLITE_NULL }

    func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(statement, column) }

    func optionalInt64(_ column: Int32) -> Int64? { isNull(column) ? nil : int64(column) }

    func text(_ column: Int32) -> String {
        guard let pointer = sqlite3_column_text(statement, column) else { return "" }
        let count = Int(sqlite3_column_bytes(statement, column))
        return String(decoding: UnsafeBufferPointer(start: pointer, count: count), as: UTF8.self)
    }

    func optionalText(_ column: Int32) -> String? { isNull(column) ? nil : text(column) }

    func blob(_ column: Int32) -> [UInt8] {
        guard let pointer = sqlite3_column_blob(statement, column) else { return [] }
        let count = Int(sqlite3_column_bytes(statement, column))
        return Array(UnsafeRawBufferPointer(start: pointer, count: count))
    }
}

extension SQLiteStatement: StoredRow {
    func text(_ column: Int) -> String { self.text(Int32(column)) }
    func optionalText(_ column: Int) -> String? { self.optionalText(Int32(column)) }
    func integer(_ column: Int) -> Int64 { self.int64(Int32(column)) }
    func optionalInteger(_ column: Int) -> Int64? { self.optionalInt64(Int32(column)) }
    func bool(_ column: Int) -> Bool { self.int64(Int32(column)) != 0 }
    func bytes(_ column: Int) -> [UInt8] { self.blob(Int32(column)) }
}

/// A cached prepared statement and whether a `SQLiteStatement` is using it.
final class StatementSlot {
    let statement: OpaquePointer
    var inUse = true

    init(_ statement: OpaquePointer) {
        self.statement = statement
    }
}
