import Transport

/// Which step of obtaining a token failed, and why, in words that carry no secret.
struct StepFailure: Error, Sendable, Equatable {
    enum Step: String, Sendable {
        case key = "key"
        case grant = "maskinporten grant"
        case exchange = "altinn exchange"
    }

    let step: Step
    let reason: String

    static func rejected(_ step: Step, status: Int, detail: String?) -> StepFailure {
        StepFailure(step: step, reason: "rejected (HTTP \(status)\(detail.map { ": \($0)" } ?? ""))")
    }

    static func unreachable(_ step: Step, _ error: TransportError) -> StepFailure {
        let why: String
        switch error {
        case .notSent(let reason): why = "\(reason)"
        case .ambiguous(let reason): why = "\(reason)"
        case .responseTooLarge: why = "response too large"
        case .cancelled: why = "cancelled"
        }
        return StepFailure(step: step, reason: "unreachable (\(why))")
    }

    func tokenError(profile: String) -> TokenError {
        .unavailable(profile: profile, step: self.step.rawValue, reason: self.reason)
    }
}
