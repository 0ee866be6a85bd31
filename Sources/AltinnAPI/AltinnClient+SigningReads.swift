import Foundation
package import Transport

/// The signing task's other reads (altinn-signing-more.md §5). Like `GET …/signing`, both answer 400
/// "Not a signing task" outside one (checked before any identity check) and take `?taskId=` for a past one.
extension AltinnClient {
    /// `GET …/signing/data-elements[?taskId=]`: the elements the task signs, in the task's `dataTypesToSign`
    /// order, then by `created`. Any identity that may read the instance may call it.
    package func signingDataElements(
        _ instance: InstanceReference,
        taskId: String?,
        language: String?,
        token: AccessToken
    ) async throws(AltinnError) -> SigningDataElementsResponse {
        let response = try await self.send(
            .getSigningDataElements, instance, query: Self.signingQuery(taskId, language), body: nil, token)
        return try Self.decode(SigningDataElementsResponse.self, response, .getSigningDataElements)
    }

    /// `GET …/signing/organizations[?taskId=]`: where the token's *user* may sign on behalf of an organisation.
    /// A system user or service owner gets 401 (`Unauthorized()`), not a stale-token 401.
    package func signingOrganizations(
        _ instance: InstanceReference,
        taskId: String?,
        language: String?,
        token: AccessToken
    ) async throws(AltinnError) -> SigningAuthorizedOrganizationsResponse {
        let response = try await self.send(
            .getSigningOrganizations, instance, query: Self.signingQuery(taskId, language), body: nil, token)
        return try Self.decode(SigningAuthorizedOrganizationsResponse.self, response, .getSigningOrganizations)
    }

    private static func signingQuery(_ taskId: String?, _ language: String?) -> [(String, String)] {
        var query = Self.languageQuery(language)
        if let taskId { query.append(("taskId", taskId)) }
        return query
    }
}
