import Foundation
import HTTPTypes
import Hummingbird
import Webhooks

/// Which header the trusted proxies write the caller's address into. One only: a proxy passes on the header it
/// does not write untouched, so reading both would let a caller choose its own audited address.
package enum ForwardedHeader: String, Sendable, CaseIterable {
    /// `X-Forwarded-For: client, proxy1` (nginx's `$proxy_add_x_forwarded_for`, most ingress controllers).
    case xForwardedFor = "x-forwarded-for"
    /// RFC 7239 `Forwarded: for=client;proto=https, for="[2001:db8::1]:4711"` (Envoy, HAProxy, Traefik can).
    case forwarded

    var fieldName: HTTPField.Name {
        switch self {
        case .xForwardedFor: return HTTPField.Name("X-Forwarded-For")!
        case .forwarded: return HTTPField.Name("Forwarded")!
        }
    }

    /// The hops, nearest last, or nil when any is not an address (`unknown`, an obfuscated `_name`, garbage).
    func hops(_ value: String) -> [String]? {
        let elements = value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        var hops: [String] = []
        for element in elements {
            switch self {
            case .xForwardedFor:
                hops.append(element)
            case .forwarded:
                let pairs = element.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
                guard let pair = pairs.first(where: { $0.lowercased().hasPrefix("for=") }) else { return nil }
                hops.append(Self.node(pair.dropFirst(4)))
            }
        }
        return hops.allSatisfy({ IPAddress($0) != nil }) && !hops.isEmpty ? hops : nil
    }

    /// RFC 7239 node: `192.0.2.43`, `"192.0.2.43:47011"`, `"[2001:db8:cafe::17]:4711"` → the bare address.
    private static func node(_ raw: Substring) -> String {
        var text = raw
        if text.hasPrefix("\""), text.hasSuffix("\""), text.count >= 2 { text = text.dropFirst().dropLast() }
        if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
            return String(text[text.index(after: text.startIndex)..<close])
        }
        if text.filter({ $0 == ":" }).count == 1, let colon = text.firstIndex(of: ":") {
            return String(text[..<colon])  // IPv4 with a port
        }
        return String(text)
    }
}

/// The caller's address behind a reverse proxy: when the peer is a trusted proxy (`trustedProxies`), the source
/// address recorded in the audit log and used by the pre-authentication limits is the nearest address in the
/// forwarding header that is not itself a trusted proxy. From anyone else the header is ignored, so a caller
/// cannot choose the address it is audited under.
struct ForwardedForMiddleware: RouterMiddleware {
    typealias Context = GatewayRequestContext

    let trusted: [IPNetwork]
    var header = ForwardedHeader.xForwardedFor

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response)
        async throws -> Response
    {
        guard !self.trusted.isEmpty, let peer = context.sourceAddress, self.isTrusted(peer),
            let value = request.headers[self.header.fieldName]
        else { return try await next(request, context) }
        var context = context
        context.sourceAddress = Self.client(in: value, header: self.header, behind: self.isTrusted) ?? peer
        return try await next(request, context)
    }

    /// Right to left, the hops each proxy appended: the first address not itself a trusted proxy is the client.
    static func client(in value: String, header: ForwardedHeader, behind isTrusted: (String) -> Bool) -> String? {
        guard let hops = header.hops(value) else { return nil }  // malformed: keep the peer
        return hops.last { !isTrusted($0) } ?? hops.first
    }

    private func isTrusted(_ address: String) -> Bool {
        guard let ip = IPAddress(address) else { return false }
        return self.trusted.contains { $0.contains(ip) }
    }
}
