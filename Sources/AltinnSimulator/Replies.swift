import Foundation
import Hummingbird

/// Response builders with the headers an Altinn app sends.
enum Replies {
    static let jsonType = "application/json; charset=utf-8"
    static let problemType = "application/problem+json; charset=utf-8"
    static let textType = "text/plain; charset=utf-8"

    static func json(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        text(status, body.serialized, contentType: jsonType)
    }

    static func problem(_ status: HTTPResponse.Status, _ body: JSONValue) -> Response {
        text(status, body.serialized, contentType: problemType)
    }

    static func text(_ status: HTTPResponse.Status, _ body: String, contentType: String) -> Response {
        Response(
            status: status,
            headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(string: body))
        )
    }

    /// Raw stored bytes (`GET …/data/{id}`).
    static func bytes(_ status: HTTPResponse.Status, _ body: [UInt8], contentType: String) -> Response {
        Response(
            status: status, headers: [.contentType: contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
    }

    /// No body at all, like ASP.NET's `Unauthorized()`, `Forbid()` or an unhandled exception.
    static func empty(_ status: HTTPResponse.Status) -> Response {
        Response(status: status, headers: [.contentLength: "0"])
    }

    /// A plain string result (`Conflict("…")`) negotiated like ASP.NET's string output formatter:
    /// text/plain unless the client asks for JSON, then a JSON string (§8).
    static func negotiatedString(_ status: HTTPResponse.Status, _ value: String, accept: String?)
        -> Response
    {
        if prefersJSON(accept: accept) {
            return json(status, .string(value))
        }
        return text(status, value, contentType: textType)
    }

    static func prefersJSON(accept: String?) -> Bool {
        guard let accept else { return false }
        let types = accept.split(separator: ",").map {
            $0.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
                ?? ""
        }
        // The string formatter wins for */* and text/*; JSON only when asked for without them first.
        for type in types {
            if type == "*/*" || type.hasPrefix("text/") { return false }
            if type == "application/json" || type.hasSuffix("+json") { return true }
        }
        return false
    }
}
