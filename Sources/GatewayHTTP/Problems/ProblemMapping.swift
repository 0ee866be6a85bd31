import AltinnAPI
import Gateway
import HTTPTypes
import Storage
import Tokens
import Transport

/// The single place where use-case errors become HTTP problems.
extension Problem {
    init(_ refusal: ClientRefusal) {
        let challenge: HTTPFields = [.wwwAuthenticate: "Bearer"]
        switch refusal {
        case .missingCredentials:
            self.init(
                .unauthenticated, "No credentials: send Authorization: Bearer <API key> or a signed request.",
                headers: challenge)
        case .repeatedHeader(let name):
            self.init(.unauthenticated, "Send exactly one \(name) header.", headers: challenge)
        case .bothSchemes:
            self.init(
                .unauthenticated, "Send either a Bearer API key or a webhook signature, not both.", headers: challenge)
        case .notBearer:
            self.init(.unauthenticated, "Authorization must use the Bearer scheme.", headers: challenge)
        case .unknownAPIKey:
            self.init(.unauthenticated, "Missing or unknown client key.", headers: challenge)
        case .incompleteSignatureHeaders:
            self.init(.signatureInvalid, "A signed request needs webhook-id, webhook-timestamp and webhook-signature.")
        case .malformedWebhookId:
            self.init(.signatureInvalid, "webhook-id must be 1-255 printable ASCII characters without '.' or spaces.")
        case .malformedTimestamp:
            self.init(.signatureInvalid, "webhook-timestamp must be integer Unix seconds.")
        case .staleTimestamp:
            self.init(.signatureInvalid, "webhook-timestamp is too old.")
        case .futureTimestamp:
            self.init(.signatureInvalid, "webhook-timestamp is too far in the future.")
        case .malformedSignature:
            self.init(.signatureInvalid, "webhook-signature must be space-separated v1,<base64> values.")
        case .signatureMismatch:
            self.init(.signatureInvalid, "No configured secret produced this signature over the body as received.")
        case .replayedWebhookId:
            self.init(.webhookReplayed, "This webhook-id was already accepted; nothing was forwarded.")
        case .rateLimited(let seconds):
            self.init(
                .rateLimited, "Rate limit exceeded; retry after \(seconds) s.",
                headers: [.retryAfter: "\(seconds)"])
        case .tooManyRefusals(let seconds):
            self.init(
                .rateLimited, "Too many refused requests from this address; retry after \(seconds) s.",
                headers: [.retryAfter: "\(seconds)"])
        case .operationNotAllowed(let operation):
            self.init(
                .forbidden, "This client may not use the '\(operation.rawValue)' operation.",
                extensions: [("operation", .string(operation.rawValue))])
        case .appNotAllowed(let app):
            self.init(.forbidden, "This client may not use app '\(app)'.", extensions: [("app", .string(app))])
        case .tokenProfileNotAllowed(let profile):
            self.init(.forbidden, "This client may not use token profile '\(profile.prefix(64))'.")
        case .headersTooLarge(let limit):
            self.init(.headersTooLarge, "The request's header fields exceed \(limit) bytes.")
        case .unknownSession:
            self.init(.unauthenticated, "The console session has expired or was signed out; sign in again.")
        case .csrfMissing:
            self.init(.forbidden, "A console request that changes something must carry the session's X-CSRF-Token.")
        case .csrfMismatch:
            self.init(.forbidden, "The X-CSRF-Token does not belong to this console session.")
        }
        self.auditDetail = refusal.auditReason
    }

    init(_ error: StoreError) {
        switch error {
        case .conflict: self.init(.invalidRequest, "The id already exists.")
        default: self.init(.storeUnavailable, "The store could not be reached.")
        }
    }

    /// Runs a store call for a route, its failure mapped to a problem (never its message: it names statements).
    static func fromStore<T>(_ body: () async throws(StoreError) -> T) async throws(Problem) -> T {
        do {
            return try await body()
        } catch {
            throw Problem(error)
        }
    }

    init(_ error: InstanceReferenceError, pointer: String) {
        self.init(
            .invalidInstanceReference, error.explanation,
            extensions: [
                ("errors", .array([.object([("pointer", .string(pointer)), ("detail", .string(error.explanation))])]))
            ]
        )
    }

    init(_ error: GatewayError) {
        switch error {
        case .token(.unknownProfile(let name)):
            self.init(.unknownTokenProfile, "Token profile '\(name)' is not configured on this gateway.")
        case .token(.unavailable(let profile, let step, _)):
            // The gateway's words only: what Maskinporten or the exchange said (`error_description`) is logged
            // where it happened, never handed to callers or written into events.
            self.init(
                .tokenUnavailable,
                "No token for profile '\(profile)': the \(step) step failed. Nothing was sent to Altinn.",
                extensions: [("tokenProfile", .string(profile)), ("signMayHaveHappened", false)])
        case .processEnded:
            self.init(
                .processEnded, "The process has ended; nothing was signed.",
                extensions: [("signMayHaveHappened", false)])
        case .notInSigningTask(let position):
            let task = position.currentTask.map { "\($0.id) (\($0.type ?? "unknown type"))" } ?? "none"
            self.init(
                .notASigningTask, "The current task is \(task), not a signing task; nothing was signed.",
                extensions: [
                    ("currentTask", position.currentTask.map { .string($0.id) } ?? .null),
                    ("signMayHaveHappened", false),
                ])
        case .altinn(let altinnError, let signMayHaveHappened):
            self = Self.altinn(altinnError, signMayHaveHappened: signMayHaveHappened)
        case .diagnosed(let rejection, let diagnosis):
            self = Self.diagnosed(rejection, diagnosis)
        case .instanceBusy(storeFailed: true):
            self.init(
                .storeUnavailable, "The instance's write lease could not be taken; nothing was sent to Altinn.",
                extensions: [("signMayHaveHappened", false)])
        case .instanceBusy(storeFailed: false):
            self.init(
                .instanceBusy, "Another replica's write to this instance did not finish in time; nothing was sent.",
                extensions: [("signMayHaveHappened", false)])
        case .rejectNotOffered(let position):
            let task = position.currentTask.map { "\($0.id) (\($0.type ?? "unknown type"))" } ?? "none"
            self.init(
                .rejectNotOffered,
                "The current task \(task) does not offer reject to this token profile's identity; nothing was sent.",
                extensions: [
                    ("currentTask", position.currentTask.map { .string($0.id) } ?? .null),
                    ("offeredActions", .array((position.currentTask?.actions ?? []).sorted().map(JSONValue.string))),
                    ("signMayHaveHappened", false),
                ])
        }
    }

    /// A refusal explained by the process state: nothing was signed.
    private static func diagnosed(_ rejection: AltinnRejection, _ diagnosis: GatewayError.Diagnosis) -> Problem {
        var extensions: [(String, JSONValue)] = [
            ("signMayHaveHappened", false), ("altinnOperation", .string(rejection.operation.rawValue)),
            ("upstreamStatus", .int(rejection.status)),
        ]
        let call = "Altinn answered \(rejection.operation.rawValue) with \(rejection.status)"
        switch diagnosis {
        case .processNotStarted:
            return Problem(
                .processNotStarted, "\(call): the instance's process has not started. Nothing was signed.",
                extensions: extensions)
        case .processEnded:
            return Problem(.processEnded, "\(call): the process has ended. Nothing was signed.", extensions: extensions)
        case .notInSigningTask(let position):
            let task = position.currentTask.map { "\($0.id) (\($0.type ?? "unknown type"))" } ?? "none"
            extensions.append(("currentTask", position.currentTask.map { .string($0.id) } ?? .null))
            return Problem(
                .notASigningTask, "\(call): the current task is \(task), not a signing task. Nothing was signed.",
                extensions: extensions)
        case .signingForbidden(let profile, let taskId):
            extensions.append(("currentTask", .string(taskId)))
            extensions.append(("tokenProfile", .string(profile)))
            return Problem(
                .altinnForbidden,
                "\(call): the identity of token profile '\(profile)' may not sign this instance in its current task \(taskId). Nothing was signed.",
                extensions: extensions)
        case .instanceNotFound:
            return Problem(
                .altinnInstanceNotFound,
                "\(call): no such instance, or the token's identity may not read it. Nothing was signed.",
                extensions: extensions)
        }
    }

    private static func altinn(_ error: AltinnError, signMayHaveHappened: Bool) -> Problem {
        var extensions: [(String, JSONValue)] = [("signMayHaveHappened", .bool(signMayHaveHappened))]
        let may =
            signMayHaveHappened
            ? "The sign may have been executed: read …/signees before retrying." : "Nothing was signed."
        switch error {
        case .transport(let transport, let operation):
            extensions.append(("altinnOperation", .string(operation.rawValue)))
            switch transport {
            case .notSent:
                return Problem(
                    .altinnUnreachable, "Altinn could not be reached (\(operation.rawValue)). \(may)",
                    extensions: extensions)
            case .ambiguous(.deadlineExceeded):
                return Problem(
                    .altinnTimeout, "Altinn did not answer \(operation.rawValue) in time. \(may)",
                    extensions: extensions)
            case .ambiguous:
                return Problem(
                    .altinnConnectionLost, "The connection broke during \(operation.rawValue). \(may)",
                    extensions: extensions)
            case .responseTooLarge(let limit):
                return Problem(
                    .altinnInvalidResponse, "Altinn's answer to \(operation.rawValue) exceeded \(limit) bytes. \(may)",
                    extensions: extensions)
            case .cancelled:
                return Problem(
                    .altinnConnectionLost, "The call \(operation.rawValue) was cancelled. \(may)",
                    extensions: extensions)
            }
        case .undecodable(let status, let operation):
            extensions.append(contentsOf: [
                ("altinnOperation", .string(operation.rawValue)), ("upstreamStatus", .int(status)),
            ])
            return Problem(
                .altinnInvalidResponse,
                "Altinn answered \(operation.rawValue) with \(status) and an unreadable body. \(may)",
                extensions: extensions)
        case .rejected(let rejection):
            extensions.append(contentsOf: [
                ("altinnOperation", .string(rejection.operation.rawValue)), ("upstreamStatus", .int(rejection.status)),
            ])
            if !rejection.validationIssues.isEmpty {
                extensions.append(("validationIssues", .array(rejection.validationIssues.map(JSONValue.init))))
            }
            if let code = rejection.actionErrorCode, code.count <= 64, code.allSatisfy({ $0.isLetter || $0.isNumber }) {
                extensions.append(("altinnErrorCode", .string(code)))
            }
            let call = "Altinn answered \(rejection.operation.rawValue) with \(rejection.status)"
            switch (rejection.status, rejection.reason) {
            case (_, .processEnded):
                return Problem(.processEnded, "\(call): the process has ended. \(may)", extensions: extensions)
            case (_, .processNotStarted):
                return Problem(
                    .processNotStarted, "\(call): the instance's process has not started. \(may)",
                    extensions: extensions)
            case (409, .instanceLocked):
                return Problem(
                    .altinnInstanceLocked,
                    "\(call): a Storage call answered 409, most often the instance lock of another process/next. \(may)",
                    extensions: extensions)
            case (_, .notASigningTask):
                return Problem(
                    .notASigningTask,
                    "\(call): the current task is not a signing task; pass taskId for a past one. \(may)",
                    extensions: extensions)
            case (409, _) where rejection.hasInvalidSignatureHash:
                return Problem(
                    .signaturesInvalidated,
                    "\(call): data was changed after it was signed (InvalidSignatureHash); Altinn will not move on. \(may)",
                    extensions: extensions)
            case (409, _) where rejection.hasMissingSignatures:
                return Problem(
                    .missingSignatures, "\(call): required signatures are missing (see validationIssues). \(may)",
                    extensions: extensions)
            case (409, _):
                return Problem(
                    .altinnConflict, "\(call) (conflict with the instance's state). \(may)", extensions: extensions)
            case (401, _) where rejection.operation == .getSigningOrganizations:
                // `SigningController` answers every identity but `Authenticated.User` with `Unauthorized()` (§5),
                // and the gateway does not refresh the token for it: this 401 is about who, not about staleness.
                return Problem(
                    .userTokenRequired,
                    "\(call): only a user's token may list the organisations it may sign for; this token profile's identity is a system user or service owner (system users never sign on behalf of an organisation), or its token was not accepted.",
                    extensions: extensions)
            case (401, _), (403, _):
                return Problem(
                    .altinnRefusedCredentials, "\(call): the token profile was refused. \(may)", extensions: extensions)
            case (404, _):
                return Problem(.altinnInstanceNotFound, "\(call): no such instance. \(may)", extensions: extensions)
            case (500..., _):
                return Problem(.altinnError, "\(call). \(may)", extensions: extensions)
            default:
                return Problem(.altinnRejectedRequest, "\(call). \(may)", extensions: extensions)
            }
        }
    }
}

extension JSONValue {
    /// Altinn's validation issue, carried through so a caller can act on `code` (e.g. `MissingSignatures`).
    init(_ issue: ValidationIssue) {
        self = .object([
            ("code", issue.code.json), ("severity", .int(issue.severity)), ("description", issue.description.json),
            ("source", issue.source.json),
        ])
    }
}
