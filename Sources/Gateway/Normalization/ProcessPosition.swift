public import AltinnAPI

/// Where an instance's process stands.
public struct ProcessPosition: Sendable, Equatable {
    public struct Task: Sendable, Equatable {
        public var id: String
        public var type: String?
        public var name: String?
    }

    public var currentTask: Task?
    public var ended: AltinnTimestamp?

    /// False when Altinn reports no process at all (`started`, `currentTask` and `ended` all null).
    public var isStarted: Bool = true

    public var isEnded: Bool { self.currentTask == nil && self.ended != nil }

    public init(currentTask: Task?, ended: AltinnTimestamp?) {
        self.currentTask = currentTask
        self.ended = ended
    }

    public init(_ state: AppProcessState) {
        self.currentTask = state.currentTask.map { Task(id: $0.elementId, type: $0.altinnTaskType, name: $0.name) }
        self.ended = state.ended
        self.isStarted = state.started != nil || state.currentTask != nil || state.ended != nil
    }

    /// From Storage's `Instance.process`, as `/actions` returns it.
    public init?(_ process: InstanceProcess?) {
        guard let process else { return nil }
        self.currentTask = process.currentTask.flatMap { task in
            task.elementId.map { Task(id: $0, type: task.altinnTaskType, name: task.name) }
        }
        self.ended = process.ended
    }
}
