public import Gateway
public import ServiceLifecycle

/// Runs the dispatcher until shutdown: rounds back to back while deliveries are due, otherwise an idle wait cut
/// short by the doorbell. At graceful shutdown the current round finishes (its attempts are recorded), then it
/// stops; what is left stays in the outbox for the next start or another replica.
public struct DispatcherService: Service {
    let dispatcher: Dispatcher
    let doorbell: Doorbell
    let idle: Duration

    public init(dispatcher: Dispatcher, doorbell: Doorbell, idle: Duration = .milliseconds(250)) {
        self.dispatcher = dispatcher
        self.doorbell = doorbell
        self.idle = idle
    }

    public func run() async throws {
        // Not cancelled at shutdown: a round is never cut mid-attempt; the loop ends between rounds.
        while !Task.isShuttingDownGracefully, !Task.isCancelled {
            if await self.dispatcher.deliverDue() == 0 {
                await cancelWhenGracefulShutdown { await self.doorbell.wait(timeout: self.idle) }
            }
        }
    }
}
