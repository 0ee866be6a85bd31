import NIOCore
import PostgresNIO

extension PostgresRandomAccessRow: StoredRow {
    func text(_ column: Int) throws(StoreError) -> String { try self.value(column, String.self) }
    func optionalText(_ column: Int) throws(StoreError) -> String? { try self.value(column, String?.self) }
    // Int64 decodes int2, int4 and int8 columns alike.
    func integer(_ column: Int) throws(StoreError) -> Int64 { try self.value(column, Int64.self) }
    func optionalInteger(_ column: Int) throws(StoreError) -> Int64? { try self.value(column, Int64?.self) }
    func bool(_ column: Int) throws(StoreError) -> Bool { try self.value(column, Bool.self) }
    func bytes(_ column: Int) throws(StoreError) -> [UInt8] {
        Array(try self.value(column, ByteBuffer.self).readableBytesView)
    }

    private func value<Value: PostgresDecodable>(_ column: Int, _ type: Value.Type) throws(StoreError) -> Value {
        do {
            return try self[column].decode(Value.self)
        } catch {
            // The decoding error names the column and type only, never a value.
            throw .failed("postgres: column \(column) is not a \(Value.self)")
        }
    }
}
