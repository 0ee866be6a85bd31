import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// One serving process per SQLite file. Idempotency keys and the one-write-per-instance order hold across the
/// threads of one process only (SQLite has no leases across processes), so a second gateway on the same file —
/// another pod on a shared volume, a second unit, a stray `serve` — could sign twice. It is refused at start.
///
/// An exclusive flock(2) on `<file>.serve-lock`, held for as long as the store is open. The kernel drops it when
/// the process dies, so a crashed gateway never leaves a stale lock behind. Tools that only read (`audit verify`)
/// do not take it.
final class SQLiteServeLock: Sendable {
    /// -1 once released, so a second release never closes a descriptor number reused since.
    private let descriptor: Mutex<Int32>

    private init(descriptor: Int32) {
        self.descriptor = Mutex(descriptor)
    }

    static func acquire(databasePath: String) throws(StoreError) -> SQLiteServeLock {
        let path = databasePath + ".serve-lock"
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw .unavailable("sqlite: cannot open the lock file \(path)") }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let busy = errno == EWOULDBLOCK
            close(descriptor)
            throw .unavailable(
                busy
                    ? "sqlite: another gateway process serves \(databasePath); one SQLite file serves one process (use PostgreSQL for replicas)"
                    : "sqlite: cannot lock \(path)")
        }
        return SQLiteServeLock(descriptor: descriptor)
    }

    /// Closing the descriptor releases the lock. Idempotent.
    func release() {
        self.descriptor.withLock { descriptor in
            if descriptor >= 0 { close(descriptor) }
            descriptor = -1
        }
    }
}
