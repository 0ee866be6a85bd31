import AltinnAPI
import Gateway
import Hummingbird
import Storage

/// `GET …/signatures`, `GET …/signing/data-elements` and `GET …/signing/organizations`: the other reads, with the
/// signees read's query (`?taskId=&language=&tokenProfile=`), operation (`read` on the app) and audit
/// (`signingRead`, which the signees read goes through too).
extension SigningRoutes {
    @Sendable func signingDocuments(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await self.signingRead(request, context) { query, inbound async throws(StoreError) -> StoredResponse in
            try await self.useCases.signingReads.documents(
                query, inbound: inbound,
                rendering: Self.rendering(
                    { documents, environment in
                        ResponseBodies.signingDocuments(documents, instance: query.instance, environment: environment)
                    }, requestId: context.id))
        }
    }

    @Sendable func signingOrganizations(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await self.signingRead(request, context) { query, inbound async throws(StoreError) -> StoredResponse in
            try await self.useCases.signingReads.organizations(
                query, inbound: inbound,
                rendering: Self.rendering(
                    { organizations, environment in
                        ResponseBodies.signingOrganizations(
                            organizations, instance: query.instance, environment: environment)
                    }, requestId: context.id))
        }
    }

    /// `GET …/signatures`: the instance's signature documents (`?taskId=` for one task).
    @Sendable func signatures(_ request: Request, context: GatewayRequestContext) async throws -> Response {
        try await self.signingRead(request, context) { query, inbound async throws(StoreError) -> StoredResponse in
            try await self.useCases.signingReads.signatures(
                query, inbound: inbound,
                rendering: Self.rendering(
                    { listing, environment in
                        ResponseBodies.signatures(
                            listing, instance: query.instance, taskId: query.taskId, environment: environment)
                    }, requestId: context.id))
        }
    }

    /// A read of the instance's signing (the signees, documents, organizations, signatures): access, query,
    /// inbound facts, and the answer or the audit log's failure.
    func signingRead(
        _ request: Request, _ context: GatewayRequestContext,
        _ execute: (SigningStateQuery, InboundFacts) async throws(StoreError) -> StoredResponse
    ) async throws -> Response {
        try context.authorize(.read)
        let instance = try context.instanceFromPath()
        try context.authorize(app: instance.app)
        let query = try SigneesQuery(request.uri.queryParameters)
        let stateQuery = SigningStateQuery(
            instance: instance, taskId: query.taskId, language: query.language,
            tokenProfile: try context.tokenProfile(
                requested: query.tokenProfile, gatewayDefault: self.useCases.defaultTokenProfile))
        let inbound = InboundFacts(context, request: request, clientId: context.clientId)
        do {
            return Response(stored: try await execute(stateQuery, inbound))
        } catch {
            throw Problem(.storeUnavailable, "The call could not be recorded in the audit log.")
        }
    }
}

extension ResponseBodies {
    static func signingDocuments(
        _ documents: SigningDocuments, instance: InstanceReference, environment: AltinnEnvironment
    ) -> JSONValue {
        .object([
            ("instance", self.instance(instance, environment)),
            ("taskId", documents.taskId.json),
            (
                "dataElements",
                .array(
                    documents.elements.map { element in
                        .object([
                            ("id", element.id.json),
                            ("dataType", element.dataType.json),
                            ("contentType", element.contentType.json),
                            ("filename", element.filename.json),
                            ("size", element.size.map { .int($0) } ?? .null),
                            ("created", element.created.map { .string($0.description) } ?? .null),
                            ("locked", .bool(element.locked)),
                        ])
                    })
            ),
        ])
    }

    static func signingOrganizations(
        _ organizations: SigningOrganizations, instance: InstanceReference, environment: AltinnEnvironment
    ) -> JSONValue {
        .object([
            ("instance", self.instance(instance, environment)),
            ("taskId", organizations.taskId.json),
            (
                "organizations",
                .array(
                    organizations.organizations.map { organization in
                        .object([
                            ("partyId", .int(organization.partyId)),
                            ("organizationNumber", organization.organizationNumber.json),
                            ("name", organization.name.json),
                        ])
                    })
            ),
        ])
    }
}
