/// Why an inbound call was refused before reaching a handler. Mapped to a `Problem` once (ProblemMapping);
/// `auditReason` is what the audit log keeps: no header value, no secret.
enum ClientRefusal: Error, Sendable, Equatable {
    case missingCredentials
    case repeatedHeader(String)
    case bothSchemes
    case notBearer
    case unknownAPIKey
    case incompleteSignatureHeaders
    case malformedWebhookId
    case malformedTimestamp
    case staleTimestamp
    case futureTimestamp
    case malformedSignature
    case signatureMismatch
    case replayedWebhookId
    case rateLimited(retryAfterSeconds: Int)
    /// Too many unauthenticated refusals from one source address (never audited one by one).
    case tooManyRefusals(retryAfterSeconds: Int)
    case operationNotAllowed(ClientOperation)
    case appNotAllowed(String)
    case tokenProfileNotAllowed(String)
    case headersTooLarge(limit: Int)
    /// A console session cookie that is unknown, expired or signed out.
    case unknownSession
    /// A console session's state-changing request without its CSRF token, or with another.
    case csrfMissing
    case csrfMismatch

    var auditReason: String {
        switch self {
        case .missingCredentials: return "missing-credentials"
        case .repeatedHeader(let name): return "repeated-header:\(name.lowercased())"
        case .bothSchemes: return "both-auth-schemes"
        case .notBearer: return "not-bearer"
        case .unknownAPIKey: return "unknown-api-key"
        case .incompleteSignatureHeaders: return "incomplete-signature-headers"
        case .malformedWebhookId: return "malformed-webhook-id"
        case .malformedTimestamp: return "malformed-timestamp"
        case .staleTimestamp: return "stale-timestamp"
        case .futureTimestamp: return "future-timestamp"
        case .malformedSignature: return "malformed-signature"
        case .signatureMismatch: return "signature-mismatch"
        case .replayedWebhookId: return "replayed-webhook-id"
        case .rateLimited: return "rate-limited"
        case .tooManyRefusals: return "too-many-refusals"
        case .operationNotAllowed(let operation): return "operation-not-allowed:\(operation.rawValue)"
        case .appNotAllowed(let app): return "app-not-allowed:\(app)"
        case .tokenProfileNotAllowed(let profile): return "token-profile-not-allowed:\(profile.prefix(64))"
        case .headersTooLarge: return "headers-too-large"
        case .unknownSession: return "unknown-console-session"
        case .csrfMissing: return "csrf-token-missing"
        case .csrfMismatch: return "csrf-token-mismatch"
        }
    }
}
