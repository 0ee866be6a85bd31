package import Gateway
package import HTTPTypes
package import Hummingbird
import Storage

/// An RFC 9457 problem answer. The only error type that leaves the HTTP layer.
/// `detail` and extensions are written by the gateway: never a token, a stack trace or an upstream body.
package struct Problem: Error, HTTPResponseError, Sendable {
    package var type: ProblemType
    package var detail: String
    /// Extension members, in output order.
    package var extensions: [(String, JSONValue)]
    package var headers: HTTPFields
    /// Finer than `type`, for the audit log only (`unknown-api-key`, `stale-timestamp`); never a value sent.
    var auditDetail: String?

    package init(
        _ type: ProblemType,
        _ detail: String,
        extensions: [(String, JSONValue)] = [],
        headers: HTTPFields = [:]
    ) {
        self.type = type
        self.detail = detail
        self.extensions = extensions
        self.headers = headers
    }

    /// A 400 about one member of the request body, named by its JSON pointer (in `detail` and in `errors`).
    static func invalidMember(_ pointer: String, _ detail: String) -> Problem {
        Problem(
            .invalidRequest, pointer.isEmpty ? detail : "\(pointer): \(detail)",
            extensions: [("errors", .array([.object([("pointer", .string(pointer)), ("detail", .string(detail))])]))])
    }

    /// The audit record's reason: the type, and the detail when there is one.
    var auditReason: String { self.auditDetail.map { "\(self.type.rawValue):\($0)" } ?? self.type.rawValue }

    package var status: HTTPResponse.Status { HTTPResponse.Status(code: self.type.status) }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = Response(stored: self.stored(requestId: context.id))
        for field in self.headers { response.headers.append(field) }
        return response
    }

    /// The answer as stored for idempotent replay.
    func stored(requestId: String) -> StoredResponse {
        var members: [(String, JSONValue)] = [
            ("type", .string(self.type.uri)),
            ("title", .string(self.type.title)),
            ("status", .int(self.type.status)),
            ("detail", .string(self.detail)),
            ("requestId", .string(requestId)),
            ("nextAction", .string(self.type.nextAction.rawValue)),
        ]
        members.append(contentsOf: self.extensions)
        return StoredResponse(
            status: self.type.status, contentType: "application/problem+json",
            body: JSONValue.object(members).serialized)
    }
}

extension Response {
    init(stored: StoredResponse, replayed: Bool = false) {
        var headers: HTTPFields = [.contentType: stored.contentType, .cacheControl: "no-store"]
        if replayed { headers[.idempotentReplayed] = "true" }
        self.init(
            status: HTTPResponse.Status(code: stored.status), headers: headers,
            body: .init(byteBuffer: ByteBuffer(bytes: stored.body)))
    }
}

extension HTTPField.Name {
    static let idempotencyKey = HTTPField.Name("Idempotency-Key")!
    static let idempotentReplayed = HTTPField.Name("Idempotent-Replayed")!
    static let traceparent = HTTPField.Name("traceparent")!
}
