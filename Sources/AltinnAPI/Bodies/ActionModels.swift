/// `UserActionRequest`: body of POST actions.
package struct UserActionRequest: Encodable, Sendable, Equatable {
    package var action: String
    package var buttonId: String?
    package var metadata: [String: String]?
    package var ignoredValidators: [String]?
    /// Organisation number to sign for. Called `actionOnBehalfOf` in process/next.
    package var onBehalfOf: String?

    package init(action: String, onBehalfOf: String? = nil) {
        self.action = action
        self.onBehalfOf = onBehalfOf
    }

    enum CodingKeys: String, CodingKey { case action, buttonId, metadata, ignoredValidators, onBehalfOf }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(self.action, forKey: .action)
        try container.encodeIfPresent(self.buttonId, forKey: .buttonId)
        try container.encodeIfPresent(self.metadata, forKey: .metadata)
        try container.encodeIfPresent(self.ignoredValidators, forKey: .ignoredValidators)
        try container.encodeIfPresent(self.onBehalfOf, forKey: .onBehalfOf)
    }
}

/// `UserActionResponse`: answer of POST actions, on success and on handler failure alike.
package struct UserActionResponse: Decodable, Sendable, Equatable {
    package var instance: InstanceSummary?
    package var error: ActionError?
    package var redirectUrl: String?
}

/// `ActionError`: why an action handler failed, e.g. `UnauthorizedOnBehalfOf`.
package struct ActionError: Decodable, Sendable, Equatable {
    package var code: String?
    package var message: String?
}

/// The parts of Storage's `Instance` the gateway reads. After a successful `sign` action, `data` already holds
/// the signature document Storage just added: app-lib's `SigningUserAction.HandleAction` reloads the instance's
/// data elements into the instance `ActionsController.Perform` answers with (app-lib-dotnet
/// `src/Altinn.App.Core/Features/Action/SigningUserAction.cs`; the unit of work holds that same instance).
package struct InstanceSummary: Decodable, Sendable, Equatable {
    package var id: String?
    package var process: InstanceProcess?
    package var data: [DataElement]?
}

/// Storage's `ProcessState` inside an `Instance`.
package struct InstanceProcess: Decodable, Sendable, Equatable {
    package var started: AltinnTimestamp?
    package var currentTask: InstanceProcessTask?
    package var ended: AltinnTimestamp?
    package var endEvent: String?
}

package struct InstanceProcessTask: Decodable, Sendable, Equatable {
    package var elementId: String?
    package var name: String?
    package var altinnTaskType: String?
}
