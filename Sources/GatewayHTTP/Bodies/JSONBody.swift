import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import Primitives

/// Reads a JSON request body: media type checked (415), size capped while streaming (413),
/// and decoding failures reported with a JSON pointer (400).
enum JSONBody {
    /// The raw body, after the media-type and size checks.
    static func read(_ request: Request, limit: Int) async throws -> [UInt8] {
        guard let contentType = request.headers[.contentType], Self.isJSON(contentType) else {
            throw Problem(.unsupportedMediaType, "Send the body as Content-Type: application/json.")
        }
        var request = request
        return try await Self.collect(&request, limit: limit)
    }

    /// The body bytes, at most `limit` (413 beyond, refused by the declared length before reading), kept
    /// on the request so a later reader (the handler after the signature check) gets the same bytes.
    static func collect(_ request: inout Request, limit: Int) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > limit {
            throw Problem(.payloadTooLarge, "The request body exceeds \(limit) bytes.")
        }
        do {
            return Array(try await request.collectBody(upTo: limit).readableBytesView)
        } catch is NIOTooManyBytesError {
            throw Problem(.payloadTooLarge, "The request body exceeds \(limit) bytes.")
        }
    }

    static func decode<T: Decodable>(_ type: T.Type, from bytes: [UInt8]) throws -> T {
        if let pointer = DuplicateMembers.first(in: bytes) {
            throw Problem.invalidMember(pointer, "member appears more than once")
        }
        // The byte-level decoder first: Foundation's builds every object's members as strings before the model
        // reads one, most of a sign body's cost. It is stricter than Foundation's (RFC 8259) and held to
        // Foundation's values (TapeJSONDecoderTests), so a body it takes is one Foundation takes alike; a body it
        // does not take is decoded by Foundation, whose value or refusal (with its coding path) is the answer.
        if let value = try? TapeJSONDecoder().decode(type, from: bytes) { return value }
        do {
            return try JSONDecoder().decode(type, from: Data(bytes))
        } catch let problem as Problem {
            throw problem
        } catch {
            let (pointer, detail) = DecodingFailure.describe(error)
            throw Problem.invalidMember(pointer, detail)
        }
    }

    static func isJSON(_ contentType: String) -> Bool { Self.mediaType(contentType) == "application/json" }

    /// The media type of a `Content-Type` value, without parameters and the optional whitespace (SP, HTAB) around
    /// it, lower-cased. On the UTF-8 bytes: splitting the `String` by `Character` cost a sign 20,000 instructions.
    static func mediaType(_ contentType: String) -> String {
        var bytes = contentType.utf8[...]
        if let semicolon = bytes.firstIndex(of: UInt8(ascii: ";")) { bytes = bytes[..<semicolon] }
        return String(Substring(bytes.trimmingOptionalWhitespace())).lowercased()
    }
}
