import Synchronization
import Testing

@testable import Storage

/// The batcher alone, with a send that records what it was given and holds its first statement until told.
@Suite("Statement batcher")
struct StatementBatcherTests {
    /// Records each statement's items; the first waits for `release()`.
    final class Sender: Sendable {
        private let statements = Mutex<[[Int]]>([])
        private let (gate, opener) = AsyncStream.makeStream(of: Void.self)

        var sent: [[Int]] { statements.withLock { $0 } }

        func send(_ items: [Int]) async -> [Int] {
            let first = statements.withLock { statements in
                statements.append(items)
                return statements.count == 1
            }
            if first {
                for await _ in gate { break }
            }
            return items.map { $0 * 10 }
        }

        func release() { opener.yield() }
    }

    @Test("a call that finds nothing out is sent alone, at once")
    func alone() async {
        let sender = Sender()
        sender.release()
        let batcher = StatementBatcher<Int, Int>(limit: 4) { await sender.send($0) }
        #expect(await batcher.submit(7) == 70)
        #expect(await batcher.submit(8) == 80)
        #expect(sender.sent == [[7], [8]])
        #expect(batcher.sent == .init(statements: 2, items: 2))
    }

    @Test("calls that come while one is out go together, in order, at most the limit, each answered its own")
    func together() async {
        let sender = Sender()
        let batcher = StatementBatcher<Int, Int>(limit: 3) { await sender.send($0) }
        await withTaskGroup(of: (Int, Int).self) { group in
            group.addTask { (0, await batcher.submit(0)) }
            await batcher.untilQueued(0)
            // One at a time, so that they queue in this order.
            for item in 1...5 {
                group.addTask { (item, await batcher.submit(item)) }
                await batcher.untilQueued(item)
            }
            sender.release()
            for await (item, answer) in group {
                #expect(answer == item * 10)
            }
        }
        #expect(sender.sent == [[0], [1, 2, 3], [4, 5]])
        #expect(batcher.sent == .init(statements: 3, items: 6))
        // Nothing is out any more: the next call goes alone.
        #expect(await batcher.submit(6) == 60)
        #expect(sender.sent.last == [6])
    }
}
