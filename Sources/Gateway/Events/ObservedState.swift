import Foundation
import Primitives

/// What the gateway remembers of an instance between observations: just enough to tell what changed.
/// Stored in the tracked instance's `snapshot` as short `key=value` lines: it is read and written inside the
/// store's transaction on every sign and poll, where a general-purpose JSON coder was the largest cost.
struct ObservedState: Equatable, Sendable {
    struct Signee: Equatable, Sendable {
        var partyId: Int
        var status: SigneeStatus
        var notification: NotificationState
        var delegated: Bool
        /// When the signee was first seen unsigned in this round (whole seconds); nil once signed.
        var awaitingSince: Date? = nil
        /// When its notification was first seen failed, while it stays so; nil otherwise.
        var notificationFailedSince: Date? = nil
        /// When its delegation was first seen failed, while it stays so; nil otherwise.
        var delegationFailedSince: Date? = nil
        /// The stalls already told in this round (`signee.stalled` is one event per signee, reason and round).
        var told: Set<StallReason> = []

        /// Since when each reason holds, for the reasons that hold now.
        var stallSince: [(reason: StallReason, since: Date)] {
            guard self.status != .signed else { return [] }
            var reasons: [(StallReason, Date)] = []
            if let since = self.awaitingSince { reasons.append((.notSigned, since)) }
            if let since = self.notificationFailedSince { reasons.append((.notificationFailed, since)) }
            if let since = self.delegationFailedSince { reasons.append((.delegationFailed, since)) }
            return reasons
        }
    }

    var taskId: String?
    var signees: [Signee]
    var complete: Bool
    var processTask: String?
    var processEnded: Bool
    /// Signs through the gateway whose outcome is unknown, waiting to be seen signed.
    var pending: [PendingSign] = []
    /// Times the task's signatures were seen wiped (a reject): the round of signing now under way.
    var round = 0
    /// How the signing state was settled when the process left the signing task; nil before.
    var final: FinalSigning?

    init(taskId: String?, signees: [Signee], complete: Bool, processTask: String?, processEnded: Bool) {
        self.taskId = taskId
        self.signees = signees
        self.complete = complete
        self.processTask = processTask
        self.processEnded = processEnded
    }

    /// `v1`, then `task=`, `process=`, `complete=`, `ended=`, `round=` (when not 0), `final=` (once settled), one
    /// `signee=partyId,status,notification,delegated[,awaitingSince,notificationFailedSince,delegationFailedSince,told]`
    /// per signee (times in Unix seconds, empty when absent; `told` a bit set of `StallReason`; trailing empty
    /// fields left out, so a signee with no times is the four fields older snapshots have) and one
    /// `pending=mode,client,key,profile` per unconfirmed sign (those three hex-encoded: they are caller-chosen).
    /// Task ids are BPMN ids (no `=` or newline); an absent one is an empty value.
    var bytes: [UInt8] {
        // Appended as bytes into one buffer: as lines of interpolated strings joined, it cost a sign 27,000
        // instructions.
        var out: [UInt8] = []
        out.reserveCapacity(64 + 48 * self.signees.count + 96 * self.pending.count)
        func line(_ key: String, _ value: String) {
            out.append(UInt8(ascii: "\n"))
            out.append(contentsOf: key.utf8)
            out.append(UInt8(ascii: "="))
            out.append(contentsOf: value.utf8)
        }
        out.append(contentsOf: "v1".utf8)
        line("task", self.taskId ?? "")
        line("process", self.processTask ?? "")
        line("complete", self.complete ? "1" : "0")
        line("ended", self.processEnded ? "1" : "0")
        if self.round > 0 { line("round", String(self.round)) }
        if let final = self.final { line("final", final.rawValue) }
        for signee in self.signees {
            var fields = [
                String(signee.partyId), signee.status.rawValue, signee.notification.rawValue,
                signee.delegated ? "1" : "0", Self.seconds(signee.awaitingSince),
                Self.seconds(signee.notificationFailedSince), Self.seconds(signee.delegationFailedSince),
                signee.told.isEmpty ? "" : String(StallReason.bits(signee.told)),
            ]
            while fields.count > 4, fields.last?.isEmpty == true { fields.removeLast() }
            line("signee", fields[0])
            for field in fields.dropFirst() {
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: field.utf8)
            }
        }
        for sign in self.pending {
            line("pending", sign.mode.rawValue)
            for field in [sign.clientId, sign.key, sign.tokenProfile] {
                out.append(UInt8(ascii: ","))
                out.append(contentsOf: Self.hex(field).utf8)
            }
        }
        return out
    }

    /// A stored snapshot; nil when empty (never observed) or unreadable (then everything counts as new, and
    /// deterministic event ids keep that from duplicating events).
    static func stored(_ bytes: [UInt8]) -> ObservedState? {
        // Split on bytes, not Characters: grapheme breaking made reading a snapshot cost more than rendering one.
        let lines = Self.split(String(decoding: bytes, as: UTF8.self)[...], UInt8(ascii: "\n"))
        guard lines.first == "v1" else { return nil }
        var state = ObservedState(taskId: nil, signees: [], complete: false, processTask: nil, processEnded: false)
        for line in lines.dropFirst() {
            guard let equals = line.utf8.firstIndex(of: UInt8(ascii: "=")) else { return nil }
            let value = line[line.index(after: equals)...]
            switch line[..<equals] {
            case "task": state.taskId = value.isEmpty ? nil : String(value)
            case "process": state.processTask = value.isEmpty ? nil : String(value)
            case "complete": state.complete = value == "1"
            case "ended": state.processEnded = value == "1"
            case "round":
                guard let round = Int(value), round >= 0 else { return nil }
                state.round = round
            case "final":
                guard let final = FinalSigning(rawValue: String(value)) else { return nil }
                state.final = final
            case "signee":
                let fields = Self.split(value, UInt8(ascii: ","))
                guard (4...8).contains(fields.count), let partyId = Int(fields[0]),
                    let status = SigneeStatus(rawValue: String(fields[1])),
                    let notification = NotificationState(rawValue: String(fields[2]))
                else { return nil }
                var signee = Signee(
                    partyId: partyId, status: status, notification: notification, delegated: fields[3] == "1")
                let field = { (index: Int) in fields.count > index ? fields[index] : "" }
                guard let awaiting = Self.date(field(4)), let notified = Self.date(field(5)),
                    let delegation = Self.date(field(6)), let told = Self.bits(field(7))
                else { return nil }
                signee.awaitingSince = awaiting
                signee.notificationFailedSince = notified
                signee.delegationFailedSince = delegation
                signee.told = told
                state.signees.append(signee)
            case "pending":
                let fields = Self.split(value, UInt8(ascii: ","))
                guard fields.count == 4, let mode = SigningMode(rawValue: String(fields[0])),
                    let client = Self.text(hex: fields[1]), let key = Self.text(hex: fields[2]),
                    let profile = Self.text(hex: fields[3])
                else { return nil }
                state.pending.append(PendingSign(mode: mode, clientId: client, key: key, tokenProfile: profile))
            default: return nil
            }
        }
        return state
    }

    private static func split(_ text: Substring, _ separator: UInt8) -> [Substring] {
        text.utf8.split(separator: separator, omittingEmptySubsequences: false).map { Substring($0) }
    }

    /// A time as whole Unix seconds; empty when absent.
    private static func seconds(_ date: Date?) -> String {
        date.map { String(Int64($0.timeIntervalSince1970.rounded(.down))) } ?? ""
    }

    /// A stored time: `.some(nil)` for an empty field, nil when unreadable.
    private static func date(_ field: Substring) -> Date?? {
        if field.isEmpty { return .some(nil) }
        guard let seconds = Int64(field), seconds >= 0 else { return nil }
        return .some(Date(timeIntervalSince1970: TimeInterval(seconds)))
    }

    private static func bits(_ field: Substring) -> Set<StallReason>? {
        if field.isEmpty { return [] }
        guard let bits = Int(field), (0...7).contains(bits) else { return nil }
        return StallReason.reasons(bits: bits)
    }

    /// Caller-chosen text as lowercase hex of its UTF-8, so it cannot break the line format.
    private static func hex(_ text: String) -> String { Hex.encode(text.utf8) }

    private static func text(hex: Substring) -> String? {
        Hex.decode(String(hex)).flatMap { String(bytes: $0, encoding: .utf8) }
    }
}

/// A sign through the gateway whose outcome is unknown: once the gateway's signee is seen signed, the key's
/// stored answer is upgraded and `sign.confirmed` emitted.
package struct PendingSign: Sendable, Equatable {
    package var mode: SigningMode
    package var clientId: String
    package var key: String
    package var tokenProfile: String

    package init(mode: SigningMode, clientId: String, key: String, tokenProfile: String) {
        self.mode = mode
        self.clientId = clientId
        self.key = key
        self.tokenProfile = tokenProfile
    }

    var request: String { "\(self.clientId)/\(self.key)" }
}

/// One reading of an instance: its signing state and process position, each when known.
package struct Observation: Sendable, Equatable {
    package var signing: SigningSnapshot?
    package var process: ProcessPosition?
    /// Set by the poll that saw the process leave the signing task: whether its last read of the task's
    /// signing state (`?taskId=`) succeeded, or failed and the last state observed is kept.
    package var final: FinalSigning?

    package init(signing: SigningSnapshot?, process: ProcessPosition?, final: FinalSigning? = nil) {
        self.signing = signing
        self.process = process
        self.final = final
    }
}

/// Diffs an observation against the remembered state.
enum SnapshotDiff {
    /// `signingTask`: the task the instance is known to sign in, for telling a move when nothing was observed yet.
    /// `clock`: when the observation was made and the stall threshold; with it, each signee's "since" times are
    /// kept and a signee stalled past the threshold is told once per reason and round (`signee.stalled`), while
    /// the process is still in the signing task.
    static func apply(
        _ observation: Observation, to previous: ObservedState?, signingTask: String? = nil, clock: StallClock? = nil
    ) -> (ObservedState, [Transition]) {
        var transitions: [Transition] = []
        var next =
            previous
            ?? ObservedState(taskId: nil, signees: [], complete: false, processTask: nil, processEnded: false)
        var observed: SigningSnapshot?
        if var snapshot = observation.signing {
            var before = Dictionary(
                (previous?.signees ?? []).map { ($0.partyId, $0) }, uniquingKeysWith: { first, _ in first })
            var wasComplete = previous?.complete ?? false
            // Signatures the gateway saw in this task are gone: Altinn removed them (a reject, which deletes every
            // signature of the task). A new round begins, so its signs are new events, and the wipe is told.
            let sameTask = snapshot.taskId == nil || next.taskId == nil || snapshot.taskId == next.taskId
            let now = Dictionary(snapshot.signees.map { ($0.partyId, $0) }, uniquingKeysWith: { first, _ in first })
            let removed = before.values.filter { $0.status == .signed && now[$0.partyId]?.status != .signed }
            if sameTask, !removed.isEmpty {
                next.round += 1
                transitions.append(
                    .signingRejected(
                        SigningReset(
                            request: nil, rejectedBy: nil, taskId: snapshot.taskId ?? next.taskId,
                            removedSignatures: removed.count, process: observation.process, round: next.round)))
                before = [:]
                wasComplete = false
            }
            snapshot.round = next.round
            for signee in snapshot.signees {
                let old = before[signee.partyId]
                if signee.status == .signed, old?.status != .signed {
                    transitions.append(.signeeSigned(signee, snapshot))
                }
                if signee.notification == .failed, old?.notification != .failed {
                    transitions.append(.notificationFailed(signee, snapshot))
                }
                if !signee.delegated, old?.delegated ?? true {
                    transitions.append(.delegationFailed(signee, snapshot))
                }
            }
            if snapshot.complete, !wasComplete {
                transitions.append(.signingCompleted(snapshot))
            }
            next.taskId = snapshot.taskId ?? next.taskId
            next.signees = snapshot.signees.map {
                var kept = ObservedState.Signee(
                    partyId: $0.partyId, status: $0.status, notification: $0.notification, delegated: $0.delegated)
                if let clock { kept.keepTimes(from: before[$0.partyId], now: clock.now) }
                return kept
            }
            next.complete = snapshot.complete
            observed = snapshot
        }
        if let process = observation.process {
            if process.isEnded {
                if !next.processEnded { transitions.append(.processCompleted(process)) }
            } else if let task = process.currentTask?.id, let from = next.processTask ?? next.taskId ?? signingTask,
                task != from
            {
                transitions.append(.processMoved(process))
            }
            next.processTask = process.currentTask?.id
            next.processEnded = process.isEnded
        }
        if let clock, let observed, !next.leftTask {
            transitions += Self.stalls(&next, observed, clock)
        }
        return (next, transitions)
    }

    /// The stalls a fresh reading shows that were not told yet in this round; marks them told.
    private static func stalls(_ state: inout ObservedState, _ snapshot: SigningSnapshot, _ clock: StallClock)
        -> [Transition]
    {
        var transitions: [Transition] = []
        // `state.signees` was made from `snapshot.signees`, in the same order.
        for index in state.signees.indices where index < snapshot.signees.count {
            let signee = state.signees[index]
            for (reason, since) in signee.stallSince
            where !signee.told.contains(reason) && since.adding(clock.after) <= clock.now {
                transitions.append(
                    .signeeStalled(
                        SigneeStall(
                            signee: snapshot.signees[index], snapshot: snapshot, reason: reason, since: since,
                            after: clock.after)))
                state.signees[index].told.insert(reason)
            }
        }
        return transitions
    }
}
