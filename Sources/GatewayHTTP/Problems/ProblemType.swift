/// The one catalogue of problem `type`s the gateway answers with (RFC 9457). Each type is
/// `/problems/{slug}`, a URI reference resolved against the gateway's own address, where `GET /problems/{slug}`
/// answers with the entry; documented in README.md and openapi.yaml, and listed by `GET /problems`.
package enum ProblemType: String, Sendable, CaseIterable {
    case invalidRequest = "invalid-request"
    case invalidInstanceReference = "invalid-instance-reference"
    case unknownTokenProfile = "unknown-token-profile"
    case unauthenticated = "unauthenticated"
    case notFound = "not-found"
    case methodNotAllowed = "method-not-allowed"
    case payloadTooLarge = "payload-too-large"
    case unsupportedMediaType = "unsupported-media-type"
    case processEnded = "process-ended"
    case notASigningTask = "not-a-signing-task"
    case processNotStarted = "process-not-started"
    case altinnForbidden = "altinn-forbidden"
    case altinnInstanceLocked = "altinn-instance-locked"
    case instanceBusy = "instance-busy"
    case missingSignatures = "missing-signatures"
    case signaturesInvalidated = "signatures-invalidated"
    case rejectNotOffered = "reject-not-offered"
    case altinnConflict = "altinn-conflict"
    case altinnInstanceNotFound = "altinn-instance-not-found"
    case altinnAppNotFound = "altinn-app-not-found"
    case altinnAppDefinitionInvalid = "altinn-app-definition-invalid"
    case altinnRefusedCredentials = "altinn-refused-credentials"
    case userTokenRequired = "user-token-required"
    case altinnRejectedRequest = "altinn-rejected-request"
    case altinnError = "altinn-error"
    case altinnInvalidResponse = "altinn-invalid-response"
    case altinnConnectionLost = "altinn-connection-lost"
    case altinnUnreachable = "altinn-unreachable"
    case altinnTimeout = "altinn-timeout"
    case tokenUnavailable = "token-unavailable"
    case idempotencyKeyMissing = "idempotency-key-missing"
    case idempotencyKeyInUse = "idempotency-key-in-use"
    case idempotencyKeyReused = "idempotency-key-reused"
    case outcomeUnknown = "outcome-unknown"
    case storeUnavailable = "store-unavailable"
    case forbidden = "forbidden"
    case signatureInvalid = "signature-invalid"
    case webhookReplayed = "webhook-replayed"
    case rateLimited = "rate-limited"
    case headersTooLarge = "headers-too-large"
    case limitReached = "limit-reached"
    case internalError = "internal-error"

    package var uri: String { "/problems/\(self.rawValue)" }

    package var status: Int {
        switch self {
        case .invalidRequest, .invalidInstanceReference, .unknownTokenProfile, .idempotencyKeyMissing: return 400
        case .unauthenticated, .signatureInvalid: return 401
        case .webhookReplayed: return 409
        case .rateLimited: return 429
        case .headersTooLarge: return 431
        case .limitReached: return 409
        case .forbidden: return 403
        case .idempotencyKeyInUse, .outcomeUnknown: return 409
        case .idempotencyKeyReused: return 422
        case .notFound, .altinnInstanceNotFound, .altinnAppNotFound: return 404
        case .methodNotAllowed: return 405
        case .processEnded, .notASigningTask, .missingSignatures, .altinnConflict, .processNotStarted,
            .altinnInstanceLocked, .instanceBusy, .signaturesInvalidated, .rejectNotOffered:
            return 409
        case .altinnForbidden, .userTokenRequired: return 403
        case .payloadTooLarge: return 413
        case .unsupportedMediaType: return 415
        case .internalError: return 500
        case .altinnRefusedCredentials, .altinnRejectedRequest, .altinnError, .altinnInvalidResponse,
            .altinnConnectionLost, .altinnAppDefinitionInvalid:
            return 502
        case .altinnUnreachable, .tokenUnavailable, .storeUnavailable: return 503
        case .altinnTimeout: return 504
        }
    }

    package var title: String {
        switch self {
        case .invalidRequest: return "The request is not valid"
        case .invalidInstanceReference: return "The instance reference is not valid"
        case .unknownTokenProfile: return "The token profile is not configured"
        case .unauthenticated: return "Authentication is required"
        case .notFound: return "No such resource"
        case .methodNotAllowed: return "Method not allowed on this resource"
        case .payloadTooLarge: return "The request body is too large"
        case .unsupportedMediaType: return "The request body must be application/json"
        case .processEnded: return "The instance's process has ended"
        case .notASigningTask: return "The instance is not in a signing task"
        case .processNotStarted: return "The instance's process has not started"
        case .altinnForbidden: return "The token profile's identity may not do this in the current task"
        case .altinnInstanceLocked: return "Another process/next holds the instance's lock at Altinn"
        case .instanceBusy: return "Another write to this instance is in progress"
        case .missingSignatures: return "Signatures are still missing"
        case .signaturesInvalidated: return "Signed data changed after signing"
        case .rejectNotOffered: return "The current task offers no reject"
        case .altinnConflict: return "Altinn refused the operation in the instance's current state"
        case .altinnInstanceNotFound:
            return "Altinn does not know this instance, or will not show it to the token's identity"
        case .altinnAppNotFound: return "Altinn does not know this app"
        case .altinnAppDefinitionInvalid: return "The app's metadata or process definition could not be read"
        case .altinnRefusedCredentials: return "Altinn refused the gateway's credentials"
        case .userTokenRequired:
            return "Only a user's token may use this route; the token profile's identity is not one"
        case .altinnRejectedRequest: return "Altinn rejected the request"
        case .altinnError: return "Altinn failed"
        case .altinnInvalidResponse: return "Altinn's answer could not be read"
        case .altinnConnectionLost: return "The connection to Altinn was lost before an answer"
        case .altinnUnreachable: return "Altinn could not be reached"
        case .altinnTimeout: return "Altinn did not answer in time"
        case .tokenUnavailable: return "No Altinn token could be obtained"
        case .idempotencyKeyMissing: return "An Idempotency-Key header is required"
        case .idempotencyKeyInUse: return "A request with this Idempotency-Key is still being processed"
        case .idempotencyKeyReused: return "This Idempotency-Key was used for a different request"
        case .outcomeUnknown: return "The outcome of the first request with this Idempotency-Key is unknown"
        case .storeUnavailable: return "The gateway's store is unavailable"
        case .forbidden: return "Not allowed for this client"
        case .signatureInvalid: return "The request signature is not valid"
        case .webhookReplayed: return "This webhook-id was already used"
        case .rateLimited: return "Too many requests from this client"
        case .headersTooLarge: return "The request headers are too large"
        case .limitReached: return "A limit of the caller's was reached"
        case .internalError: return "Internal error"
        }
    }

    /// The client's next step, as one of a few words a program can switch on (`nextAction` in every problem).
    package var nextAction: NextAction {
        switch self {
        case .invalidRequest, .invalidInstanceReference, .unknownTokenProfile, .unauthenticated, .notFound,
            .methodNotAllowed, .payloadTooLarge, .unsupportedMediaType, .idempotencyKeyMissing, .signatureInvalid,
            .headersTooLarge, .userTokenRequired, .limitReached:
            return .fixRequest
        case .instanceBusy, .idempotencyKeyInUse, .rateLimited, .altinnUnreachable, .tokenUnavailable:
            return .retrySameKey
        case .altinnInstanceLocked, .altinnError, .altinnConnectionLost, .altinnTimeout, .outcomeUnknown,
            .storeUnavailable:
            return .readSigneesFirst
        case .missingSignatures, .idempotencyKeyReused, .webhookReplayed, .altinnConflict:
            return .newKey
        case .processEnded, .notASigningTask, .processNotStarted, .signaturesInvalidated, .rejectNotOffered,
            .altinnInstanceNotFound, .altinnAppNotFound:
            return .doNotRetry
        case .altinnForbidden, .altinnAppDefinitionInvalid, .altinnRefusedCredentials, .altinnRejectedRequest,
            .altinnInvalidResponse, .forbidden, .internalError:
            return .alertOperator
        }
    }

    /// What a caller should do, in a sentence, for the catalogue.
    package var guidance: String {
        switch self {
        case .invalidRequest, .invalidInstanceReference, .unknownTokenProfile, .payloadTooLarge,
            .unsupportedMediaType:
            return "Fix the request; nothing was sent to Altinn."
        case .unauthenticated:
            return
                "Send exactly one of Authorization: Bearer <API key> or the webhook-id/-timestamp/-signature headers."
        case .notFound, .methodNotAllowed: return "Check the path and method against openapi.yaml."
        case .processEnded: return "Nothing to sign or complete: the process is over."
        case .notASigningTask: return "Check the instance's current task; pass ?taskId= for a past signing task."
        case .processNotStarted: return "Start the instance's process first; nothing was signed."
        case .altinnForbidden:
            return
                "The identity needs the right (a delegation, a role or the app's policy) for this task; nothing was signed."
        case .altinnInstanceLocked:
            return
                "Another process/next held Altinn's lock. Read …/signees (and …/process); if the step is still to do, send again with a new Idempotency-Key: the same key replays this answer."
        case .instanceBusy: return "Nothing was sent to Altinn; retry later with the same Idempotency-Key."
        case .missingSignatures:
            return
                "Wait until every signee has signed (see validationIssues and …/signees), then send again with a new Idempotency-Key: the same key replays this 409."
        case .signaturesInvalidated:
            return
                "Never retry: the answer stays the same. Reject the signing (POST /v1/rejections, which removes every signature) and have the signees sign the current data again."
        case .rejectNotOffered:
            return
                "Nothing was sent. The task's BPMN lists no reject, or the token profile's identity may not reject there; check GET /v1/apps/{org}/{app}."
        case .altinnConflict:
            return
                "Read the instance state (…/signees, …/process); once it has changed, send again with a new Idempotency-Key (the same key replays this answer)."
        case .altinnInstanceNotFound:
            return "Check app, party id and instance GUID, and that the token profile's identity may read the instance."
        case .altinnAppNotFound:
            return "Check org and app, and that the app is deployed in the environment the gateway talks to."
        case .altinnAppDefinitionInvalid:
            return
                "The app's owner must fix its applicationmetadata.json or process.bpmn (see detail); retrying will not help."
        case .altinnRefusedCredentials:
            return "The token profile lacks rights for this app or instance; an operator must fix it."
        case .userTokenRequired:
            return
                "Use a token profile whose identity is a person (a user token). System users and service owners never sign on behalf of an organisation, so Altinn does not list organisations for them; sign without onBehalfOf."
        case .altinnRejectedRequest, .altinnInvalidResponse:
            return
                "Alert an operator with the requestId; if signMayHaveHappened is true, read …/signees before any retry."
        case .altinnError, .altinnConnectionLost, .altinnTimeout:
            return
                "Read …/signees: if the gateway's signee has signed, it is done. Otherwise send again with a new Idempotency-Key (the same key replays this answer)."
        case .altinnUnreachable, .tokenUnavailable:
            return "Nothing reached Altinn; retry later with the same Idempotency-Key (alert an operator if it lasts)."
        case .idempotencyKeyMissing: return "Send Idempotency-Key: \"<unique value>\" (at most 255 characters)."
        case .idempotencyKeyInUse: return "Retry the same request later; it will get the first request's answer."
        case .idempotencyKeyReused: return "Use a new key for a different request."
        case .outcomeUnknown:
            return
                "The gateway stopped while Altinn was being called. Read …/signees to learn whether it signed; never resend blindly."
        case .storeUnavailable:
            return
                "If signMayHaveHappened is true, read …/signees first; otherwise retry later with the same Idempotency-Key."
        case .forbidden: return "Ask an operator for the permission."
        case .signatureInvalid:
            return
                "Sign {webhook-id}.{webhook-timestamp}.{raw body} with your whsec_ secret; keep your clock within the tolerance."
        case .webhookReplayed:
            return "Use a new webhook-id for a new request; read the state (…/signees) instead of resending."
        case .rateLimited: return "Wait for Retry-After seconds, then retry."
        case .headersTooLarge: return "Send fewer or smaller headers."
        case .limitReached: return "Remove something of yours first (for example a subscription)."
        case .internalError: return "Alert an operator with the requestId."
        }
    }
}

/// A client's next step after a problem. The words are part of the API (README's error table, openapi.yaml).
package enum NextAction: String, Sendable, CaseIterable {
    /// Change the request (body, query, headers, credentials); nothing was sent to Altinn or kept under the key.
    case fixRequest = "fix-request"
    /// Send the same request again later with the same Idempotency-Key; nothing was done.
    case retrySameKey = "retry-same-key"
    /// Altinn may have acted: read `…/signees` (or `…/process`) before anything else; a new attempt needs a new key.
    case readSigneesFirst = "read-signees-first"
    /// The same key replays this answer: when the state has changed, send with a new Idempotency-Key.
    case newKey = "new-key"
    /// The answer will not change by retrying; the instance's state or the app decides.
    case doNotRetry = "do-not-retry"
    /// Configuration, rights or a bug: the client cannot fix it.
    case alertOperator = "alert-operator"
}
