import AltinnAPI
import Gateway
import Hummingbird
import Storage

/// `GET /v1/apps/{org}/{app}`: the app preflight. Needs the `read` operation on the app; audited like every read.
struct AppRoutes: Sendable {
    let useCases: UseCases

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.get("apps/:org/:app", use: self.preflight)
    }

    @Sendable func preflight(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.read)
        let app: AppReference
        do {
            app = try AppReference(org: context.parameters.get("org") ?? "", app: context.parameters.get("app") ?? "")
        } catch {
            throw Problem(error, pointer: "")
        }
        try context.authorize(app: app)
        _ = try QueryParameters(request.uri.queryParameters, allowed: [])
        let preflight = self.useCases.preflight
        // Only the profiles this client may use are compared (another client's system user is not its business).
        let profiles = context.usableTokenProfiles(
            among: preflight.tokenProfileNames, gatewayDefault: self.useCases.defaultTokenProfile)
        let environment = self.useCases.environment
        let requestId = context.id
        let rendering = AppPreflightUseCase.Rendering(
            success: { report in .ok(PreflightJSON.report(report, environment: environment)) },
            failure: { error in Problem(error, app: app).stored(requestId: requestId) })
        let inbound = InboundFacts(context, request: request, clientId: context.clientId)
        do {
            return Response(
                stored: try await preflight.execute(
                    app, tokenProfiles: profiles, inbound: inbound, rendering: rendering))
        } catch {
            throw Problem(.storeUnavailable, "The call could not be recorded in the audit log.")
        }
    }
}

extension GatewayRequestContext {
    /// Those of `names` this client may name as its token profile.
    func usableTokenProfiles(among names: [String], gatewayDefault: String) -> Set<String> {
        guard let policy = self.policy else { return [] }
        return Set(names.filter { policy.tokenProfile(requested: $0, gatewayDefault: gatewayDefault) != nil })
    }
}
