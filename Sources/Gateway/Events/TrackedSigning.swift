/// What the last observation of a tracked instance says about its signing, for listings (the console's signee
/// chips): read from the tracked row's snapshot without exposing the snapshot's format.
package struct TrackedSigning: Sendable, Equatable {
    package struct Signee: Sendable, Equatable {
        package var partyId: Int
        package var status: SigneeStatus
        package var notification: NotificationState
        package var delegated: Bool
    }

    package var taskId: String?
    package var signees: [Signee]
    package var complete: Bool
    package var processTask: String?
    package var processEnded: Bool

    package var signedCount: Int { self.signees.filter { $0.status == .signed }.count }

    /// Nil before the first observation, or when the snapshot cannot be read.
    package init?(snapshot: [UInt8]) {
        guard let state = ObservedState.stored(snapshot) else { return nil }
        self.taskId = state.taskId
        self.signees = state.signees.map {
            Signee(partyId: $0.partyId, status: $0.status, notification: $0.notification, delegated: $0.delegated)
        }
        self.complete = state.complete
        self.processTask = state.processTask
        self.processEnded = state.processEnded
    }
}
