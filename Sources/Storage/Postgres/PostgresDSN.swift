import Foundation

/// A parsed `postgres://user[:password]@host[:port]/database[?sslmode=disable|prefer|require]` URL.
/// Its `description` never shows the password.
struct PostgresDSN: Sendable, Equatable, CustomStringConvertible {
    enum TLSMode: String, Sendable {
        case disable, prefer, require
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var tlsMode: TLSMode

    /// Parses `url`; a password read from `passwordFile` (trailing newlines trimmed) wins over one in the URL.
    init(url: String, passwordFile: String?) throws(StoreError) {
        guard let components = URLComponents(string: url),
            components.scheme == "postgres" || components.scheme == "postgresql",
            let host = components.host, !host.isEmpty
        else {
            // The URL itself is not repeated: it may hold a password.
            throw .unavailable("postgres: the URL is not postgres://user@host:port/database")
        }
        self.host = host
        port = components.port ?? 5432
        username = components.user ?? "postgres"
        password = components.password
        let path = components.path.hasPrefix("/") ? String(components.path.dropFirst()) : components.path
        database = path.isEmpty ? nil : path
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "disable"
        guard let mode = TLSMode(rawValue: sslmode) else {
            throw .unavailable("postgres: unsupported sslmode \(sslmode) (use disable, prefer or require)")
        }
        tlsMode = mode
        if let passwordFile {
            guard let contents = FileManager.default.contents(atPath: passwordFile) else {
                throw .unavailable("postgres: cannot read the password file \(passwordFile)")
            }
            password = String(decoding: contents, as: UTF8.self).trimmingCharacters(in: .newlines)
        }
    }

    var description: String {
        "postgres://\(username)@\(host):\(port)/\(database ?? "") (password \(password == nil ? "none" : "set"))"
    }
}
