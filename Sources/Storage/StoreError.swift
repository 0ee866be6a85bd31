/// Why a store call failed. Messages name the statement or the condition, never a stored value.
package enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database could not be reached or opened.
    case unavailable(String)
    /// A store opened with `StoreConfiguration.mustExist` does not exist (the SQLite file's path); nothing was made.
    case missing(path: String)
    /// A statement failed; the message names the statement, never a value.
    case failed(String)
    /// `complete`/`release` for a key that is not in flight (a bug, or the key was pruned).
    case notInFlight
    /// A create whose id exists.
    case conflict

    package var description: String {
        switch self {
        case .unavailable(let why): return "store unavailable: \(why)"
        case .missing(let path): return "store missing: \(path) does not exist"
        case .failed(let why): return "store failure: \(why)"
        case .notInFlight: return "idempotency key is not in flight"
        case .conflict: return "the id already exists"
        }
    }
}

// MARK: - Idempotency values
