import Foundation
import HTTPTypes
import Primitives
import Transport

/// Turns a non-2xx app-API answer into an `AltinnRejection`, covering the shapes Altinn really
/// sends: ProblemDetails (+ `validationIssues`), a failed `UserActionResponse`, a plain-text string,
/// the same string JSON-encoded (when `Accept: application/json`), or an empty body (401/403/500).
enum AltinnRejectionDecoder {
    static func decode(_ response: InboundResponse, operation: AltinnOperation) -> AltinnRejection {
        let status = Int(response.status.code)
        var rejection = AltinnRejection(operation: operation, status: status, reason: Self.reason(forStatus: status))
        let body = Data(response.body)
        guard !body.isEmpty else { return rejection }

        if let problem = try? JSONDecoder().decode(AltinnProblemDetails.self, from: body),
            problem.title != nil || problem.detail != nil || problem.validationIssues != nil
        {
            rejection.validationIssues = problem.validationIssues ?? []
            rejection.reason = Self.reason(title: problem.title, detail: problem.detail) ?? rejection.reason
            if !rejection.validationIssues.isEmpty { rejection.reason = .validationFailed }
            if status == 409, problem.title == "Conflict", problem.detail == nil,
                !Self.hasMember("validationIssues", body)
            {
                rejection.reason = .instanceLocked
            }
        } else if let action = try? TapeValue.read(UserActionResponse.self, from: response.body),
            let error = action.error
        {
            rejection.actionErrorCode = error.code
        } else if let text = try? JSONDecoder().decode(String.self, from: body) {
            rejection.reason = Self.reason(title: nil, detail: text) ?? rejection.reason
        } else if let text = String(data: body, encoding: .utf8) {
            rejection.reason = Self.reason(title: nil, detail: text) ?? rejection.reason
        }
        return rejection
    }

    /// Whether the JSON object has the key at all (`validationIssues: null` is a validation answer's shape).
    private static func hasMember(_ key: String, _ body: Data) -> Bool {
        ((try? JSONSerialization.jsonObject(with: body)) as? [String: Any])?.keys.contains(key) ?? false
    }

    private static func reason(forStatus status: Int) -> AltinnRejection.Reason {
        switch status {
        case 401: return .unauthorized
        case 403: return .forbidden
        case 404: return .notFound
        default: return .other
        }
    }

    /// Altinn's fixed marker texts (ProcessEngine, SigningController, ActionsController).
    private static func reason(title: String?, detail: String?) -> AltinnRejection.Reason? {
        let texts = [title, detail].compactMap { $0?.trimmingCharacters(in: .whitespacesAndNewlines) }
        for text in texts {
            if text.hasPrefix("Process is ended") { return .processEnded }
            if text.hasPrefix("Process is not started") { return .processNotStarted }
            if text == "Not a signing task"
                || text.hasPrefix("This endpoint is only callable while the current task is a signing task")
            {
                return .notASigningTask
            }
            if text.hasPrefix("Action is missing") { return .actionMissing }
            if text.hasPrefix("Validation failed for task") { return .validationFailed }
        }
        return nil
    }
}
