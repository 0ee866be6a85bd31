import Foundation
import Hummingbird

/// `GET /{org}/{app}/api/v1/applicationmetadata` and `GET /{org}/{app}/api/v1/meta/process` (reference §4): both
/// `[AllowAnonymous]`, so no token is checked. An app the simulator does not serve answers an empty 404, as a
/// request for an app that is not deployed does.
struct AppDefinitionRoutes {
    let apps: SimulatedApps
    let state: SimulatorState

    func register(on router: Router<SimulatorRequestContext>) {
        let group = router.group("/{org}/{app}/api/v1").add(middleware: RecordingMiddleware(state: state))
        group.get("applicationmetadata") { request, context in try await metadata(request, context) }
        group.get("meta/process") { _, context in try await process(context) }

        let admin = router.group("_simulator/apps").add(middleware: LoopbackOnlyMiddleware())
        admin.put("{org}/{app}/{document}") { request, context in try await install(request, context) }
        admin.delete("{org}/{app}") { _, context in
            await apps.remove(try Self.appId(context))
            return Replies.empty(.noContent)
        }
        admin.post("reset") { _, _ in
            await apps.reset()
            return Replies.empty(.noContent)
        }
    }

    private static func appId(_ context: SimulatorRequestContext) throws -> String {
        guard let org = context.parameters.get("org"), let app = context.parameters.get("app") else {
            throw HTTPError(.notFound)
        }
        return "\(org)/\(app)"
    }

    private func metadata(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let id = try Self.appId(context)
        guard let app = await apps.app(id) else { return Replies.empty(.notFound) }
        await apps.noteRead(id, "applicationmetadata")
        // `checkOrgApp` (default true): a file whose id is another app's answers 409 with a plain string.
        let check = request.uri.queryParameters.get("checkOrgApp")?.lowercased() != "false"
        if check, let stated = JSONValue.parse(app.metadata.body)?["id"]?.stringValue, stated != id {
            return Replies.text(
                .conflict, "This is \(stated), and not the app you are looking for: \(id)!",
                contentType: Replies.textType)
        }
        return Self.serve(app.metadata)
    }

    private func process(_ context: SimulatorRequestContext) async throws -> Response {
        let id = try Self.appId(context)
        guard let app = await apps.app(id) else { return Replies.empty(.notFound) }
        await apps.noteRead(id, "process")
        return Self.serve(app.process)
    }

    private static func serve(_ document: SimulatedApps.Document) -> Response {
        Response(
            status: .ok, headers: [.contentType: document.contentType],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: document.body)))
    }

    /// `PUT /_simulator/apps/{org}/{app}/{applicationmetadata|process}`: serve this body (as sent, with its
    /// Content-Type) from now on.
    private func install(_ request: Request, _ context: SimulatorRequestContext) async throws -> Response {
        let id = try Self.appId(context)
        let document = context.parameters.get("document") ?? ""
        let body = Array(try await request.body.collect(upTo: 4 * 1024 * 1024).readableBytesView)
        let fallback = document == "process" ? DemoApps.xmlType : Replies.jsonType
        let installed = await apps.install(
            id, document: document,
            SimulatedApps.Document(body: body, contentType: request.headers[.contentType] ?? fallback))
        return installed ? Replies.empty(.noContent) : Replies.empty(.notFound)
    }
}
