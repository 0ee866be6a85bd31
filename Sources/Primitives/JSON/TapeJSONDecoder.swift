/// Decodes `Decodable` models from JSON that a peer sent, reading only the members the model asks for.
///
/// Foundation's `JSONDecoder` builds a dictionary of every object's members, names as `String`s, before the model
/// reads one: for the upstream answers of a sign (about 8 KB of JSON, mostly members the gateway ignores) that was
/// a fifth of the sign's instructions (`bench/profile.sh callgrind`). This one indexes the document once
/// (`JSONTape`, which refuses what RFC 8259 refuses, as Foundation does) and looks members up by comparing bytes.
/// Errors are `DecodingError`s with the coding path; their wording differs from Foundation's, so use it where the
/// message is not shown to anyone (the gateway maps an unreadable upstream answer to one error of its own).
package struct TapeJSONDecoder: Sendable {
    package init() {}

    package func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        let tape: JSONTape
        do {
            tape = try JSONTape(bytes)
        } catch {
            throw DecodingError.dataCorrupted(
                .init(codingPath: [], debugDescription: "invalid JSON at byte \(error.offset): \(error.reason)"))
        }
        return try TapeDecoder(box: TapeBox(tape), node: 0, parentPath: [], key: nil).decodeValue(type)
    }
}

/// One tape shared by every decoder and container of a document (a class, so that they do not copy it).
final class TapeBox: Sendable {
    let tape: JSONTape
    init(_ tape: JSONTape) { self.tape = tape }
}

/// The decoder of one value. Its coding path is built only when asked for (a container or an error), so that
/// reading a member allocates nothing.
struct TapeDecoder: Decoder {
    let box: TapeBox
    let node: Int
    let parentPath: [any CodingKey]
    let key: (any CodingKey)?
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    var codingPath: [any CodingKey] {
        guard let key else { return parentPath }
        return parentPath + [key]
    }

    var kind: JSONTape.Kind { box.tape.nodes[node].kind }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard kind == .object else { throw mismatch([String: Int].self) }
        return KeyedDecodingContainer(TapeKeyedContainer<Key>(box: box, node: node, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard kind == .array else { throw mismatch([Int].self) }
        return TapeUnkeyedContainer(box: box, node: node, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer { self }

    func mismatch(_ expected: Any.Type) -> DecodingError {
        DecodingError.typeMismatch(
            expected, .init(codingPath: codingPath, debugDescription: "found JSON \(kind) instead"))
    }

    /// Strings take the fast way; everything else its own `init(from:)`.
    func decodeValue<T: Decodable>(_ type: T.Type) throws -> T {
        if T.self == String.self, let string = try decode(String.self) as? T { return string }
        return try T(from: self)
    }

    fileprivate func integer<T: FixedWidthInteger>(_ type: T.Type) throws -> T {
        guard kind == .number else { throw mismatch(type) }
        if let value = box.tape.integer(at: node, as: type) { return value }
        let text = box.tape.numberText(at: node)
        // An integral value written with a fraction or an exponent (`2.0`, `1e3`), as Foundation accepts.
        if let double = Double(text), let value = T(exactly: double) { return value }
        throw DecodingError.dataCorrupted(
            .init(codingPath: codingPath, debugDescription: "the number \(text) does not fit \(type)"))
    }

    fileprivate func floatingPoint<T: BinaryFloatingPoint & LosslessStringConvertible>(_ type: T.Type) throws -> T {
        guard kind == .number else { throw mismatch(type) }
        let text = box.tape.numberText(at: node)
        guard let value = T(String(text)), value.isFinite else {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath, debugDescription: "the number \(text) does not fit \(type)"))
        }
        return value
    }
}

extension TapeDecoder: SingleValueDecodingContainer {
    func decodeNil() -> Bool { kind == .null }

    func decode(_ type: Bool.Type) throws -> Bool {
        switch kind {
        case .boolTrue: true
        case .boolFalse: false
        default: throw mismatch(type)
        }
    }

    func decode(_ type: String.Type) throws -> String {
        guard kind == .string else { throw mismatch(type) }
        return box.tape.string(at: node)
    }

    func decode(_ type: Double.Type) throws -> Double { try floatingPoint(type) }
    func decode(_ type: Float.Type) throws -> Float { try floatingPoint(type) }
    func decode(_ type: Int.Type) throws -> Int { try integer(type) }
    func decode(_ type: Int8.Type) throws -> Int8 { try integer(type) }
    func decode(_ type: Int16.Type) throws -> Int16 { try integer(type) }
    func decode(_ type: Int32.Type) throws -> Int32 { try integer(type) }
    func decode(_ type: Int64.Type) throws -> Int64 { try integer(type) }
    func decode(_ type: UInt.Type) throws -> UInt { try integer(type) }
    func decode(_ type: UInt8.Type) throws -> UInt8 { try integer(type) }
    func decode(_ type: UInt16.Type) throws -> UInt16 { try integer(type) }
    func decode(_ type: UInt32.Type) throws -> UInt32 { try integer(type) }
    func decode(_ type: UInt64.Type) throws -> UInt64 { try integer(type) }
    func decode<T: Decodable>(_ type: T.Type) throws -> T { try decodeValue(type) }
}

/// An array element's place in a coding path (its text made only when someone reads it).
private struct IndexKey: CodingKey {
    let index: Int
    var stringValue: String { "\(index)" }
    var intValue: Int? { index }
    init(intValue: Int) { self.index = intValue }
    init?(stringValue: String) { nil }
}

private struct NameKey: CodingKey {
    let stringValue: String
    var intValue: Int? { nil }
    init(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) { nil }
}

struct TapeKeyedContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let box: TapeBox
    let node: Int
    let codingPath: [any CodingKey]

    /// The value node of a member; the last one when a name repeats.
    private func value(for key: Key) -> Int? { value(named: key.stringValue) }

    private func value(named name: String) -> Int? {
        var name = name
        return name.withUTF8 { box.tape.member(of: node, named: $0) }
    }

    private func decoder(for key: Key) throws -> TapeDecoder {
        guard let value = value(for: key) else {
            throw DecodingError.keyNotFound(
                key, .init(codingPath: codingPath, debugDescription: "no member \"\(key.stringValue)\""))
        }
        return TapeDecoder(box: box, node: value, parentPath: codingPath, key: key)
    }

    var allKeys: [Key] {
        let tape = box.tape
        let end = Int(tape.nodes[node].after)
        var keys: [Key] = []
        var member = node + 1
        while member < end {
            if let key = Key(stringValue: tape.string(at: member)) { keys.append(key) }
            member = Int(tape.nodes[member + 1].after)
        }
        return keys
    }

    func contains(_ key: Key) -> Bool { value(for: key) != nil }

    func decodeNil(forKey key: Key) throws -> Bool { try decoder(for: key).decodeNil() }

    func decode<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T {
        try decoder(for: key).decodeValue(type)
    }

    func decodeIfPresent<T: Decodable>(_ type: T.Type, forKey key: Key) throws -> T? {
        guard let value = value(for: key), box.tape.nodes[value].kind != .null else { return nil }
        return try TapeDecoder(box: box, node: value, parentPath: codingPath, key: key).decodeValue(type)
    }

    // The protocol's own versions of these look the member up three times (contains, decodeNil, decode).
    func decodeIfPresent(_ type: String.Type, forKey key: Key) throws -> String? { try present(type, key) }
    func decodeIfPresent(_ type: Bool.Type, forKey key: Key) throws -> Bool? { try present(type, key) }
    func decodeIfPresent(_ type: Int.Type, forKey key: Key) throws -> Int? { try present(type, key) }
    func decodeIfPresent(_ type: Int64.Type, forKey key: Key) throws -> Int64? { try present(type, key) }
    func decodeIfPresent(_ type: Double.Type, forKey key: Key) throws -> Double? { try present(type, key) }

    private func present<T: Decodable>(_ type: T.Type, _ key: Key) throws -> T? {
        try decodeIfPresent(type, forKey: key)
    }

    func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type, forKey key: Key
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try decoder(for: key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try decoder(for: key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder {
        let key = NameKey(stringValue: "super")
        guard let value = value(named: key.stringValue) else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath, debugDescription: "no member \"super\""))
        }
        return TapeDecoder(box: box, node: value, parentPath: codingPath, key: key)
    }

    func superDecoder(forKey key: Key) throws -> any Decoder { try decoder(for: key) }
}

struct TapeUnkeyedContainer: UnkeyedDecodingContainer {
    let box: TapeBox
    let node: Int
    let codingPath: [any CodingKey]
    private(set) var currentIndex = 0
    private var next: Int
    private let end: Int

    init(box: TapeBox, node: Int, codingPath: [any CodingKey]) {
        self.box = box
        self.node = node
        self.codingPath = codingPath
        self.next = node + 1
        self.end = Int(box.tape.nodes[node].after)
    }

    var count: Int? {
        var count = 0
        var element = node + 1
        while element < end {
            count += 1
            element = Int(box.tape.nodes[element].after)
        }
        return count
    }

    var isAtEnd: Bool { next >= end }

    private mutating func take() throws -> TapeDecoder {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Any.self, .init(codingPath: codingPath, debugDescription: "the array has no more elements"))
        }
        let decoder = TapeDecoder(box: box, node: next, parentPath: codingPath, key: IndexKey(intValue: currentIndex))
        next = Int(box.tape.nodes[next].after)
        currentIndex += 1
        return decoder
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, box.tape.nodes[next].kind == .null else { return false }
        _ = try take()
        return true
    }

    mutating func decode<T: Decodable>(_ type: T.Type) throws -> T { try take().decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(
        keyedBy type: NestedKey.Type
    ) throws -> KeyedDecodingContainer<NestedKey> {
        try take().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try take().unkeyedContainer() }

    mutating func superDecoder() throws -> any Decoder { try take() }
}
