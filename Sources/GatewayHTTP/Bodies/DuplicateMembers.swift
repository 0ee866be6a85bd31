import Foundation

/// Finds the first object member that appears twice in the same object. Foundation's JSONDecoder keeps one
/// of them silently, so `{"mode":"parallel","mode":"sequential"}` could mean different things to different
/// readers. Scans the raw bytes once; on malformed JSON it gives up (the decoder then reports the fault).
enum DuplicateMembers {
    /// JSON pointer of the first repeated member, or nil.
    static func first(in bytes: [UInt8]) -> String? {
        var scanner = Scanner(bytes: bytes)
        return scanner.scan()
    }

    private struct Frame {
        var isObject: Bool
        var keys: Set<String> = []
        /// The member or index this frame is the value of, for the pointer.
        var token: String
        var index = 0
        var pendingKey: String?
        var expectingKey = true
    }

    private struct Scanner {
        let bytes: [UInt8]
        var position = 0
        var stack: [Frame] = []

        init(bytes: [UInt8]) { self.bytes = bytes }

        mutating func scan() -> String? {
            while self.position < self.bytes.count {
                let byte = self.bytes[self.position]
                switch byte {
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    let token = self.currentToken()
                    self.stack.append(Frame(isObject: byte == UInt8(ascii: "{"), token: token))
                    self.position += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    guard self.stack.popLast() != nil else { return nil }
                    self.position += 1
                case UInt8(ascii: ","):
                    if let last = self.stack.indices.last {
                        if self.stack[last].isObject {
                            self.stack[last].expectingKey = true
                            self.stack[last].pendingKey = nil
                        } else {
                            self.stack[last].index += 1
                        }
                    }
                    self.position += 1
                case UInt8(ascii: "\""):
                    guard let text = self.string() else { return nil }
                    if let last = self.stack.indices.last, self.stack[last].isObject, self.stack[last].expectingKey {
                        guard self.stack[last].keys.insert(text).inserted else {
                            return self.pointer(appending: text)
                        }
                        self.stack[last].pendingKey = text
                        self.stack[last].expectingKey = false
                    }
                default:
                    self.position += 1
                }
            }
            return nil
        }

        /// The pointer token of a value starting now, in the innermost container.
        func currentToken() -> String {
            guard let frame = self.stack.last else { return "" }
            return frame.isObject ? (frame.pendingKey ?? "") : String(frame.index)
        }

        func pointer(appending key: String) -> String {
            (self.stack.dropFirst().map(\.token) + [key]).map {
                "/" + $0.replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
            }.joined()
        }

        /// Reads a string literal, unescaping it (so `"\u0061"` and `"a"` are the same member).
        mutating func string() -> String? {
            let start = self.position
            self.position += 1
            var escaped = false
            while self.position < self.bytes.count {
                let byte = self.bytes[self.position]
                self.position += 1
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    let literal = Array(self.bytes[start..<self.position])
                    if !literal.contains(UInt8(ascii: "\\")) {
                        return String(decoding: literal.dropFirst().dropLast(), as: UTF8.self)
                    }
                    return try? JSONDecoder().decode(String.self, from: Data(literal))
                }
            }
            return nil
        }
    }
}
