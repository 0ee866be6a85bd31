public import Foundation
public import Gateway

/// The events parts shared by the routes and the background loops of one gateway process.
public struct EventsWiring: Sendable {
    public let observer: InstanceObserver
    /// Rung when a commit created deliveries, so the dispatcher starts at once.
    public let doorbell: Doorbell
    /// Rung when a request started tracking, so the first poll is not left to the idle wait.
    public let trackerDoorbell = Doorbell()
    /// This process's name on leases (tracker rows, deliveries).
    public let owner: String

    public init(observer: InstanceObserver, doorbell: Doorbell = Doorbell(), owner: String = "gw_\(UUID().uuidString)")
    {
        self.observer = observer
        self.doorbell = doorbell
        self.owner = owner
    }
}
