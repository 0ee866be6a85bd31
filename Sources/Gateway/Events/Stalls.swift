package import Foundation
package import Storage

/// Why a signee counts as stalled: unsigned, or its notification or delegation failed, for `stallAfter`.
package enum StallReason: String, Sendable, Equatable, Hashable, CaseIterable {
    case notSigned
    case notificationFailed
    case delegationFailed

    /// Its bit in the remembered state's `told` set.
    var bit: Int {
        switch self {
        case .notSigned: return 1
        case .notificationFailed: return 2
        case .delegationFailed: return 4
        }
    }

    static func bits(_ reasons: Set<StallReason>) -> Int { reasons.reduce(0) { $0 | $1.bit } }

    static func reasons(bits: Int) -> Set<StallReason> { Set(Self.allCases.filter { bits & $0.bit != 0 }) }
}

/// A signee stalled in a round of a signing task, as `signee.stalled` tells it.
package struct SigneeStall: Sendable, Equatable {
    package var signee: NormalizedSignee
    package var snapshot: SigningSnapshot
    package var reason: StallReason
    /// When the reason was first seen to hold.
    package var since: Date
    /// The threshold it passed (`events.stallAfterHours`).
    package var after: Duration

    package init(signee: NormalizedSignee, snapshot: SigningSnapshot, reason: StallReason, since: Date, after: Duration)
    {
        self.signee = signee
        self.snapshot = snapshot
        self.reason = reason
        self.since = since
        self.after = after
    }
}

/// How the remembered signing state was settled when the process left the signing task.
package enum FinalSigning: String, Sendable, Equatable {
    /// Read with `?taskId=` in the poll that saw the process leave the task.
    case readAtTaskEnd
    /// That read failed (since app-lib v8.12.4 signee rights are revoked when the task ends): what is kept is
    /// the last state observed before.
    case lastObserved
}

/// The time of an observation and the stall threshold: with it, the diff keeps each signee's "since" times and
/// tells stalls.
struct StallClock: Sendable, Equatable {
    var now: Date
    var after: Duration
}

extension ObservedState {
    /// The process is known to have left the signing task (or ended).
    var leftTask: Bool {
        self.processEnded || (self.processTask != nil && self.taskId != nil && self.processTask != self.taskId)
    }

    /// The earliest time a signee not yet told stalls; nil when none can (or the task is over).
    func nextStall(after: Duration) -> Date? {
        guard !self.leftTask else { return nil }
        return self.signees.flatMap { signee in
            signee.stallSince.filter { !signee.told.contains($0.reason) }.map { $0.since.adding(after) }
        }.min()
    }

    /// The signees stalled at `now`, per reason (a signee may be stalled for more than one reason).
    func stalled(at now: Date, after: Duration) -> [StallReason: Int] {
        guard !self.leftTask else { return [:] }
        var counts: [StallReason: Int] = [:]
        for signee in self.signees {
            for (reason, since) in signee.stallSince where since.adding(after) <= now {
                counts[reason, default: 0] += 1
            }
        }
        return counts
    }
}

extension ObservedState.Signee {
    /// Carries the times of the signee's previous state in the same round, starting those that begin now.
    mutating func keepTimes(from old: ObservedState.Signee?, now: Date) {
        guard self.status != .signed else { return }
        let now = Date(timeIntervalSince1970: now.timeIntervalSince1970.rounded(.down))
        self.awaitingSince = old?.awaitingSince ?? now
        self.notificationFailedSince =
            self.notification == .failed ? (old?.notificationFailedSince ?? now) : nil
        self.delegationFailedSince = self.delegated ? nil : (old?.delegationFailedSince ?? now)
        self.told = old?.told ?? []
    }
}

/// The stalled signees of the tracked instances given, counted from their remembered states: what the
/// `signing_gateway_stalled_signees` gauge shows. Read from the shared store, so every replica reports the same.
package enum StallCensus {
    package static func count(_ rows: [TrackedInstance], now: Date, after: Duration) -> [StallReason: Int] {
        var counts: [StallReason: Int] = [:]
        for row in rows where row.status == .active {
            guard let state = ObservedState.stored(row.snapshot) else { continue }
            counts.merge(state.stalled(at: now, after: after), uniquingKeysWith: +)
        }
        return counts
    }
}

extension TrackedInstance {
    /// How the signing state was settled when the process left the task; nil while it has not (or while the row is
    /// tracked again).
    package var finalSigning: FinalSigning? {
        self.status == .active ? nil : ObservedState.stored(self.snapshot)?.final
    }
}
