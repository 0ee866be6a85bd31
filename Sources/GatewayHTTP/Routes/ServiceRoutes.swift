import Foundation
import Gateway
import HTTPTypes
import Hummingbird
import Storage

/// Unauthenticated routes: liveness, the API description, the problem catalogue.
struct ServiceRoutes: Sendable {
    let openAPIDocument: ByteBuffer

    func register(on router: Router<GatewayRequestContext>) {
        router.get("healthz") { _, _ in
            Response(stored: .ok(.object([("status", "ok")])))
        }
        router.get("openapi.yaml") { _, _ in
            Response(
                status: .ok, headers: [.contentType: "application/yaml"], body: .init(byteBuffer: self.openAPIDocument))
        }
        router.get("problems") { _, _ in
            Response(stored: .ok(.array(ProblemType.allCases.map(Self.catalogueEntry))))
        }
        // A problem's `type` resolves here, so a person following one from an answer finds what to do.
        router.get("problems/:slug") { _, context in
            guard let type = context.parameters.get("slug").flatMap(ProblemType.init(rawValue:)) else {
                throw Problem(.notFound, "No such problem type; GET /problems lists them.")
            }
            return Response(stored: .ok(Self.catalogueEntry(type)))
        }
    }

    static func catalogueEntry(_ type: ProblemType) -> JSONValue {
        .object([
            ("type", .string(type.uri)), ("status", .int(type.status)), ("title", .string(type.title)),
            ("nextAction", .string(type.nextAction.rawValue)), ("guidance", .string(type.guidance)),
        ])
    }

    /// `openapi.yaml`, shipped as a resource of this module (the repository root links to it).
    static func loadOpenAPIDocument() throws -> ByteBuffer {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return ByteBuffer(bytes: try Data(contentsOf: url))
    }
}
