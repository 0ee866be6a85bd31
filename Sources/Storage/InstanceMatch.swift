/// How a list names one instance: by its key `{org}/{app}/instances/{partyId}/{guid}`, or by `{partyId}/{guid}`
/// alone, the form signs use (an instance GUID is unique, so the key's suffix names it as well).
package enum InstanceMatch: Sendable, Equatable {
    case key(String)
    case partyAndGuid(String)

    /// The condition on an `instance` column, for either engine's SQL, with `?` for the value. The suffix form is
    /// a `LIKE` whose value holds only digits, hex, `-` and `/` (no wildcard of its own); it cannot use the
    /// column's index, so the key form stays the fast one.
    var condition: (sql: String, value: String) {
        switch self {
        case .key(let key): return ("instance = ?", key)
        case .partyAndGuid(let suffix): return ("instance LIKE ?", "%/instances/\(suffix)")
        }
    }
}
