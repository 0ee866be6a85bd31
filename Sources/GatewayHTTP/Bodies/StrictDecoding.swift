import Foundation

/// Decoding helpers for closed request schemas: unknown members are refused, not ignored,
/// so a typo (`onBehalfof`) cannot silently change what is signed.
struct AnyCodingKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { self.stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        self.stringValue = String(intValue)
        self.intValue = intValue
    }
}

extension Decoder {
    package func rejectUnknownKeys(allowed: Set<String>) throws {
        let container = try self.container(keyedBy: AnyCodingKey.self)
        for key in container.allKeys where !allowed.contains(key.stringValue) {
            throw DecodingError.dataCorrupted(
                .init(codingPath: self.codingPath + [key], debugDescription: "unknown member '\(key.stringValue)'"))
        }
    }
}

/// Turns a decoding failure into a JSON pointer and a sentence.
package enum DecodingFailure {
    package static func describe(_ error: any Error) -> (pointer: String, detail: String) {
        guard let error = error as? DecodingError else { return ("", "the body is not valid JSON") }
        switch error {
        case .keyNotFound(let key, let context):
            return (pointer(context.codingPath + [key]), "required member is missing")
        case .typeMismatch(let type, let context):
            return (pointer(context.codingPath), "expected \(Self.name(type))")
        case .valueNotFound(let type, let context):
            return (pointer(context.codingPath), "expected \(Self.name(type)), found null")
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty { return ("", "the body is not valid JSON") }
            return (pointer(context.codingPath), context.debugDescription)
        @unknown default:
            return ("", "the body could not be decoded")
        }
    }

    static func pointer(_ path: [any CodingKey]) -> String {
        path.map { key in
            "/"
                + (key.intValue.map(String.init) ?? key.stringValue)
                .replacingOccurrences(of: "~", with: "~0").replacingOccurrences(of: "/", with: "~1")
        }.joined()
    }

    private static func name(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: return "a string"
        case is Bool.Type: return "a boolean"
        case is Int.Type: return "an integer"
        default: return "an object"
        }
    }
}
