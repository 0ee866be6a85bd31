import AltinnAPI
package import Storage
import Transport

extension SigningService {
    /// `GET …/signing/data-elements`: what the task signs. Any identity that may read the instance may ask.
    package func signingDocuments(_ query: SigningStateQuery) async throws(GatewayError) -> SigningDocuments {
        let profile = query.tokenProfile ?? self.defaultTokenProfile
        let response = try await self.diagnosingRead(query, profile: profile) { token throws(AltinnError) in
            try await self.altinn.signingDataElements(
                query.instance, taskId: query.taskId, language: query.language, token: token)
        }
        return SigningDocuments(taskId: query.taskId, response: response)
    }

    /// `GET …/signing/organizations`: only a user's token may ask; Altinn answers any other identity 401, and
    /// that 401 is about the identity, so the token is not refreshed for it.
    package func signingOrganizations(_ query: SigningStateQuery) async throws(GatewayError) -> SigningOrganizations {
        let profile = query.tokenProfile ?? self.defaultTokenProfile
        let response = try await self.diagnosingRead(query, profile: profile, refreshOn401: false) {
            token throws(AltinnError) in
            try await self.altinn.signingOrganizations(
                query.instance, taskId: query.taskId, language: query.language, token: token)
        }
        return SigningOrganizations(taskId: query.taskId, response: response)
    }

    /// A signing read whose empty 500 (Altinn does not catch the failed Storage read of an unknown or unreadable
    /// instance) is explained by the process state, like `signingState`.
    private func diagnosingRead<T: Sendable>(
        _ query: SigningStateQuery, profile: String, refreshOn401: Bool = true,
        _ call: (AccessToken) async throws(AltinnError) -> T
    ) async throws(GatewayError) -> T {
        do {
            return try await self.read(profile: profile, refreshOn401: refreshOn401, call)
        } catch .altinn(.rejected(let rejection), let may) where rejection.status == 500 {
            guard let diagnosis = await self.diagnose(rejection, query.instance, profile: profile) else {
                throw .altinn(.rejected(rejection), signMayHaveHappened: may)
            }
            throw .diagnosed(rejection, diagnosis)
        }
    }
}

/// The two other signing reads, audited like the signees read (operations `signingDataElements` and
/// `signingOrganizations`, the answer's digest included).
package struct SigningReadsUseCase: Sendable {
    private let service: SigningService
    private let audit: AuditTrail
    private let defaultTokenProfile: String

    package init(service: SigningService, audit: AuditTrail, defaultTokenProfile: String) {
        self.service = service
        self.audit = audit
        self.defaultTokenProfile = defaultTokenProfile
    }

    package func documents(
        _ query: SigningStateQuery, inbound: InboundFacts, rendering: AnswerRendering<SigningDocuments>
    ) async throws(StoreError) -> StoredResponse {
        try await self.execute(query, .getSigningDataElements, "signingDataElements", inbound, rendering) {
            () async throws(GatewayError) in try await self.service.signingDocuments(query)
        }
    }

    package func organizations(
        _ query: SigningStateQuery, inbound: InboundFacts, rendering: AnswerRendering<SigningOrganizations>
    ) async throws(StoreError) -> StoredResponse {
        try await self.execute(query, .getSigningOrganizations, "signingOrganizations", inbound, rendering) {
            () async throws(GatewayError) in try await self.service.signingOrganizations(query)
        }
    }

    /// The instance's signature documents (what each signee signed, as digests), audited as `signatures`.
    package func signatures(
        _ query: SigningStateQuery, inbound: InboundFacts, rendering: AnswerRendering<SignatureListing>
    ) async throws(StoreError) -> StoredResponse {
        try await self.execute(query, .getInstance, "signatures", inbound, rendering) { () async throws(GatewayError) in
            try await self.service.signatureDocuments(
                query.instance, taskId: query.taskId, tokenProfile: query.tokenProfile)
        }
    }

    private func execute<Outcome: Sendable>(
        _ query: SigningStateQuery, _ call: AltinnOperation, _ operation: String, _ inbound: InboundFacts,
        _ rendering: AnswerRendering<Outcome>, _ read: () async throws(GatewayError) -> Outcome
    ) async throws(StoreError) -> StoredResponse {
        let environment = self.service.environment
        let result = await capture(read)
        let response: StoredResponse
        switch result {
        case .success(let outcome): response = rendering.success(outcome, environment)
        case .failure(let error): response = rendering.failure(error).answer
        }
        try await self.audit.append(
            inbound,
            .signingRead(
                operation, call, query, environment: environment, defaultProfile: self.defaultTokenProfile,
                result: result.map { _ in () }),
            responseBody: response.body, durability: .written)
        return response
    }
}

extension UseCases {
    /// The data-elements and organizations reads, over the signees read's service and audit trail.
    package var signingReads: SigningReadsUseCase { self.signingState.reads }
}

extension SigningStateUseCase {
    var reads: SigningReadsUseCase {
        SigningReadsUseCase(service: self.service, audit: self.audit, defaultTokenProfile: self.defaultTokenProfile)
    }
}

extension CallRecord {
    /// A signing read other than the signees: `operation` names it in the audit log, `call` upstream.
    static func signingRead(
        _ operation: String,
        _ call: AltinnOperation,
        _ query: SigningStateQuery,
        environment: AltinnEnvironment,
        defaultProfile: String,
        result: Result<Void, GatewayError>
    ) -> CallRecord {
        self.make(operation, query.instance, query.tokenProfile ?? defaultProfile, call, environment, result)
    }
}
