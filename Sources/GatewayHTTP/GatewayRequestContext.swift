import AltinnAPI
package import Hummingbird
import NIOCore

/// Per-request context: who is calling and from where.
package struct GatewayRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    /// The peer's IP address, for audit records.
    package var sourceAddress: String?
    /// Set by the client-key middleware once the caller is authenticated.
    package var clientId: String?
    /// The authenticated client's policy; nil until then (every check fails closed).
    var policy: ClientPolicy?
    /// The `webhook-id` of a signed request; it serves as the Idempotency-Key when none is sent.
    var webhookId: String?

    package init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.sourceAddress = source.channel.remoteAddress?.ipAddress
    }
}

extension GatewayRequestContext {
    /// The instance named by the path's `:org/:app/:partyId/:instanceGuid`.
    func instanceFromPath() throws(Problem) -> InstanceReference {
        do {
            let app = try AppReference(org: self.parameters.get("org") ?? "", app: self.parameters.get("app") ?? "")
            return try InstanceReference(
                app: app,
                instanceId: "\(self.parameters.get("partyId") ?? "")/\(self.parameters.get("instanceGuid") ?? "")")
        } catch {
            throw Problem(error, pointer: "")
        }
    }
}
