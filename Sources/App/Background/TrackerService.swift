package import Gateway
import GatewayHTTP
import ServiceLifecycle

/// Runs the tracker until shutdown: a round whenever instances are due, otherwise a short idle wait (cut short
/// when a request starts tracking something).
package struct TrackerService: Service {
    let tracker: Tracker
    let doorbell: Doorbell
    let idle: Duration

    package init(tracker: Tracker, doorbell: Doorbell, idle: Duration = .milliseconds(500)) {
        self.tracker = tracker
        self.doorbell = doorbell
        self.idle = idle
    }

    package func run() async throws {
        // At graceful shutdown the wait is cancelled; a round in progress finishes its commits first.
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                let seen = self.doorbell.rings
                if await self.tracker.pollDue() == 0 { await self.doorbell.wait(since: seen, timeout: self.idle) }
            }
        }
    }
}
