import Hummingbird
import NIOCore

/// Request context that remembers whether the peer is on this machine, for the admin routes.
struct SimulatorRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    let peerIsLoopback: Bool
    /// Set by `BearerAuthMiddleware` for app routes.
    var identity: SimulatedIdentity?

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peerIsLoopback = Self.isLoopback(source.channel.remoteAddress)
    }

    static func isLoopback(_ address: SocketAddress?) -> Bool {
        switch address {
        case .unixDomainSocket: return true
        case .v4, .v6:
            guard let ip = address?.ipAddress else { return false }
            return ip.hasPrefix("127.") || ip == "::1" || ip.hasPrefix("::ffff:127.")
        case nil: return false
        }
    }
}
