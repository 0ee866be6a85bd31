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
            Response(
                stored: .ok(
                    .array(
                        ProblemType.allCases.map { type in
                            .object([
                                ("type", .string(type.uri)), ("status", .int(type.status)),
                                ("title", .string(type.title)),
                                ("guidance", .string(type.guidance)),
                            ])
                        })))
        }
    }

    /// `openapi.yaml`, shipped as a resource of this module (the repository root links to it).
    static func loadOpenAPIDocument() throws -> ByteBuffer {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "yaml") else {
            throw CocoaError(.fileNoSuchFile)
        }
        return ByteBuffer(bytes: try Data(contentsOf: url))
    }
}
