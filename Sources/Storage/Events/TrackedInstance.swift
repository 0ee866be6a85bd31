package import Foundation

/// An Altinn instance whose signing state the tracker polls, with the last observation it diffed against.
/// The gateway owns the meaning of `snapshot`; the store keeps its bytes.
package struct TrackedInstance: Sendable, Equatable {
    /// `{org}/{app}/{partyId}/{guid}`, the same form as audit records' `instance`.
    package var instance: String
    package var clientId: String?
    package var tokenProfile: String?
    /// The signing task to read (`?taskId=`), once known.
    package var taskId: String?
    package var completeWhenAllSigned: Bool
    package var status: TrackingStatus
    /// The last observed state as the gateway serialized it; empty before the first observation.
    package var snapshot: [UInt8]
    package var polls: Int
    package var nextPollAt: Date
    /// Polling stops (status `expired`) after this.
    package var deadline: Date
    /// The once-only guard of the automatic `process/next` of `completeWhenAllSigned`.
    package var processNext: ProcessNextGuard
    package var traceparent: String?
    /// Why the last poll failed, in words without values from Altinn; nil after a successful poll.
    package var lastError: String?
    /// Which tracker holds the row, until when. Cleared by the holder's commit.
    package var leaseOwner: String?
    package var leaseUntil: Date?
    package var createdAt: Date
    package var updatedAt: Date

    package init(
        instance: String,
        clientId: String?,
        tokenProfile: String?,
        taskId: String?,
        completeWhenAllSigned: Bool,
        status: TrackingStatus = .active,
        snapshot: [UInt8] = [],
        polls: Int = 0,
        nextPollAt: Date,
        deadline: Date,
        processNext: ProcessNextGuard = .notClaimed,
        traceparent: String?,
        lastError: String? = nil,
        leaseOwner: String? = nil,
        leaseUntil: Date? = nil,
        createdAt: Date,
        updatedAt: Date
    ) {
        self.instance = instance
        self.clientId = clientId
        self.tokenProfile = tokenProfile
        self.taskId = taskId
        self.completeWhenAllSigned = completeWhenAllSigned
        self.status = status
        self.snapshot = snapshot
        self.polls = polls
        self.nextPollAt = nextPollAt
        self.deadline = deadline
        self.processNext = processNext
        self.traceparent = traceparent
        self.lastError = lastError
        self.leaseOwner = leaseOwner
        self.leaseUntil = leaseUntil
        self.createdAt = createdAt
        self.updatedAt = updatedAt
    }
}

package enum TrackingStatus: String, Sendable, Equatable, CaseIterable {
    /// Polled until one of the others.
    case active
    /// Every signee signed and the process has left the signing task (so `process.moved`/`process.completed`
    /// were told too).
    case complete
    /// The process ended or left the signing task.
    case ended
    /// The deadline passed first.
    case expired
}

/// `process/next` must be called at most once per tracked instance, whichever replica sees completion.
package enum ProcessNextGuard: Sendable, Equatable {
    case notClaimed
    /// A tracker claimed the call with this token at this time; it may or may not have reached Altinn.
    case claimed(token: String, at: Date)
    case done
}

/// Counts for metrics.
package struct TrackingCount: Sendable, Equatable {
    package var status: TrackingStatus
    package var count: Int

    package init(status: TrackingStatus, count: Int) {
        self.status = status
        self.count = count
    }
}

extension TrackedInstance {
    /// The row as either store gives it back once written (times at whole microseconds, the process-next guard
    /// as its columns hold it), computed instead of read back: both stores write exactly these columns.
    var asStored: TrackedInstance {
        get throws(StoreError) {
            var row = self
            let stored = { (date: Date) in StoredTime.date(micros: StoredTime.micros(date)) }
            row.nextPollAt = stored(row.nextPollAt)
            row.deadline = stored(row.deadline)
            row.leaseUntil = row.leaseUntil.map(stored)
            row.createdAt = stored(row.createdAt)
            row.updatedAt = stored(row.updatedAt)
            let columns = EventColumns.columns(row.processNext)
            row.processNext = try EventColumns.processNext(
                state: columns.state, token: columns.token, claimedAtMicros: columns.claimedAtMicros)
            return row
        }
    }
}
