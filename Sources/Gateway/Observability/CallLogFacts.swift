import Synchronization

/// What one inbound call turned out to be (client, operation, outcome), gathered where the audit record is
/// made and read by the request log line. Bound per request as a task-local by the HTTP layer; `nil` (and
/// then ignored) everywhere else.
public final class CallLogFacts: Sendable {
    public struct Facts: Sendable, Equatable {
        public var clientId: String?
        public var operation: String?
        public var outcome: String?
    }

    @TaskLocal public static var current: CallLogFacts?

    private let facts = Mutex(Facts())

    public init() {}

    public var snapshot: Facts { self.facts.withLock { $0 } }

    static func note(clientId: String?, operation: String, outcome: String) {
        Self.current?.facts.withLock { $0 = Facts(clientId: clientId, operation: operation, outcome: outcome) }
    }
}
