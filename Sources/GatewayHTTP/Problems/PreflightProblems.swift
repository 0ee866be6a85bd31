package import AltinnAPI
package import Gateway
import Storage
import Transport

extension Problem {
    /// A failed preflight. Nothing is signed by a preflight, so no `signMayHaveHappened` member.
    package init(_ error: PreflightError, app: AppReference) {
        var extensions: [(String, JSONValue)] = [("app", .string(app.description))]
        switch error {
        case .appNotFound(let operation):
            extensions += [("altinnOperation", .string(operation.rawValue)), ("upstreamStatus", 404)]
            self.init(
                .altinnAppNotFound,
                "Altinn answered \(operation.rawValue) for \(app) with 404: no such app in this environment.",
                extensions: extensions)
        case .metadataInvalid:
            extensions += [("altinnOperation", .string(AltinnOperation.getApplicationMetadata.rawValue))]
            self.init(
                .altinnAppDefinitionInvalid,
                "The app's metadata is not JSON of the documented ApplicationMetadata shape.",
                extensions: extensions)
        case .processDefinitionInvalid(let reason):
            extensions += [("altinnOperation", .string(AltinnOperation.getProcessDefinition.rawValue))]
            self.init(
                .altinnAppDefinitionInvalid, "The app's process definition was refused: \(reason).",
                extensions: extensions)
        case .processDefinitionTooLarge(let limit):
            extensions += [("altinnOperation", .string(AltinnOperation.getProcessDefinition.rawValue))]
            self.init(
                .altinnAppDefinitionInvalid, "The app's process definition exceeds \(limit) bytes; it was not read.",
                extensions: extensions)
        case .altinn(.transport(let transport, let operation)):
            extensions += [("altinnOperation", .string(operation.rawValue))]
            switch transport {
            case .notSent:
                self.init(
                    .altinnUnreachable, "Altinn could not be reached (\(operation.rawValue) for \(app)).",
                    extensions: extensions)
            case .ambiguous(.deadlineExceeded):
                self.init(
                    .altinnTimeout, "Altinn did not answer \(operation.rawValue) for \(app) in time.",
                    extensions: extensions)
            case .responseTooLarge(let limit):
                self.init(
                    .altinnInvalidResponse, "Altinn's answer to \(operation.rawValue) exceeded \(limit) bytes.",
                    extensions: extensions)
            case .ambiguous, .cancelled:
                self.init(
                    .altinnConnectionLost, "The connection broke during \(operation.rawValue) for \(app).",
                    extensions: extensions)
            }
        case .altinn(.undecodable(let status, let operation)):
            extensions += [("altinnOperation", .string(operation.rawValue)), ("upstreamStatus", .int(status))]
            self.init(
                .altinnInvalidResponse, "Altinn answered \(operation.rawValue) with an unreadable body.",
                extensions: extensions)
        case .altinn(.rejected(let rejection)):
            extensions += [
                ("altinnOperation", .string(rejection.operation.rawValue)), ("upstreamStatus", .int(rejection.status)),
            ]
            let call = "Altinn answered \(rejection.operation.rawValue) for \(app) with \(rejection.status)"
            switch rejection.status {
            case 409:
                self.init(
                    .altinnConflict, "\(call): the app deployed there is not \(app).", extensions: extensions)
            case 500...:
                self.init(.altinnError, "\(call).", extensions: extensions)
            default:
                self.init(.altinnRejectedRequest, "\(call).", extensions: extensions)
            }
        }
    }
}

extension Problem {
    /// The problem's JSON document (for the CLI, which prints what the API would answer).
    package func document(requestId: String) -> [UInt8] { self.stored(requestId: requestId).body }
}
