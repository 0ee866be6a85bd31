package import Gateway
import GatewayHTTP
package import Logging
import ServiceLifecycle
package import Storage
import Synchronization

/// Runs one dispatcher loop per enabled subscription, so a slow or failing subscriber only ever delays its own
/// deliveries. Each loop goes round after round while its deliveries are due, otherwise waits (cut short by the
/// deliveries' doorbell). The set of loops follows the subscriptions: refreshed every `refresh`, and at once when
/// this process changed them (their own doorbell, not the deliveries': a sign that creates deliveries must not
/// cost a read of every subscription on the store's writer).
///
/// At graceful shutdown each loop finishes its current round (its attempts are recorded), then stops; what is
/// left stays in the outbox for the next start or another replica.
package struct DispatcherService: Service {
    let dispatcher: Dispatcher
    let store: any Store
    let deliveries: Doorbell
    let subscriptionsChanged: Doorbell
    let idle: Duration
    let refresh: Duration
    let logger: Logger

    package init(
        dispatcher: Dispatcher, store: any Store, deliveries: Doorbell, subscriptionsChanged: Doorbell,
        idle: Duration = .milliseconds(250), refresh: Duration = .seconds(1), logger: Logger
    ) {
        self.dispatcher = dispatcher
        self.store = store
        self.deliveries = deliveries
        self.subscriptionsChanged = subscriptionsChanged
        self.idle = idle
        self.refresh = refresh
        self.logger = logger
    }

    package func run() async throws {
        let loops = Loops()
        await withDiscardingTaskGroup { group in
            while !Task.isShuttingDownGracefully, !Task.isCancelled {
                let seen = self.subscriptionsChanged.rings
                do {
                    let enabled = try await self.store.subscriptions().filter(\.enabled).map(\.id)
                    for id in loops.startable(among: enabled) {
                        group.addTask { await self.loop(id, loops) }
                    }
                } catch {
                    // Keep the loops there are; the next refresh tries again.
                    self.logger.warning("reading subscriptions failed", metadata: ["error": "\(error)"])
                }
                await cancelWhenGracefulShutdown {
                    await self.subscriptionsChanged.wait(since: seen, timeout: self.refresh)
                }
            }
        }
    }

    private func loop(_ subscriptionId: String, _ loops: Loops) async {
        // Not cancelled at shutdown: a round is never cut mid-attempt; the loop ends between rounds.
        while !Task.isShuttingDownGracefully, !Task.isCancelled, loops.isWanted(subscriptionId) {
            let seen = self.deliveries.rings
            if await self.dispatcher.deliverDue(subscriptionId: subscriptionId) == 0 {
                await cancelWhenGracefulShutdown { await self.deliveries.wait(since: seen, timeout: self.idle) }
            }
        }
        loops.ended(subscriptionId)
    }
}

/// Which subscriptions should have a loop and which have one running, shared by the supervisor and the loops.
private final class Loops: Sendable {
    private struct State {
        var wanted: Set<String> = []
        var running: Set<String> = []
    }

    private let state = Mutex(State())

    /// Records the enabled subscriptions and returns those without a running loop (now marked running).
    func startable(among enabled: [String]) -> [String] {
        self.state.withLock { state in
            state.wanted = Set(enabled)
            let start = enabled.filter { !state.running.contains($0) }
            state.running.formUnion(start)
            return start
        }
    }

    func isWanted(_ id: String) -> Bool { self.state.withLock { $0.wanted.contains(id) } }

    func ended(_ id: String) { _ = self.state.withLock { $0.running.remove(id) } }
}
