package import AltinnAPI
import HTTPTypes
package import Storage

/// `GET /v1/apps/{org}/{app}` as a use case: the preflight, audited like every read (the answer's digest included).
package struct AppPreflightUseCase: Sendable {
    package let preflight: AppPreflight
    private let audit: AuditTrail

    package init(preflight: AppPreflight, audit: AuditTrail) {
        self.preflight = preflight
        self.audit = audit
    }

    /// How the edge renders a report or a failure.
    package struct Rendering: Sendable {
        package var success: @Sendable (PreflightReport) -> StoredResponse
        package var failure: @Sendable (PreflightError) -> StoredResponse

        package init(
            success: @escaping @Sendable (PreflightReport) -> StoredResponse,
            failure: @escaping @Sendable (PreflightError) -> StoredResponse
        ) {
            self.success = success
            self.failure = failure
        }
    }

    /// The names of the gateway's token profiles (the route narrows them to the caller's).
    package var tokenProfileNames: [String] { self.preflight.profiles.map(\.name) }

    package func execute(
        _ app: AppReference, tokenProfiles: Set<String>?, inbound: InboundFacts, rendering: Rendering
    ) async throws(StoreError) -> StoredResponse {
        let response: StoredResponse
        let call: CallRecord
        do {
            let (report, fresh) = try await self.preflight.check(app, tokenProfiles: tokenProfiles)
            response = rendering.success(report)
            call = CallRecord.appPreflight(app, environment: self.preflight.environment, result: .success(fresh))
        } catch {
            response = rendering.failure(error)
            call = CallRecord.appPreflight(app, environment: self.preflight.environment, result: .failure(error))
        }
        try await self.audit.append(inbound, call, responseBody: response.body, durability: .written)
        return response
    }
}

extension CallRecord {
    /// A preflight's audit facts: the app (in `instance`), no token profile (the routes are anonymous), and the
    /// metadata read, or the call that failed. Served from the cache: no upstream call.
    package static func appPreflight(
        _ app: AppReference, environment: AltinnEnvironment, result: Result<Bool, PreflightError>
    ) -> CallRecord {
        var record = CallRecord(operation: "appPreflight", instance: app.description, outcome: "succeeded")
        func upstream(_ operation: AltinnOperation, _ status: Int?) {
            record.upstreamMethod = operation.method.rawValue
            record.upstreamURL = operation.url(app, in: environment)
            record.upstreamStatus = status
        }
        switch result {
        case .success(true): upstream(.getApplicationMetadata, 200)
        case .success(false): break
        case .failure(.appNotFound(let operation)):
            upstream(operation, 404)
            record.outcome = "rejected"
        case .failure(.metadataInvalid):
            upstream(.getApplicationMetadata, 200)
            record.outcome = "failed"
        case .failure(.processDefinitionInvalid), .failure(.processDefinitionTooLarge):
            upstream(.getProcessDefinition, 200)
            record.outcome = "failed"
        case .failure(.altinn(let error)):
            switch error {
            case .transport(_, let operation):
                upstream(operation, nil)
                record.outcome = "failed"
            case .rejected(let rejection):
                upstream(rejection.operation, rejection.status)
                record.outcome = rejection.status >= 500 ? "failed" : "rejected"
            case .undecodable(let status, let operation):
                upstream(operation, status)
                record.outcome = "failed"
            }
        }
        return record
    }
}
