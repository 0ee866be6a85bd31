import PostgresNIO

/// The statements every sign runs, prepared: the server parses and plans each once per connection instead of once
/// per call (postgres-nio prepares a statement on a connection the first time it runs there, under `name`, and
/// then sends only its bindings). An unnamed statement's parse and plan were most of the server's CPU for these
/// short statements.
///
/// Behind a pooler, named statements need session pooling or PgBouncer 1.21+ with `max_prepared_statements`.
protocol PreparedSQL: SendableMetatype {
    /// At most 63 bytes (PostgreSQL truncates longer names, so two could collide), unique among the statements.
    static var name: String { get }
    static var sql: String { get }
}

/// `Text` as postgres-nio's prepared statement, with its bindings; rows come back undecoded.
struct Prepared<Text: PreparedSQL>: PostgresPreparedStatement {
    typealias Row = PostgresRow

    static var name: String { Text.name }
    static var sql: String { Text.sql }

    let bindings: PostgresBindings

    func makeBindings() -> PostgresBindings { self.bindings }
    func decodeRow(_ row: PostgresRow) -> PostgresRow { row }
}
