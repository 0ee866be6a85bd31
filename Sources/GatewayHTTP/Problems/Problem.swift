public import HTTPTypes
public import Hummingbird

/// An RFC 9457 problem answer. The only error type that leaves the HTTP layer.
/// `detail` and extensions are written by the gateway: never a token, a stack trace or an upstream body.
public struct Problem: Error, HTTPResponseError, Sendable {
    public var type: ProblemType
    public var detail: String
    /// Extension members, in output order.
    public var extensions: [(String, JSONValue)]
    public var headers: HTTPFields

    public init(
        _ type: ProblemType, _ detail: String, extensions: [(String, JSONValue)] = [], headers: HTTPFields = [:]
    ) {
        self.type = type
        self.detail = detail
        self.extensions = extensions
        self.headers = headers
    }

    public var status: HTTPResponse.Status { HTTPResponse.Status(code: self.type.status) }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        var members: [(String, JSONValue)] = [
            ("type", .string(self.type.uri)),
            ("title", .string(self.type.title)),
            ("status", .int(self.type.status)),
            ("detail", .string(self.detail)),
            ("requestId", .string(context.id)),
        ]
        members.append(contentsOf: self.extensions)
        let body = JSONValue.object(members).serialized
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        headers[.cacheControl] = "no-store"
        return Response(status: self.status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}
