package import AltinnAPI
import HTTPTypes
import Transport

/// What one inbound call did upstream, for its audit record: the state-changing (or, for reads,
/// the only) Altinn call, and how it ended. Never a token, never a body.
package struct CallRecord: Sendable, Equatable {
    package var operation: String
    package var instance: String?
    package var tokenProfile: String?
    package var upstreamMethod: String?
    package var upstreamURL: String?
    package var upstreamStatus: Int?
    /// `succeeded`, `rejected` (Altinn said no), `failed` (no answer or 5xx), `unknown` (may have happened),
    /// `refused` (never forwarded).
    package var outcome: String
    /// A sign's proof (`AuditEntry.signedData`).
    package var signedData: String?

    package init(
        operation: String,
        instance: String? = nil,
        tokenProfile: String? = nil,
        upstreamMethod: String? = nil,
        upstreamURL: String? = nil,
        upstreamStatus: Int? = nil,
        outcome: String
    ) {
        self.operation = operation
        self.instance = instance
        self.tokenProfile = tokenProfile
        self.upstreamMethod = upstreamMethod
        self.upstreamURL = upstreamURL
        self.upstreamStatus = upstreamStatus
        self.outcome = outcome
    }

    package static func sign(
        _ command: SignCommand,
        environment: AltinnEnvironment,
        defaultProfile: String,
        result: Result<Void, GatewayError>
    ) -> CallRecord {
        self.make(
            "sign", command.instance, command.tokenProfile ?? defaultProfile,
            command.mode == .parallel ? .performAction : .processNext, environment, result)
    }

    package static func processNext(
        _ command: ProcessNextCommand,
        environment: AltinnEnvironment,
        defaultProfile: String,
        result: Result<Void, GatewayError>
    ) -> CallRecord {
        self.make(
            "processNext", command.instance, command.tokenProfile ?? defaultProfile, .processNext, environment, result)
    }

    package static func reject(
        _ command: RejectCommand,
        environment: AltinnEnvironment,
        defaultProfile: String,
        result: Result<Void, GatewayError>
    ) -> CallRecord {
        self.make("reject", command.instance, command.tokenProfile ?? defaultProfile, .processNext, environment, result)
    }

    package static func signingState(
        _ query: SigningStateQuery,
        environment: AltinnEnvironment,
        defaultProfile: String,
        result: Result<Void, GatewayError>
    ) -> CallRecord {
        self.make(
            "signingState", query.instance, query.tokenProfile ?? defaultProfile, .getSigningState, environment,
            result)
    }

    /// An inbound call refused before anything was forwarded.
    package static func refused(reason: String) -> CallRecord {
        CallRecord(operation: "refused", outcome: "refused:\(reason)")
    }

    static func make(
        _ operation: String,
        _ instance: InstanceReference,
        _ profile: String,
        _ call: AltinnOperation,
        _ environment: AltinnEnvironment,
        _ result: Result<Void, GatewayError>
    ) -> CallRecord {
        var record = CallRecord(
            operation: operation, instance: instance.description, tokenProfile: profile,
            upstreamMethod: call.method.rawValue, upstreamURL: call.url(instance, in: environment),
            outcome: "succeeded")
        switch result {
        case .success:
            record.upstreamStatus = 200
        case .failure(let error):
            switch error {
            case .token, .processEnded, .notInSigningTask, .instanceBusy, .rejectNotOffered:
                record.upstreamMethod = nil
                record.upstreamURL = nil
                record.outcome = "refused"
            case .diagnosed(let rejection, _):
                record.upstreamStatus = rejection.status
                record.outcome = "rejected"
            case .altinn(.rejected(let rejection), let may):
                record.upstreamStatus = rejection.status
                record.outcome = may ? "unknown" : (rejection.status >= 500 ? "failed" : "rejected")
            case .altinn(.undecodable(let status, _), _):
                record.upstreamStatus = status
                record.outcome = "unknown"
            case .altinn(.transport, let may):
                record.outcome = may ? "unknown" : "failed"
            }
        }
        return record
    }
}

extension GatewayError {
    /// True when the state-changing Altinn call provably did not happen and Altinn gave no answer to
    /// replay: no token, a pre-check refusal, or a transport failure before the request left.
    /// Such a failure releases its idempotency key so the caller can retry with the same key.
    package var releasesIdempotencyKey: Bool {
        switch self {
        case .token, .processEnded, .notInSigningTask, .instanceBusy, .rejectNotOffered: return true
        case .altinn(.transport(let transport, _), let may): return !may && transport.requestNeverLeft
        case .altinn(.rejected, _), .altinn(.undecodable, _), .diagnosed: return false
        }
    }
}
