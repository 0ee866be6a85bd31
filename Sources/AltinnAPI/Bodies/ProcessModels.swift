/// `AppProcessState` (GET process, PUT process/next). Only what the gateway reads is decoded;
/// unknown members are ignored, as Altinn adds members between versions.
package struct AppProcessState: Decodable, Sendable, Equatable {
    package var started: AltinnTimestamp?
    package var startEvent: String?
    /// Null once the process has ended.
    package var currentTask: AppProcessTask?
    package var ended: AltinnTimestamp?
    package var endEvent: String?
    package var processTasks: [ProcessTaskInfo]?

    package init(
        started: AltinnTimestamp? = nil,
        startEvent: String? = nil,
        currentTask: AppProcessTask? = nil,
        ended: AltinnTimestamp? = nil,
        endEvent: String? = nil,
        processTasks: [ProcessTaskInfo]? = nil
    ) {
        self.started = started
        self.startEvent = startEvent
        self.currentTask = currentTask
        self.ended = ended
        self.endEvent = endEvent
        self.processTasks = processTasks
    }
}

/// `AppProcessElementInfo`: the current task.
package struct AppProcessTask: Decodable, Sendable, Equatable {
    package var flow: Int?
    package var started: AltinnTimestamp?
    package var elementId: String
    package var name: String?
    package var altinnTaskType: String?
    package var ended: AltinnTimestamp?
    package var flowType: String?
    /// Process actions and whether the caller may perform them, e.g. `["sign": true]`.
    package var actions: [String: Bool]?
    package var userActions: [UserAction]?

    package init(
        elementId: String,
        name: String? = nil,
        altinnTaskType: String? = nil,
        flow: Int? = nil,
        actions: [String: Bool]? = nil
    ) {
        self.elementId = elementId
        self.name = name
        self.altinnTaskType = altinnTaskType
        self.flow = flow
        self.actions = actions
    }

    package var isSigningTask: Bool { self.altinnTaskType == "signing" }
}

package struct UserAction: Decodable, Sendable, Equatable {
    package var id: String
    package var authorized: Bool?
    /// `ProcessAction` or `ServerAction` (a string on the wire; the generated OpenAPI wrongly says int).
    package var type: String?
}

package struct ProcessTaskInfo: Decodable, Sendable, Equatable {
    package var altinnTaskType: String?
    package var elementId: String
    package var elementType: String?
}

/// `ProcessNext`: body of PUT process/next. Note `actionOnBehalfOf` here vs `onBehalfOf` in `/actions`.
package struct ProcessNext: Encodable, Sendable, Equatable {
    package var action: String?
    package var actionOnBehalfOf: String?

    package init(action: String?, actionOnBehalfOf: String? = nil) {
        self.action = action
        self.actionOnBehalfOf = actionOnBehalfOf
    }

    enum CodingKeys: String, CodingKey { case action, actionOnBehalfOf }

    // Nulls are written like the app frontend does: `{"action":null}` is "no action".
    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.action, forKey: .action)
        try container.encodeIfPresent(self.actionOnBehalfOf, forKey: .actionOnBehalfOf)
    }
}
