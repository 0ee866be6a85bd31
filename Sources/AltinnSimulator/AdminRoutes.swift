import Foundation
import Hummingbird

/// `/_simulator/…`: steer and inspect the simulator. No auth, so only loopback peers may use it.
struct AdminRoutes {
    let state: SimulatorState

    func register(on router: Router<SimulatorRequestContext>) {
        let group = router.group("_simulator").add(middleware: LoopbackOnlyMiddleware())
        group.get("instances") { _, _ in await listInstances() }
        group.post("instances") { request, context in try await createInstance(request, context) }
        group.post("reset") { _, _ in
            await state.reset()
            return Replies.empty(.noContent)
        }
        group.get("faults") { _, _ in Replies.json(.ok, await state.faults.json) }
        group.put("faults") { request, context in try await putFaults(request, context) }
        group.get("network-faults") { _, _ in Replies.json(.ok, networkFaultsJSON()) }
        group.post("network-faults") { request, context in try await armNetworkFault(request, context) }
        group.delete("network-faults") { _, _ in
            state.network.clear()
            return Replies.empty(.noContent)
        }
        group.post("instances/{partyId}/{guid}/signees/{signeePartyId}/sign") { _, context in
            try await signOutOfBand(context)
        }
        group.put("instances/{partyId}/{guid}/data/{dataGuid}") { request, context in
            try await changeDocument(request, context)
        }
        DialogportenAdminRoutes(state: state).register(on: group)
        group.get("requests") { _, _ in
            // `total` counts every request ever received; the list keeps only the last ones.
            Replies.json(
                .ok,
                .obj([
                    "total": .int(await state.requestTotal),
                    "requests": .array(await state.recordedRequests().map(\.json)),
                ]))
        }
    }

    private func listInstances() async -> Response {
        let rows = await state.allInstances().map { record -> JSONValue in
            .obj([
                "id": .string(record.id),
                "app": .string(record.appId),
                "template": .string(record.template.rawValue),
                "currentTask": .optionalString(record.currentTask?.elementId),
                "ended": .bool(record.isEnded),
                "signCalls": .int(record.signCalls),
                "processNextCalls": .int(record.processNextCalls),
            ])
        }
        return Replies.json(.ok, .obj(["instances": .array(rows)]))
    }

    private func createInstance(_ request: Request, _ context: SimulatorRequestContext) async throws
        -> Response
    {
        let bytes = Array(try await request.body.collect(upTo: context.maxUploadSize).readableBytesView)
        guard let name = JSONValue.parse(bytes)?["template"]?.stringValue,
            let template = DemoTemplate(rawValue: name)
        else {
            return Replies.problem(
                .badRequest,
                .obj([
                    "title": .string("Bad template"), "status": .int(400),
                    "detail": .string("Use A, B, C, D or E."),
                ]))
        }
        let id = await state.createInstance(template: template)
        return Replies.json(
            .created, .obj(["id": .string(id), "template": .string(template.rawValue)]))
    }

    private func putFaults(_ request: Request, _ context: SimulatorRequestContext) async throws
        -> Response
    {
        let bytes = Array(try await request.body.collect(upTo: context.maxUploadSize).readableBytesView)
        guard let body = JSONValue.parse(bytes), let faults = await state.faults.updated(with: body)
        else {
            return Replies.problem(
                .badRequest,
                .obj([
                    "title": .string("Bad faults"), "status": .int(400),
                    "detail": .string(
                        "Expected {latencyMs, errorRate, dropReplyRate, organisationSpelling, failSigningAfterSign, lockHoldMs, signatureReadForbidden}, rates in 0...1."
                    ),
                ]))
        }
        await state.setFaults(faults)
        return Replies.json(.ok, faults.json)
    }

    /// `POST /_simulator/network-faults` `{"route":"actions","fault":"closeAfterHandler","count":1,
    /// "warmOnly":true,"dripMilliseconds":100}`: arms one rule (see `NetworkFault`, `NetworkRoute`).
    private func armNetworkFault(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let bytes = Array(try await request.body.collect(upTo: context.maxUploadSize).readableBytesView)
        let body = JSONValue.parse(bytes)
        guard let route = body?["route"]?.stringValue.flatMap(NetworkRoute.init(rawValue:)),
            let fault = body?["fault"]?.stringValue.flatMap(NetworkFault.init(rawValue:))
        else {
            return Replies.problem(
                .badRequest,
                .obj([
                    "title": .string("Bad network fault"), "status": .int(400),
                    "detail": .string(
                        "route: \(NetworkRoute.allCases.map(\.rawValue).joined(separator: "|")); fault: "
                            + NetworkFault.allCases.map(\.rawValue).joined(separator: "|")),
                ]))
        }
        let count = body?["count"]?.intValue ?? 1
        let drip = body?["dripMilliseconds"]?.intValue ?? 100
        var warmOnly = true
        if case .bool(let flag)? = body?["warmOnly"] { warmOnly = flag }
        guard count > 0, (1...10_000).contains(drip) else {
            return Replies.problem(
                .badRequest,
                .obj([
                    "title": .string("Bad network fault"), "status": .int(400),
                    "detail": .string("count must be positive, dripMilliseconds in 1...10000."),
                ]))
        }
        state.network.arm(
            .init(route: route, fault: fault, count: count, warmOnly: warmOnly, dripMilliseconds: drip))
        return Replies.json(.created, networkFaultsJSON())
    }

    private func networkFaultsJSON() -> JSONValue {
        .obj([
            "armed": .array(
                state.network.rules.map {
                    .obj([
                        "route": .string($0.route.rawValue), "fault": .string($0.fault.rawValue),
                        "remaining": .int($0.remaining), "warmOnly": .bool($0.warmOnly),
                    ])
                }),
            "fired": .array(
                state.network.fired.map {
                    .obj([
                        "route": .string($0.route.rawValue), "fault": .string($0.fault.rawValue),
                        "path": .string($0.path),
                    ])
                }),
        ])
    }

    /// `PUT /_simulator/instances/{partyId}/{guid}/data/{dataGuid}` with the new bytes: the document changes
    /// after signing, as app or service-owner code may do (§2), so full validation finds `InvalidSignatureHash`.
    private func changeDocument(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        guard let party = context.parameters.get("partyId", as: Int.self),
            let guid = context.parameters.get("guid").flatMap(UUID.init(uuidString:)),
            let id = context.parameters.get("dataGuid").flatMap(UUID.init(uuidString:))
        else { return Replies.empty(.notFound) }
        let bytes = Array(try await request.body.collect(upTo: context.maxUploadSize).readableBytesView)
        let changed = await state.changeDocument(InstanceKey(partyId: party, guid: guid), id: id, bytes: bytes)
        return Replies.empty(changed ? .noContent : .notFound)
    }

    private func signOutOfBand(_ context: SimulatorRequestContext) async throws -> Response {
        guard let party = context.parameters.get("partyId", as: Int.self),
            let guid = context.parameters.get("guid").flatMap(UUID.init(uuidString:)),
            let signee = context.parameters.get("signeePartyId", as: Int.self)
        else { return Replies.empty(.notFound) }
        switch await state.signOutOfBand(InstanceKey(partyId: party, guid: guid), signeePartyId: signee)
        {
        case nil: return Replies.empty(.notFound)
        case false?:
            return Replies.problem(
                .conflict,
                .obj([
                    "title": .string("Not a pending signee"), "status": .int(409),
                    "detail": .string("No signee \(signee) in the current signing task."),
                ]))
        case true?: return Replies.empty(.noContent)
        }
    }
}

/// The admin API has no auth; refuse peers that are not on this machine.
struct LoopbackOnlyMiddleware: RouterMiddleware {
    typealias Context = SimulatorRequestContext

    func handle(
        _ request: Request, context: Context, next: (Request, Context) async throws -> Response
    )
        async throws -> Response
    {
        guard context.peerIsLoopback else { return Replies.empty(.forbidden) }
        return try await next(request, context)
    }
}
