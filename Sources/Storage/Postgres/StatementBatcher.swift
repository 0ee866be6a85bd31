import Synchronization

/// Calls of one kind that come at once, sent as one statement: one round trip, one transaction and one WAL flush
/// for many (group commit, as the SQLite writer's).
///
/// A call that finds nothing out goes at once, alone. Calls that come while a statement is out wait; when it
/// returns, the first of them sends all of theirs together (at most `limit`), and the others wait for its answers.
/// Every statement is sent by one of its own calls, from that call's task: no task or thread of its own, nothing
/// handed off, and a lone call is never held back. At most one statement of this kind is out per process: under
/// load the batches grow instead of the statements queueing on the server for its locks.
final class StatementBatcher<Item: Sendable, Answer: Sendable>: Sendable {
    /// Sends `items` as one statement; one answer per item, in order.
    typealias Send = @Sendable ([Item]) async -> [Answer]

    private struct Waiter: Sendable {
        let item: Item
        let continuation: CheckedContinuation<Turn, Never>
    }

    private enum Turn: Sendable {
        case answered(Answer)
        /// Send this call's item with `others`'.
        case lead(others: [Waiter])
    }

    private struct State: Sendable {
        var sending = false
        var waiting: [Waiter] = []
        var sent = Sent()
        /// Tests waiting for a statement to be out with this many calls waiting behind it (`untilQueued`).
        var watchers: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

        /// The watchers whose count is reached, taken out, to be resumed outside the lock.
        mutating func reached() -> [CheckedContinuation<Void, Never>] {
            guard sending, !watchers.isEmpty else { return [] }
            let reached = watchers.filter { $0.count <= waiting.count }.map(\.continuation)
            watchers.removeAll { $0.count <= waiting.count }
            return reached
        }
    }

    /// How many statements were sent and how many calls they carried.
    struct Sent: Sendable, Equatable {
        var statements = 0
        var items = 0
    }

    let limit: Int
    private let send: Send
    private let state = Mutex(State())

    init(limit: Int, send: @escaping Send) {
        precondition(limit >= 1)
        self.limit = limit
        self.send = send
    }

    /// `item`'s answer, sent alone or with the calls that came meanwhile. Not cancellable: a waiting call is sent
    /// by the one before it, and `send` must not let its caller's cancellation end a statement that carries other
    /// calls' work (`PostgresPool.withConnection(followingCancellation: false)`).
    func submit(_ item: Item) async -> Answer {
        let turn = await withCheckedContinuation { (continuation: CheckedContinuation<Turn, Never>) in
            let (leads, reached) = self.state.withLock { state in
                let leads = !state.sending
                if leads {
                    state.sending = true
                    state.sent.statements += 1
                    state.sent.items += 1
                } else {
                    state.waiting.append(Waiter(item: item, continuation: continuation))
                }
                return (leads, state.reached())
            }
            for watcher in reached { watcher.resume() }
            // Resumed before the closure returns: the task goes on without suspending.
            if leads { continuation.resume(returning: .lead(others: [])) }
        }
        switch turn {
        case .answered(let answer):
            return answer
        case .lead(let others):
            let answers = await self.send([item] + others.map(\.item))
            precondition(answers.count == others.count + 1, "a batch's sender answers every item")
            // The next statement's sender goes before this one's answers are handed out.
            let next = self.state.withLock { state -> [Waiter] in
                guard !state.waiting.isEmpty else {
                    state.sending = false
                    return []
                }
                let count = min(self.limit, state.waiting.count)
                state.sent.statements += 1
                state.sent.items += count
                defer { state.waiting.removeFirst(count) }
                return Array(state.waiting.prefix(count))
            }
            if let first = next.first { first.continuation.resume(returning: .lead(others: Array(next.dropFirst()))) }
            for (waiter, answer) in zip(others, answers.dropFirst()) {
                waiter.continuation.resume(returning: .answered(answer))
            }
            return answers[0]
        }
    }

    /// What was sent so far.
    var sent: Sent { self.state.withLock(\.sent) }

    /// Returns once a statement is out and at least `count` calls wait behind it (for tests).
    func untilQueued(_ count: Int) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let reached = self.state.withLock { state in
                state.watchers.append((count, continuation))
                return state.reached()
            }
            for watcher in reached { watcher.resume() }
        }
    }
}
