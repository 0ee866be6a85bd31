import Foundation

/// A parsed `postgres://user[:password]@host[:port]/database[?sslmode=…&sslrootcert=…]` URL.
/// Its `description` never shows the password.
struct PostgresDSN: Sendable, Equatable, CustomStringConvertible {
    /// libpq's modes and meanings: `prefer` (the default) and `require` encrypt without checking the server's
    /// certificate, `verify-ca` checks it against the CA, `verify-full` also checks the host name.
    enum TLSMode: String, Sendable, CaseIterable {
        case disable, allow, prefer, require
        case verifyCA = "verify-ca"
        case verifyFull = "verify-full"
    }

    var host: String
    var port: Int
    var username: String
    var password: String?
    var database: String?
    var tlsMode: TLSMode
    /// `sslrootcert`: the CA file the server's certificate is checked against (else the system store).
    var rootCertificateFile: String?

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
        let sslmode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? "prefer"
        guard let mode = TLSMode(rawValue: sslmode) else {
            throw .unavailable(
                "postgres: unsupported sslmode \(sslmode) (use \(TLSMode.allCases.map(\.rawValue).joined(separator: ", ")))"
            )
        }
        tlsMode = mode
        rootCertificateFile = components.queryItems?.first { $0.name == "sslrootcert" }?.value
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
