import Foundation
import HTTPTypes
import Transport

/// The app-level reads a preflight needs. Both routes are `[AllowAnonymous]` in Altinn, so no token is sent: a
/// token would only be one more place for it to leak.
extension AltinnClient {
    /// `GET {app}/api/v1/applicationmetadata`. A body that is not a JSON object of the documented shape is
    /// `.undecodable`.
    package func applicationMetadata(_ app: AppReference) async throws(AltinnError) -> ApplicationMetadata {
        let response = try await self.sendAnonymous(.getApplicationMetadata, app, accept: "application/json")
        do {
            return try JSONDecoder().decode(ApplicationMetadata.self, from: Data(response.body))
        } catch {
            throw .undecodable(status: Int(response.status.code), .getApplicationMetadata)
        }
    }

    /// `GET {app}/api/v1/meta/process`: the BPMN file's raw bytes (at most the transport's response limit). The
    /// caller parses them with `ProcessDefinition.parse`, under its own size cap.
    package func processDefinitionDocument(_ app: AppReference) async throws(AltinnError) -> [UInt8] {
        let response = try await self.sendAnonymous(.getProcessDefinition, app, accept: "text/xml")
        return response.body
    }

    private func sendAnonymous(
        _ operation: AltinnOperation, _ app: AppReference, accept: String
    ) async throws(AltinnError) -> InboundResponse {
        try await self.exchange(
            operation, url: operation.url(app, in: self.environment),
            headers: [.accept: accept, .userAgent: self.userAgent], body: nil)
    }
}
