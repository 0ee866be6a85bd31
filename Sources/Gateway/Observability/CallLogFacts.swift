import Synchronization

/// What one inbound call turned out to be (client, operation, outcome), gathered where the audit record is
/// made and read by the request log line. Bound per request as a task-local by the HTTP layer; `nil` (and
/// then ignored) everywhere else.
package final class CallLogFacts: Sendable {
    package struct Facts: Sendable, Equatable {
        package var clientId: String?
        package var operation: String?
        package var outcome: String?
    }

    @TaskLocal package static var current: CallLogFacts?

    private let facts = Mutex(Facts())

    package init() {}

    package var snapshot: Facts { self.facts.withLock { $0 } }

    static func note(clientId: String?, operation: String, outcome: String) {
        Self.current?.facts.withLock { $0 = Facts(clientId: clientId, operation: operation, outcome: outcome) }
    }
}
