import Foundation
import HTTPTypes
import Hummingbird
import Webhooks

/// The caller's address behind a reverse proxy: when the peer is a trusted proxy (`trustedProxies`), the source
/// address recorded in the audit log and used by the pre-authentication limits is the nearest address in
/// `X-Forwarded-For` that is not itself a trusted proxy. From anyone else the header is ignored, so a caller
/// cannot choose the address it is audited under.
struct ForwardedForMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let trusted: [IPNetwork]

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard !self.trusted.isEmpty, let peer = context.sourceAddress, self.isTrusted(peer),
            let header = request.headers[Self.forwardedFor]
        else { return try await next(request, context) }
        var context = context
        context.sourceAddress = Self.client(in: header, behind: self.isTrusted) ?? peer
        return try await next(request, context)
    }

    /// Right to left, the hops each proxy appended: the first address not itself a trusted proxy is the client.
    static func client(in header: String, behind isTrusted: (String) -> Bool) -> String? {
        let hops = header.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard hops.allSatisfy({ IPAddress($0) != nil }) else { return nil }  // malformed: keep the peer
        return hops.last { !isTrusted($0) } ?? hops.first
    }

    private func isTrusted(_ address: String) -> Bool {
        guard let ip = IPAddress(address) else { return false }
        return self.trusted.contains { $0.contains(ip) }
    }

    private static let forwardedFor = HTTPField.Name("X-Forwarded-For")!
}
