import Foundation

/// What the gateway remembers of an instance between observations: just enough to tell what changed.
/// Stored as JSON in the tracked instance's `snapshot`.
struct ObservedState: Codable, Equatable, Sendable {
    struct Signee: Codable, Equatable, Sendable {
        var partyId: Int
        var status: SigneeStatus
        var notification: NotificationState
        var delegated: Bool
    }

    var taskId: String?
    var signees: [Signee]
    var complete: Bool
    var processTask: String?
    var processEnded: Bool

    init(bytes: [UInt8]) throws {
        self = try JSONDecoder().decode(ObservedState.self, from: Data(bytes))
    }

    init(taskId: String?, signees: [Signee], complete: Bool, processTask: String?, processEnded: Bool) {
        self.taskId = taskId
        self.signees = signees
        self.complete = complete
        self.processTask = processTask
        self.processEnded = processEnded
    }

    var bytes: [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        // Encoding plain value types into JSON cannot fail.
        return (try? encoder.encode(self)).map { Array($0) } ?? []
    }

    /// A stored snapshot; nil when empty (never observed) or unreadable (then everything counts as new, and
    /// deterministic event ids keep that from duplicating events).
    static func stored(_ bytes: [UInt8]) -> ObservedState? {
        bytes.isEmpty ? nil : try? ObservedState(bytes: bytes)
    }
}

/// One reading of an instance: its signing state and process position, each when known.
public struct Observation: Sendable, Equatable {
    public var signing: SigningSnapshot?
    public var process: ProcessPosition?

    public init(signing: SigningSnapshot?, process: ProcessPosition?) {
        self.signing = signing
        self.process = process
    }
}

/// Diffs an observation against the remembered state.
enum SnapshotDiff {
    /// `signingTask`: the task the instance is known to sign in, for telling a move when nothing was observed yet.
    static func apply(
        _ observation: Observation, to previous: ObservedState?, signingTask: String? = nil
    ) -> (ObservedState, [Transition]) {
        var transitions: [Transition] = []
        var next =
            previous
            ?? ObservedState(taskId: nil, signees: [], complete: false, processTask: nil, processEnded: false)
        if let snapshot = observation.signing {
            let before = Dictionary(
                (previous?.signees ?? []).map { ($0.partyId, $0) }, uniquingKeysWith: { first, _ in first })
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
            if snapshot.complete, !(previous?.complete ?? false) {
                transitions.append(.signingCompleted(snapshot))
            }
            next.taskId = snapshot.taskId ?? next.taskId
            next.signees = snapshot.signees.map {
                .init(partyId: $0.partyId, status: $0.status, notification: $0.notification, delegated: $0.delegated)
            }
            next.complete = snapshot.complete
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
        return (next, transitions)
    }
}
