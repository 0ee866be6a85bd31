package import HTTPTypes
package import Transport

/// One Altinn app-API route: its method and where it lives below the instance. The one route table: the client
/// sends through it and audit records name the call by it.
package enum AltinnOperation: String, Sendable, Equatable {
    case getProcess = "GET process"
    case processNext = "PUT process/next"
    case performAction = "POST actions"
    case getSigningState = "GET signing"
    /// The instance itself (Storage's `Instance`, with its data elements).
    case getInstance = "GET instance"
    /// One data element's stored bytes (`…/data/{dataGuid}`): a signature document, here.
    case getData = "GET data"
    /// The data elements the current (or `?taskId=`) signing task signs (altinn-signing-more.md §5).
    case getSigningDataElements = "GET signing/data-elements"
    /// The organisations a *user* may sign on behalf of; any other identity gets 401 (§5).
    case getSigningOrganizations = "GET signing/organizations"
    /// App-level, anonymous (`[AllowAnonymous]` in Altinn): the app's metadata and its BPMN process definition.
    case getApplicationMetadata = "GET applicationmetadata"
    case getProcessDefinition = "GET meta/process"

    package var method: HTTPRequest.Method {
        switch self {
        case .getProcess, .getSigningState, .getSigningDataElements, .getSigningOrganizations,
            .getApplicationMetadata, .getProcessDefinition, .getInstance, .getData:
            .get
        case .processNext: .put
        case .performAction: .post
        }
    }

    /// The route below `…/instances/{partyId}/{guid}`, or below the app root for the app-level routes.
    package var path: String {
        switch self {
        case .getProcess: "/process"
        case .processNext: "/process/next"
        case .performAction: "/actions"
        case .getSigningState: "/signing"
        case .getInstance: ""
        case .getData: "/data"
        case .getSigningDataElements: "/signing/data-elements"
        case .getSigningOrganizations: "/signing/organizations"
        case .getApplicationMetadata: "/api/v1/applicationmetadata"
        case .getProcessDefinition: "/api/v1/meta/process"
        }
    }

    /// Routes of the app rather than of one instance.
    package var isAppLevel: Bool { self == .getApplicationMetadata || self == .getProcessDefinition }

    /// The call's URL without its query.
    package func url(_ instance: InstanceReference, in environment: AltinnEnvironment) -> String {
        self.isAppLevel ? self.url(instance.app, in: environment) : environment.instanceURL(instance) + self.path
    }

    /// The URL of an app-level route.
    package func url(_ app: AppReference, in environment: AltinnEnvironment) -> String {
        environment.appRoot(app) + self.path
    }
}

/// A failed Altinn call, decoded once. Carries Altinn's machine-readable parts (validation issues,
/// action error code, well-known conflict reasons) but never the raw body or the token.
package enum AltinnError: Error, Sendable, Equatable {
    /// No HTTP response: see `TransportError` for whether the request left.
    case transport(TransportError, AltinnOperation)
    /// Altinn answered with a non-success status.
    case rejected(AltinnRejection)
    /// Altinn answered 2xx with a body that is not the documented model.
    case undecodable(status: Int, AltinnOperation)
}

/// A non-2xx answer from the app API.
package struct AltinnRejection: Sendable, Equatable {
    package var operation: AltinnOperation
    package var status: Int
    package var reason: Reason
    /// `validationIssues` of a 409 ProblemDetails (e.g. `MissingSignatures`).
    package var validationIssues: [ValidationIssue]
    /// `error.code` of a failed `UserActionResponse` (e.g. `UnauthorizedOnBehalfOf`).
    package var actionErrorCode: String?

    package init(
        operation: AltinnOperation,
        status: Int,
        reason: Reason,
        validationIssues: [ValidationIssue] = [],
        actionErrorCode: String? = nil
    ) {
        self.operation = operation
        self.status = status
        self.reason = reason
        self.validationIssues = validationIssues
        self.actionErrorCode = actionErrorCode
    }

    /// What the gateway understood from the body. Detail texts Altinn uses as fixed markers are
    /// recognised; any other text is dropped so that upstream bodies never reach a caller verbatim.
    package enum Reason: Sendable, Equatable {
        case processEnded
        case processNotStarted
        /// A bare ASP.NET 409 (`title:"Conflict"`, no `detail`, no `validationIssues`): a Storage call
        /// answered 409, most often the instance lock another process/next holds.
        case instanceLocked
        case validationFailed
        case notASigningTask
        case actionMissing
        case unauthorized
        case forbidden
        case notFound
        case other
    }

    package var hasMissingSignatures: Bool {
        self.validationIssues.contains { $0.code == "MissingSignatures" }
    }

    /// `SignatureHashValidator`: data in `dataTypesToSign` changed after it was signed. A retry gives the same
    /// answer; only a reject (which removes every signature) and signing again clears it.
    package var hasInvalidSignatureHash: Bool {
        self.validationIssues.contains { $0.code == "InvalidSignatureHash" }
    }
}
