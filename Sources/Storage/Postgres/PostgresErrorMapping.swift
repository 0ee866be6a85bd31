import PostgresNIO

/// Turns postgres-nio errors into `StoreError`s without leaking query values or credentials.
enum PostgresErrorMapping {
    static func storeError(_ error: any Error, what: String) -> StoreError {
        switch error {
        case let error as StoreError:
            return error
        case let error as PSQLError:
            if error.code == .server {
                let state = error.serverInfo?[.sqlState] ?? "?"
                let message = error.serverInfo?[.message] ?? "server error"
                // Class 08 is a connection exception, 57P0x an administrative shutdown, 57014 a statement cancelled
                // (`statement_timeout`) and 25P03 a transaction ended for idling: all mean "unavailable" (retry).
                if state.hasPrefix("08") || state.hasPrefix("57P") || state == "57014" || state == "25P03" {
                    return .unavailable("postgres: \(what): \(state) \(message)")
                }
                return .failed("postgres: \(what): \(state) \(message)")
            }
            return .unavailable("postgres: \(what): \(error.code)")
        case is CancellationError:
            return .unavailable("postgres: \(what): cancelled")
        default:
            return .failed("postgres: \(what): \(type(of: error))")
        }
    }
}
