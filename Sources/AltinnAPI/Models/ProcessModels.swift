/// `AppProcessState` (GET process, PUT process/next). Only what the gateway reads is decoded;
/// unknown members are ignored, as Altinn adds members between versions.
public struct AppProcessState: Decodable, Sendable, Equatable {
    public var started: AltinnTimestamp?
    public var startEvent: String?
    /// Null once the process has ended.
    public var currentTask: AppProcessTask?
    public var ended: AltinnTimestamp?
    public var endEvent: String?
    public var processTasks: [ProcessTaskInfo]?

    public init(
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
public struct AppProcessTask: Decodable, Sendable, Equatable {
    public var flow: Int?
    public var started: AltinnTimestamp?
    public var elementId: String
    public var name: String?
    public var altinnTaskType: String?
    public var ended: AltinnTimestamp?
    public var flowType: String?
    /// Process actions and whether the caller may perform them, e.g. `["sign": true]`.
    public var actions: [String: Bool]?
    public var userActions: [UserAction]?

    public init(
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

    public var isSigningTask: Bool { self.altinnTaskType == "signing" }
}

public struct UserAction: Decodable, Sendable, Equatable {
    public var id: String
    public var authorized: Bool?
    /// `ProcessAction` or `ServerAction` (a string on the wire; the generated OpenAPI wrongly says int).
    public var type: String?
}

public struct ProcessTaskInfo: Decodable, Sendable, Equatable {
    public var altinnTaskType: String?
    public var elementId: String
    public var elementType: String?
}

/// `ProcessNext`: body of PUT process/next. Note `actionOnBehalfOf` here vs `onBehalfOf` in `/actions`.
public struct ProcessNext: Encodable, Sendable, Equatable {
    public var action: String?
    public var actionOnBehalfOf: String?

    public init(action: String?, actionOnBehalfOf: String? = nil) {
        self.action = action
        self.actionOnBehalfOf = actionOnBehalfOf
    }

    enum CodingKeys: String, CodingKey { case action, actionOnBehalfOf }

    // Nulls are written like the app frontend does: `{"action":null}` is "no action".
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.action, forKey: .action)
        try container.encodeIfPresent(self.actionOnBehalfOf, forKey: .actionOnBehalfOf)
    }
}
