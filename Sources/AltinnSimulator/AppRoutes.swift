import Foundation
import Hummingbird

/// The Altinn app API routes (§1.1–§1.3, §1.6).
struct AppRoutes {
    let state: SimulatorState
    let authority: TokenAuthority

    static let instancePath: RouterPath = "/{org}/{app}/instances/{partyId}/{guid}"

    func register(on router: Router<SimulatorRequestContext>, identities: [String: SimulatedIdentity]) {
        let group = router.group(Self.instancePath)
            .add(middleware: RecordingMiddleware(state: state))
            .add(middleware: RouteConstraintMiddleware())
            .add(middleware: BearerAuthMiddleware(identities: identities, authority: authority))
            .add(middleware: FaultMiddleware(state: state))
        group.get { request, context in try await getInstance(request, context) }
        group.get("process") { _, context in try await getProcess(context) }
        group.put("process/next") { request, context in try await processNext(request, context) }
        group.post("actions") { request, context in try await userAction(request, context) }
        group.get("signing") { request, context in try await signing(request, context) }
        group.get("data/{dataGuid}") { _, context in try await data(context) }
        SigningReadRoutes(state: state).register(on: group)
    }

    /// `GET …/data/{dataGuid}` (§6): the stored bytes. A signature document whose data type requires an action the
    /// caller lacks (`signatureReadForbidden`: the recommended `signature-access` config) is a 403.
    private func data(_ context: SimulatorRequestContext) async throws -> Response {
        let route = try route(context)
        guard await lookup(route) != nil, let text = context.parameters.get("dataGuid"),
            let id = UUID(uuidString: text),
            let element = await state.dataElement(route.key, id: id)
        else { return Replies.problem(.notFound, Bodies.frameworkNotFound()) }
        if element.signature, await state.faults.signatureReadForbidden {
            return Replies.problem(
                .forbidden,
                .obj([
                    "title": .string("Unauthorized"),
                    "detail": .string("Access denied for data element of type \(DataElementRecord.signatureType)"),
                    "status": .int(403),
                ]))
        }
        return Replies.bytes(.ok, element.bytes, contentType: element.contentType)
    }

    /// The instance if it exists under this org/app.
    private func lookup(_ route: InstanceRoute) async -> InstanceRecord? {
        guard let record = await state.instance(route.key), record.org == route.org,
            record.app == route.app
        else { return nil }
        return record
    }

    private func route(_ context: SimulatorRequestContext) throws -> InstanceRoute {
        // RouteConstraintMiddleware already turned invalid ids into 404s.
        guard let route = InstanceRoute(context) else { throw HTTPError(.notFound) }
        return route
    }

    private func identity(_ context: SimulatorRequestContext) throws -> SimulatedIdentity {
        guard let identity = context.identity else { throw HTTPError(.unauthorized) }
        return identity
    }

    private static func baseURL(_ request: Request) -> String {
        "http://\(request.head.authority ?? "localhost")"
    }

    private static func language(_ request: Request) -> String {
        request.uri.queryParameters.get("language").map { $0.lowercased() } ?? "nb"
    }

    // MARK: Handlers

    private func getInstance(_ request: Request, _ context: SimulatorRequestContext) async throws
        -> Response
    {
        guard let record = await lookup(try route(context)) else {
            return Replies.problem(.notFound, Bodies.frameworkNotFound())
        }
        return Replies.json(.ok, Bodies.instance(record, baseURL: Self.baseURL(request)))
    }

    private func getProcess(_ context: SimulatorRequestContext) async throws -> Response {
        guard let record = await lookup(try route(context)) else {
            return Replies.problem(.notFound, Bodies.frameworkNotFound())
        }
        return Replies.json(.ok, Bodies.appProcessState(record))
    }

    private func processNext(_ request: Request, _ context: SimulatorRequestContext) async throws
        -> Response
    {
        let route = try route(context)
        let identity = try identity(context)
        // The body is optional; `[ApiController]` rejects one it cannot bind with its own 400.
        let bytes = Array(try await request.body.collect(upTo: context.maxUploadSize).readableBytesView)
        var action: String?
        var onBehalfOf: String?
        if !bytes.isEmpty {
            guard let body = JSONValue.parse(bytes), let fields = ProcessNextBody(body) else {
                return Replies.problem(.badRequest, Bodies.frameworkBadRequest())
            }
            action = fields.action
            onBehalfOf = fields.actionOnBehalfOf
        }
        guard await lookup(route) != nil else {
            // Storage's 404 becomes `NotFound()` in ProcessController.
            return Replies.problem(.notFound, Bodies.frameworkNotFound())
        }
        // The instance lock is held for the whole move (taken after the pre-checks in Altinn; before them
        // here, which only changes which 409 a call on an ended process gets while another holds the lock).
        guard await state.lockInstance(route.key) else {
            return Replies.problem(.conflict, Bodies.instanceLockConflict())
        }
        let hold = await state.faults.lockHold
        if hold > .zero { try? await Task.sleep(for: hold) }
        let result = await state.processNext(route.key, identity: identity, action: action, onBehalfOf: onBehalfOf)
        await state.unlockInstance(route.key)
        switch result {
        case .moved(let record):
            return Replies.json(.ok, Bodies.appProcessState(record))
        case .notFound:
            return Replies.problem(.notFound, Bodies.frameworkNotFound())
        case .processEnded:
            return Replies.problem(.conflict, Bodies.processEndedProblem())
        case .forbidden(let taskId, let taskType, let action):
            return Replies.problem(
                .forbidden,
                Bodies.processNextForbidden(taskId: taskId, taskType: taskType, action: action))
        case .handlerUnauthorized:
            // The handler's own error code (UnauthorizedOnBehalfOf) is not returned here (§1.1).
            return Replies.problem(.forbidden, Bodies.signHandlerUnauthorized())
        case .validationFailed(let taskId, let issues):
            return Replies.problem(
                .conflict, Bodies.validationProblem(taskId: taskId, issues: issues, language: Self.language(request)))
        }
    }

    private func userAction(_ request: Request, _ context: SimulatorRequestContext) async throws
        -> Response
    {
        let route = try route(context)
        let identity = try identity(context)
        // ActionsController has no [ApiController]: an unreadable body binds to null and then
        // fails the same "Action is missing" check as a missing action.
        let bytes = Array(try await request.body.collect(upTo: context.maxUploadSize).readableBytesView)
        let fields = JSONValue.parse(bytes).flatMap(UserActionBody.init)
        guard let action = fields?.action else {
            return Replies.problem(
                .badRequest, Bodies.actionMissingProblem(instanceGuid: route.key.guid))
        }
        guard await lookup(route) != nil else {
            // Storage errors are not caught in ActionsController: unhandled → empty 500.
            return Replies.empty(.internalServerError)
        }
        let baseURL = Self.baseURL(request)
        switch await state.userAction(
            route.key, identity: identity, action: action, onBehalfOf: fields?.onBehalfOf)
        {
        case .done(let record):
            return Replies.json(.ok, Bodies.userActionResponse(record, baseURL: baseURL, error: nil))
        case .notFound:
            return Replies.empty(.internalServerError)
        case .processEnded:
            return Replies.negotiatedString(
                .conflict, "Process is ended.", accept: request.headers[.accept])
        case .forbidden:
            // The PDP denies the action on this task (e.g. `sign` in a data task): `Forbid()`,
            // empty body — the documented step before the handler lookup (§1.2 step 5).
            return Replies.empty(.forbidden)
        case .actionNotFound(let record):
            // Allowed by the policy but no handler (e.g. `write`): §1.2 step 6.
            return Replies.json(
                .notFound,
                Bodies.userActionResponse(
                    record, baseURL: baseURL,
                    error: ("ActionNotFound", "Action handler with id \(action) not found")))
        case .unauthorizedOnBehalfOf(let record):
            return Replies.json(
                .unauthorized,
                Bodies.userActionResponse(
                    record, baseURL: baseURL,
                    error: ("UnauthorizedOnBehalfOf", "Unauthorized to sign on behalf of.")))
        }
    }

    private func signing(_ request: Request, _ context: SimulatorRequestContext) async throws
        -> Response
    {
        let route = try route(context)
        guard await lookup(route) != nil else {
            // The failed Storage call is not caught (§7): empty 500.
            return Replies.empty(.internalServerError)
        }
        let taskId = request.uri.queryParameters.get("taskId")
        switch await state.signingState(route.key, taskId: taskId, caller: context.identity?.kind) {
        case .states(let rows):
            let spelling = await state.faults.organisationSpelling
            return Replies.json(.ok, Bodies.signingState(rows, organisationSpelling: spelling))
        case .notFound, .failedAfterSystemUserSign:
            return Replies.empty(.internalServerError)
        case .rightsRevoked:
            // SigningController reads the instance from Storage with the caller's token first; with the rights
            // gone Storage answers 403, which the app does not catch: an empty 500, as for an unknown instance
            // (altinn-api.md §1.3/§7; derived from code, not observed).
            return Replies.empty(.internalServerError)
        case .notASigningTask:
            return Replies.problem(.badRequest, Bodies.notASigningTaskProblem())
        }
    }
}

/// `ProcessNext { action, actionOnBehalfOf }`; nil when a member has the wrong type.
struct ProcessNextBody {
    let action: String?
    let actionOnBehalfOf: String?

    init?(_ body: JSONValue) {
        if body.isNull {
            action = nil
            actionOnBehalfOf = nil
            return
        }
        guard case .object = body,
            let action = Self.optionalString(body["action"]),
            let onBehalfOf = Self.optionalString(body["actionOnBehalfOf"])
        else { return nil }
        self.action = action
        self.actionOnBehalfOf = onBehalfOf
    }

    /// `.some(nil)` for absent/null, `.some(text)` for a string, nil for any other type.
    static func optionalString(_ value: JSONValue?) -> String?? {
        switch value {
        case nil, .null?: return .some(nil)
        case .string(let text)?: return .some(text)
        default: return nil
        }
    }
}

/// `UserActionRequest { action, buttonId, metadata, ignoredValidators, onBehalfOf }`.
struct UserActionBody {
    let action: String?
    let onBehalfOf: String?

    init?(_ body: JSONValue) {
        guard case .object = body,
            let action = ProcessNextBody.optionalString(body["action"]),
            let onBehalfOf = ProcessNextBody.optionalString(body["onBehalfOf"])
        else { return nil }
        self.action = action
        self.onBehalfOf = onBehalfOf
    }
}
