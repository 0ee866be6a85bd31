/// What an existing key means for a new claim; shared by both engines so they cannot disagree.
enum IdempotencyDecision {
    static func existing(
        claim: IdempotencyClaim,
        fingerprint: String,
        state: String,
        leaseUntilMicros: Int64,
        response: StoredResponse
    ) -> IdempotencyBegin {
        // The fingerprint is checked first: a different payload is the caller's bug whatever the key's state.
        guard fingerprint == claim.fingerprint else { return .fingerprintMismatch }
        if state == "completed" { return .replay(response) }
        return StoredTime.micros(claim.now) < leaseUntilMicros ? .inFlight : .outcomeUnknown
    }
}
