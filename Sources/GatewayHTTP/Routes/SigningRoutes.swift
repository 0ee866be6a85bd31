import AltinnAPI
import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import Storage

/// `/v1` signing routes. Each handler only translates: HTTP in → command → use case → HTTP out.
struct SigningRoutes: Sendable {
    let useCases: UseCases
    let maxBodyBytes: Int

    func register(on group: RouterGroup<GatewayRequestContext>) {
        group.post("signatures", use: self.sign)
        group.post("process/next", use: self.processNext)
        group.post("rejections", use: self.reject)
        group.get("instances/:org/:app/:partyId/:instanceGuid/signees", use: self.signees)
        group.get("instances/:org/:app/:partyId/:instanceGuid/signatures", use: self.signatures)
        group.get("instances/:org/:app/:partyId/:instanceGuid/signing/data-elements", use: self.signingDocuments)
        group.get("instances/:org/:app/:partyId/:instanceGuid/signing/organizations", use: self.signingOrganizations)
    }

    @Sendable func sign(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try context.authorize(.sign)
        let key = try Self.idempotencyKey(request, context: context)
        let bytes = try await JSONBody.read(request, limit: self.maxBodyBytes)
        let body = try JSONBody.decode(SignRequestBody.self, from: bytes)
        // Arming makes the gateway call process/next later, in this client's name.
        if body.track, body.completeWhenAllSigned { try context.authorize(.processNext) }
        let instance = try body.selector.resolve(in: self.useCases.environment)
        try context.authorize(app: instance.app)
        let command = SignCommand(
            instance: instance, mode: body.mode, onBehalfOf: body.onBehalfOf, language: body.language,
            tokenProfile: try context.tokenProfile(
                requested: body.tokenProfile, gatewayDefault: self.useCases.defaultTokenProfile))
        let inbound = InboundFacts(
            context, request: request, clientId: context.clientId, idempotencyKey: key, body: bytes)
        return try await Self.answer { () async throws(StoreError) -> IdempotencyGate.Answer in
            try await self.useCases.sign.execute(
                .init(
                    command: command, track: body.track, completeWhenAllSigned: body.completeWhenAllSigned,
                    inbound: inbound),
                rendering: Self.rendering(ResponseBodies.sign, requestId: context.id))
        }
    }

    @Sendable func processNext(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await self.processWrite(request, context, operation: .processNext) {
            command, inbound async throws(StoreError) -> IdempotencyGate.Answer in
            try await self.useCases.processNext.execute(
                command, inbound: inbound, rendering: Self.rendering(ResponseBodies.processNext, requestId: context.id))
        }
    }

    @Sendable func reject(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await self.processWrite(request, context, operation: .reject) {
            command, inbound async throws(StoreError) -> IdempotencyGate.Answer in
            try await self.useCases.reject.execute(
                command, inbound: inbound, rendering: Self.rendering(ResponseBodies.reject, requestId: context.id))
        }
    }

    /// process/next and reject take the same body: `{app, instanceId | instanceUrl, language?, tokenProfile?}`.
    private func processWrite(
        _ request: Request, _ context: GatewayRequestContext, operation: ClientOperation,
        _ execute: (ProcessNextCommand, InboundFacts) async throws(StoreError) -> IdempotencyGate.Answer
    ) async throws -> Response {
        try context.authorize(operation)
        let key = try Self.idempotencyKey(request, context: context)
        let bytes = try await JSONBody.read(request, limit: self.maxBodyBytes)
        let body = try JSONBody.decode(ProcessNextRequestBody.self, from: bytes)
        let instance = try body.selector.resolve(in: self.useCases.environment)
        try context.authorize(app: instance.app)
        let command = ProcessNextCommand(
            instance: instance, language: body.language,
            tokenProfile: try context.tokenProfile(
                requested: body.tokenProfile, gatewayDefault: self.useCases.defaultTokenProfile))
        let inbound = InboundFacts(
            context, request: request, clientId: context.clientId, idempotencyKey: key, body: bytes)
        return try await Self.answer { () async throws(StoreError) -> IdempotencyGate.Answer in
            try await execute(command, inbound)
        }
    }

    @Sendable func signees(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await self.signingRead(request, context) { query, inbound async throws(StoreError) -> StoredResponse in
            try await self.useCases.signingState.execute(
                query, inbound: inbound,
                rendering: Self.rendering(
                    { snapshot, environment in
                        ResponseBodies.signees(snapshot, instance: query.instance, environment: environment)
                    }, requestId: context.id))
        }
    }

    // MARK: - Idempotency

    /// How answers read over HTTP: a success as JSON, a failure as its problem (stored for replay with the key).
    static func rendering<Outcome>(
        _ render: @escaping @Sendable (Outcome, AltinnEnvironment) -> JSONValue, requestId: String
    ) -> AnswerRendering<Outcome> {
        AnswerRendering(
            success: { outcome, environment in .ok(render(outcome, environment)) },
            failure: { error in
                let problem = Problem(error)
                return (problem.stored(requestId: requestId), SignProblem(problem))
            })
    }

    /// The gate's answer as HTTP: fresh or replayed, or a refusal of the key.
    private static func answer(_ execute: () async throws(StoreError) -> IdempotencyGate.Answer) async throws
        -> Response
    {
        let answer: IdempotencyGate.Answer
        do {
            answer = try await execute()
        } catch {
            // The store failed around the call: the answer is not recorded, so it is not given.
            throw Problem(
                .storeUnavailable,
                "The call could not be recorded; its outcome is unknown. Read …/signees before retrying.",
                extensions: [("signMayHaveHappened", true)])
        }
        switch answer {
        case .fresh(let stored): return Response(stored: stored)
        case .replayed(let stored): return Response(stored: stored, replayed: true)
        case .refused(.inFlight):
            throw Problem(.idempotencyKeyInUse, "A request with this Idempotency-Key is still in flight; retry later.")
        case .refused(.fingerprintMismatch):
            throw Problem(.idempotencyKeyReused, "This Idempotency-Key was already used with a different request.")
        case .refused(.outcomeUnknown):
            throw Problem(
                .outcomeUnknown,
                "The first request with this Idempotency-Key was interrupted while calling Altinn. Read …/signees to learn whether it signed; the gateway will not resend it.",
                extensions: [("signMayHaveHappened", true)])
        }
    }

    /// The Idempotency-Key header; for a signed request without one, its `webhook-id` (already validated).
    static func idempotencyKey(_ request: Request, context: GatewayRequestContext) throws -> String {
        let values = request.headers[values: .idempotencyKey]
        if values.isEmpty, let webhookId = context.webhookId { return webhookId }
        guard !values.isEmpty else {
            throw Problem(.idempotencyKeyMissing, "This operation requires an Idempotency-Key header.")
        }
        guard values.count == 1, let key = try? IdempotencyKey(headerValue: values[0]) else {
            throw Problem(
                .invalidRequest,
                "Idempotency-Key must be one sf-string (\"…\") or token of 1-255 printable ASCII characters.",
                extensions: [("errors", .array([.object([("header", "Idempotency-Key"), ("detail", "malformed")])]))])
        }
        return key.value
    }
}

extension StoredResponse {
    static func ok(_ json: JSONValue) -> StoredResponse { .json(200, json) }

    static func json(_ status: Int, _ json: JSONValue) -> StoredResponse {
        StoredResponse(status: status, contentType: "application/json", body: json.serialized)
    }

    static func problem(_ problem: Problem, _ requestId: String) -> StoredResponse {
        problem.stored(requestId: requestId)
    }
}

/// `?taskId=&language=&tokenProfile=` of the signees route. Unknown or repeated parameters are refused.
struct SigneesQuery {
    var taskId: String?
    var language: String?
    var tokenProfile: String?

    init(_ parameters: Parameters) throws(Problem) {
        let query = try QueryParameters(parameters, allowed: ["taskId", "language", "tokenProfile"])
        self.taskId = query["taskId"]
        self.language = query["language"]
        self.tokenProfile = query["tokenProfile"]
        if let taskId, !FieldRules.isTaskId(taskId) {
            throw QueryParameters.invalid("taskId", "taskId must be a BPMN task id such as Task_2")
        }
        if let language, !FieldRules.isLanguage(language) {
            throw QueryParameters.invalid("language", "language must be nb, nn or en")
        }
        if let tokenProfile, !FieldRules.isTokenProfileName(tokenProfile) {
            throw QueryParameters.invalid("tokenProfile", "tokenProfile is not a valid name")
        }
    }
}

extension SignProblem {
    /// The problem the caller was told, as a sign-failure event carries it.
    init(_ problem: Problem) {
        var upstreamStatus: Int?
        for case ("upstreamStatus", .int(let status)) in problem.extensions { upstreamStatus = status }
        self.init(
            type: problem.type.uri, status: problem.type.status, detail: problem.detail, upstreamStatus: upstreamStatus)
    }
}
