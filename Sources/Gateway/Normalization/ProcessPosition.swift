package import AltinnAPI

/// Where an instance's process stands.
package struct ProcessPosition: Sendable, Equatable {
    package struct Task: Sendable, Equatable {
        package var id: String
        package var type: String?
        package var name: String?
        /// Process actions the caller may perform here (`currentTask.actions` entries that are true); empty when
        /// Altinn did not say (`/actions` answers carry Storage's process, without them).
        package var actions: Set<String> = []
    }

    package var currentTask: Task?
    package var ended: AltinnTimestamp?

    /// False when Altinn reports no process at all (`started`, `currentTask` and `ended` all null).
    package var isStarted: Bool = true

    package var isEnded: Bool { self.currentTask == nil && self.ended != nil }

    package init(currentTask: Task?, ended: AltinnTimestamp?) {
        self.currentTask = currentTask
        self.ended = ended
    }

    package init(_ state: AppProcessState) {
        self.currentTask = state.currentTask.map { task in
            Task(
                id: task.elementId, type: task.altinnTaskType, name: task.name,
                actions: Set((task.actions ?? [:]).filter(\.value).keys))
        }
        self.ended = state.ended
        self.isStarted = state.started != nil || state.currentTask != nil || state.ended != nil
    }

    /// From Storage's `Instance.process`, as `/actions` returns it.
    package init?(_ process: InstanceProcess?) {
        guard let process else { return nil }
        self.currentTask = process.currentTask.flatMap { task in
            task.elementId.map { Task(id: $0, type: task.altinnTaskType, name: task.name) }
        }
        self.ended = process.ended
    }
}
