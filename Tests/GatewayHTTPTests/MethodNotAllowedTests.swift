import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatewayHTTP

/// The HTTP layer in process (HummingbirdTesting): how unmatched requests read as problems.
@Suite struct MethodNotAllowedTests {
    func application() -> some ApplicationProtocol {
        let router = Router(context: GatewayRequestContext.self)
        router.add(middleware: ProblemMiddleware())
        router.post("v1/signatures") { _, _ in Response(status: .ok) }
        router.get("v1/instances/:org/:app/signees") { _, _ in Response(status: .ok) }
        router.delete("v1/instances/:org/:app/signees") { _, _ in Response(status: .noContent) }
        router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
        return Application(router: router)
    }

    @Test func aKnownPathWithAnotherMethodIs405WithAllow() async throws {
        try await self.application().test(.router) { client in
            try await client.execute(uri: "/v1/signatures", method: .get) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
                #expect(response.headers[.contentType] == "application/problem+json")
            }
            try await client.execute(uri: "/v1/instances/ttd/app/signees", method: .put) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "DELETE, GET")
            }
        }
    }

    @Test func anUnknownPathStays404AndAMatchedRouteIsUntouched() async throws {
        try await self.application().test(.router) { client in
            try await client.execute(uri: "/v1/nothing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.allow] == nil)
            }
            try await client.execute(uri: "/v1/instances/ttd/app/extra/signees", method: .get) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/v1/signatures", method: .post) { response in
                #expect(response.status == .ok)
            }
        }
    }
}
