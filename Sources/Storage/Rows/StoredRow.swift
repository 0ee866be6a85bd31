import Foundation

/// One result row, read by column position with the types the gateway stores. Both engines conform (a SQLite
/// statement on its current row, a PostgreSQL row), so each table's row decoder is written once, in `RowDecoders`,
/// and the two engines cannot drift apart on a column's meaning.
protocol StoredRow {
    func text(_ column: Int) throws(StoreError) -> String
    func optionalText(_ column: Int) throws(StoreError) -> String?
    func integer(_ column: Int) throws(StoreError) -> Int64
    func optionalInteger(_ column: Int) throws(StoreError) -> Int64?
    /// SQLite has no boolean type (0 or 1 in an integer column); PostgreSQL has `boolean`.
    func bool(_ column: Int) throws(StoreError) -> Bool
    func bytes(_ column: Int) throws(StoreError) -> [UInt8]
}

extension StoredRow {
    func time(_ column: Int) throws(StoreError) -> Date { StoredTime.date(micros: try self.integer(column)) }

    func optionalTime(_ column: Int) throws(StoreError) -> Date? {
        try self.optionalInteger(column).map(StoredTime.date(micros:))
    }

    func int(_ column: Int) throws(StoreError) -> Int { Int(try self.integer(column)) }
}
