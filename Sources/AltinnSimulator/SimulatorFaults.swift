/// Runtime-changeable misbehaviour of the app API (`PUT /_simulator/faults`).
package struct SimulatorFaults: Sendable, Equatable {
    /// Added before every app-API request is handled.
    package var latency: Duration
    /// Share of app-API requests answered 500 with an empty body before any effect, like an
    /// unhandled ASP.NET exception.
    package var errorRate: Double
    /// Share of app-API requests whose effect is applied but whose reply is never sent.
    package var dropReplyRate: Double
    /// Write the docs' wrong key `organisation` instead of `organization` in signee states.
    package var organisationSpelling: Bool
    /// `GET …/signing` answers 500 (empty) once a system user has signed the instance (§8).
    package var failSigningAfterSign: Bool
    /// How long a process/next holds the instance lock (its work time), so concurrent writes can collide.
    package var lockHold: Duration
    /// Signature documents need an action the caller lacks (`actionRequiredToRead: signature-access`, §6): 403.
    package var signatureReadForbidden: Bool
    /// app-lib v8.12.4+: the signees' rights are revoked when the signing task ends (or is abandoned), so a system
    /// user's `GET …/signing?taskId=` of that task answers an empty 500 (the uncaught Storage 403). Off by default:
    /// apps before v8.12.4 (most deployed ones) still answer it, and the walkthrough reads a past task.
    package var revokeRightsAtTaskEnd = false
    /// The `sign` action answers with the instance's data elements as they were before the sign. app-lib's
    /// `SigningUserAction` reloads them after Storage adds the signature document; an app without that reload
    /// (an older library, or its own handler) answers the old list.
    package var actionsAnswerOldData = false

    package init(
        latency: Duration = .zero,
        errorRate: Double = 0,
        dropReplyRate: Double = 0,
        organisationSpelling: Bool = false,
        failSigningAfterSign: Bool = false,
        lockHold: Duration = .zero,
        signatureReadForbidden: Bool = false
    ) {
        self.lockHold = lockHold
        self.signatureReadForbidden = signatureReadForbidden
        self.latency = latency
        self.errorRate = errorRate
        self.dropReplyRate = dropReplyRate
        self.organisationSpelling = organisationSpelling
        self.failSigningAfterSign = failSigningAfterSign
    }

    var json: JSONValue {
        let (seconds, attoseconds) = latency.components
        return .obj([
            "latencyMs": .int(Int(seconds) * 1000 + Int(attoseconds / 1_000_000_000_000_000)),
            "errorRate": .double(errorRate),
            "dropReplyRate": .double(dropReplyRate),
            "organisationSpelling": .bool(organisationSpelling),
            "failSigningAfterSign": .bool(failSigningAfterSign),
            "signatureReadForbidden": .bool(signatureReadForbidden),
            "revokeRightsAtTaskEnd": .bool(revokeRightsAtTaskEnd),
            "actionsAnswerOldData": .bool(actionsAnswerOldData),
            "lockHoldMs": .int(
                Int(lockHold.components.seconds) * 1000 + Int(lockHold.components.attoseconds / 1_000_000_000_000_000)),
        ])
    }

    /// Applies the members present in a `PUT /_simulator/faults` body; absent ones keep their value.
    /// Returns nil when a member has the wrong type or a rate is outside 0...1.
    func updated(with body: JSONValue) -> SimulatorFaults? {
        guard case .object = body else { return nil }
        var result = self
        if let value = body["latencyMs"] {
            guard let ms = value.numberValue, ms >= 0 else { return nil }
            result.latency = .milliseconds(ms)
        }
        if let value = body["lockHoldMs"] {
            guard let ms = value.numberValue, ms >= 0 else { return nil }
            result.lockHold = .milliseconds(ms)
        }
        for (key, path) in [
            ("errorRate", \SimulatorFaults.errorRate), ("dropReplyRate", \.dropReplyRate),
        ] {
            if let value = body[key] {
                guard let rate = value.numberValue, (0...1).contains(rate) else { return nil }
                result[keyPath: path] = rate
            }
        }
        for (key, path) in [
            ("organisationSpelling", \SimulatorFaults.organisationSpelling),
            ("failSigningAfterSign", \.failSigningAfterSign),
            ("signatureReadForbidden", \.signatureReadForbidden),
            ("revokeRightsAtTaskEnd", \.revokeRightsAtTaskEnd),
            ("actionsAnswerOldData", \.actionsAnswerOldData),
        ] {
            if let value = body[key] {
                guard case .bool(let flag) = value else { return nil }
                result[keyPath: path] = flag
            }
        }
        return result
    }
}

extension JSONValue {
    fileprivate var numberValue: Double? {
        switch self {
        case .int(let value): Double(value)
        case .double(let value): value
        default: nil
        }
    }
}

/// SplitMix64: tiny, seedable, good enough to pick which requests fail.
struct SeededGenerator: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// True with probability `rate`; exactly false at 0 and true at 1 so tests can rely on them.
    mutating func chance(_ rate: Double) -> Bool {
        if rate <= 0 { return false }
        if rate >= 1 { return true }
        return Double.random(in: 0..<1, using: &self) < rate
    }
}
