/// `UserActionRequest`: body of POST actions.
public struct UserActionRequest: Encodable, Sendable, Equatable {
    public var action: String
    public var buttonId: String?
    public var metadata: [String: String]?
    public var ignoredValidators: [String]?
    /// Organisation number to sign for. Called `actionOnBehalfOf` in process/next.
    public var onBehalfOf: String?

    public init(action: String, onBehalfOf: String? = nil) {
        self.action = action
        self.onBehalfOf = onBehalfOf
    }

    enum CodingKeys: String, CodingKey { case action, buttonId, metadata, ignoredValidators, onBehalfOf }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.action, forKey: .action)
        try container.encodeIfPresent(self.buttonId, forKey: .buttonId)
        try container.encodeIfPresent(self.metadata, forKey: .metadata)
        try container.encodeIfPresent(self.ignoredValidators, forKey: .ignoredValidators)
        try container.encodeIfPresent(self.onBehalfOf, forKey: .onBehalfOf)
    }
}

/// `UserActionResponse`: answer of POST actions, on success and on handler failure alike.
public struct UserActionResponse: Decodable, Sendable, Equatable {
    public var instance: InstanceSummary?
    public var error: ActionError?
    public var redirectUrl: String?
}

/// `ActionError`: why an action handler failed, e.g. `UnauthorizedOnBehalfOf`.
public struct ActionError: Decodable, Sendable, Equatable {
    public var code: String?
    public var message: String?
}

/// The parts of Storage's `Instance` the gateway reads.
public struct InstanceSummary: Decodable, Sendable, Equatable {
    public var id: String?
    public var process: InstanceProcess?
}

/// Storage's `ProcessState` inside an `Instance`.
public struct InstanceProcess: Decodable, Sendable, Equatable {
    public var started: AltinnTimestamp?
    public var currentTask: InstanceProcessTask?
    public var ended: AltinnTimestamp?
    public var endEvent: String?
}

public struct InstanceProcessTask: Decodable, Sendable, Equatable {
    public var elementId: String?
    public var name: String?
    public var altinnTaskType: String?
}
