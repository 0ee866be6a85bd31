import Foundation
import Hummingbird

/// `GET …/signing/data-elements` and `GET …/signing/organizations` (altinn-signing-more.md §5,
/// `SigningController`). No `[Authorize]`: both read the instance with the caller's token first (a failed Storage
/// read is not caught: empty 500), then answer 400 "Not a signing task" before any identity check.
struct SigningReadRoutes {
    let state: SimulatorState

    func register(on group: RouterGroup<SimulatorRequestContext>) {
        group.get("signing/data-elements") { request, context in try await dataElements(request, context) }
        group.get("signing/organizations") { request, context in try await organizations(request, context) }
    }

    /// The instance's elements whose `dataType` is in the task's `dataTypesToSign` (case-sensitive), in the
    /// config's order, then by `created`; `selfLinks.apps` on the request's host. Any identity that can read.
    private func dataElements(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let record: InstanceRecord
        switch await self.signingTask(request, context) {
        case .failure(let failure): return failure.response
        case .success(let found): record = found
        }
        let toSign = [DataElementRecord.documentType]
        let elements = record.dataElements
            .filter { toSign.contains($0.dataType) }
            .sorted { a, b in
                let (ia, ib) = (toSign.firstIndex(of: a.dataType) ?? 0, toSign.firstIndex(of: b.dataType) ?? 0)
                return ia != ib ? ia < ib : a.created < b.created
            }
        let baseURL = "http://\(request.head.authority ?? "localhost")"
        return Replies.json(
            .ok,
            .obj([
                "dataElements": .array(
                    elements.map {
                        Bodies.dataElement(
                            record, baseURL: baseURL, id: $0.id, dataType: $0.dataType, contentType: $0.contentType,
                            size: $0.bytes.count, locked: false, task: nil, created: $0.created,
                            lastChanged: $0.lastChanged)
                    })
            ]))
    }

    /// `Authenticated.User` only: the organisations where the user holds a key role (empty list if none). Every
    /// other identity gets `Unauthorized()`, which `[ApiController]` turns into a ProblemDetails.
    private func organizations(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        switch await self.signingTask(request, context) {
        case .failure(let failure): return failure.response
        case .success: break
        }
        guard let identity = context.identity, identity.kind == .user else {
            return Replies.problem(
                .unauthorized,
                .obj([
                    "type": .string("https://tools.ietf.org/html/rfc9110#section-15.5.2"),
                    "title": .string("Unauthorized"),
                    "status": .int(401),
                    "traceId": .string("00-\(Self.hex(32))-\(Self.hex(16))-00"),
                ]))
        }
        var organizations: [JSONValue] = []
        if let number = identity.organizationNumber, let party = identity.organizationPartyId {
            organizations.append(
                .obj([
                    "orgNumber": .string(number), "orgName": .optionalString(identity.organizationName),
                    "partyId": .int(party),
                ]))
        }
        return Replies.json(.ok, .obj(["organizations": .array(organizations)]))
    }

    /// The instance, when it exists under this app and `?taskId=` (or the current task) is a signing task.
    private func signingTask(_ request: Request, _ context: SimulatorRequestContext) async
        -> Result<InstanceRecord, ResponseFailure>
    {
        guard let route = InstanceRoute(context), let record = await state.instance(route.key),
            record.org == route.org, record.app == route.app
        else { return .failure(ResponseFailure(Replies.empty(.internalServerError))) }
        let task: ProcessTaskDefinition?
        if let taskId = request.uri.queryParameters.get("taskId"), !taskId.isEmpty {
            task = record.task(withId: taskId)
        } else {
            task = record.currentTask
        }
        guard let task, task.isSigning else {
            return .failure(ResponseFailure(Replies.problem(.badRequest, Bodies.notASigningTaskProblem())))
        }
        return .success(record)
    }

    private static func hex(_ count: Int) -> String {
        String((0..<count).map { _ in "0123456789abcdef".randomElement() ?? "0" })
    }
}

/// An early answer, carried through a `Result`.
struct ResponseFailure: Error {
    let response: Response
    init(_ response: Response) { self.response = response }
}
