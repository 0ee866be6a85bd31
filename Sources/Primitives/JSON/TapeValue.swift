/// A model that reads itself from a JSON value directly, without `Decodable`.
///
/// For the upstream answers the gateway reads on every request (the signing state, the action's instance, the
/// signature document): through `Decodable`, each member went through type-erased containers and generic calls
/// that looked up type metadata at run time, about three quarters of decoding a sign's answers
/// (`bench/profile.sh callgrind`). Reading them here gives the same values and refuses the same documents:
/// a member absent or null is nil for an optional, a member of the wrong kind is an error.
package protocol TapeReadable {
    init(tape value: TapeValue) throws(TapeValue.Mismatch)
}

/// One value of a document indexed by `JSONTape`.
package struct TapeValue {
    let box: TapeBox
    let node: Int

    /// What a model did not find where it looked; the gateway maps any of them to one error of its own.
    package struct Mismatch: Error, Equatable {
        package let reason: String

        package init(reason: String) {
            self.reason = reason
        }
    }

    /// Indexes `bytes` (checked against RFC 8259, as `TapeJSONDecoder`) and reads the model from its top value.
    package static func read<T: TapeReadable>(_ type: T.Type, from bytes: [UInt8]) throws(Mismatch) -> T {
        let tape: JSONTape
        do {
            tape = try JSONTape(bytes)
        } catch {
            throw Mismatch(reason: "invalid JSON at byte \(error.offset): \(error.reason)")
        }
        return try T(tape: TapeValue(box: TapeBox(tape), node: 0))
    }

    private var kind: JSONTape.Kind { box.tape.nodes[node].kind }

    private func mismatch(_ expected: String) -> Mismatch { Mismatch(reason: "\(expected) expected, found \(kind)") }

    /// This value as an object, to read members of.
    package func object() throws(Mismatch) -> TapeValue {
        guard kind == .object else { throw mismatch("an object") }
        return self
    }

    /// The member named `name` (the last one when a name repeats); nil when absent or null. Call on an `object()`.
    package subscript(_ name: StaticString) -> TapeValue? {
        let found = name.withUTF8Buffer { box.tape.member(of: node, named: $0) }
        guard let found, box.tape.nodes[found].kind != .null else { return nil }
        return TapeValue(box: box, node: found)
    }

    /// The member named `name`, which must be there and not null.
    package func required(_ name: StaticString) throws(Mismatch) -> TapeValue {
        guard let value = self[name] else { throw Mismatch(reason: "no member \(name)") }
        return value
    }

    package func string() throws(Mismatch) -> String {
        guard kind == .string else { throw mismatch("a string") }
        return box.tape.string(at: node)
    }

    package func bool() throws(Mismatch) -> Bool {
        switch kind {
        case .boolTrue: return true
        case .boolFalse: return false
        default: throw mismatch("a boolean")
        }
    }

    /// As `TapeJSONDecoder` reads an `Int`: an integral value, also written with a fraction or an exponent.
    package func int() throws(Mismatch) -> Int {
        guard kind == .number else { throw mismatch("a number") }
        if let value = box.tape.integer(at: node, as: Int.self) { return value }
        let text = box.tape.numberText(at: node)
        guard let double = Double(text), let value = Int(exactly: double) else {
            throw Mismatch(reason: "the number \(text) is no Int")
        }
        return value
    }

    /// An array's elements, each read by `element` (a null element is refused, as `Decodable` refuses it).
    package func array<T>(_ element: (TapeValue) throws(Mismatch) -> T) throws(Mismatch) -> [T] {
        guard kind == .array else { throw mismatch("an array") }
        let nodes = box.tape.nodes
        let end = Int(nodes[node].after)
        var values: [T] = []
        var next = node + 1
        while next < end {
            values.append(try element(TapeValue(box: box, node: next)))
            next = Int(nodes[next].after)
        }
        return values
    }

    /// An array of readable models.
    package func array<T: TapeReadable>(of type: T.Type) throws(Mismatch) -> [T] {
        try array { value throws(Mismatch) in try T(tape: value) }
    }
}
