package import Primitives

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
package struct UserActionResponse: Sendable, Equatable {
    package var instance: InstanceSummary?
    package var error: ActionError?
    package var redirectUrl: String?
}

/// `ActionError`: why an action handler failed, e.g. `UnauthorizedOnBehalfOf`.
package struct ActionError: Sendable, Equatable {
    package var code: String?
    package var message: String?
}

/// The parts of Storage's `Instance` the gateway reads. After a successful `sign` action, `data` already holds
/// the signature document Storage just added: app-lib's `SigningUserAction.HandleAction` reloads the instance's
/// data elements into the instance `ActionsController.Perform` answers with (app-lib-dotnet
/// `src/Altinn.App.Core/Features/Action/SigningUserAction.cs`; the unit of work holds that same instance).
package struct InstanceSummary: Sendable, Equatable {
    package var id: String?
    package var process: InstanceProcess?
    package var data: [DataElement]?
}

/// Storage's `ProcessState` inside an `Instance`.
package struct InstanceProcess: Sendable, Equatable {
    package var started: AltinnTimestamp?
    package var currentTask: InstanceProcessTask?
    package var ended: AltinnTimestamp?
    package var endEvent: String?
}

package struct InstanceProcessTask: Sendable, Equatable {
    package var elementId: String?
    package var name: String?
    package var altinnTaskType: String?
}

// Read from the tape directly (see `TapeReadable`), in extensions so that the memberwise initializers stay.

extension UserActionResponse: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.instance = try object["instance"].map(InstanceSummary.init(tape:))
        self.error = try object["error"].map(ActionError.init(tape:))
        self.redirectUrl = try object["redirectUrl"]?.string()
    }
}

extension ActionError: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.code = try object["code"]?.string()
        self.message = try object["message"]?.string()
    }
}

extension InstanceSummary: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.id = try object["id"]?.string()
        self.process = try object["process"].map(InstanceProcess.init(tape:))
        self.data = try object["data"]?.array(of: DataElement.self)
    }
}

extension InstanceProcess: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.started = try object["started"].map(AltinnTimestamp.init(tape:))
        self.currentTask = try object["currentTask"].map(InstanceProcessTask.init(tape:))
        self.ended = try object["ended"].map(AltinnTimestamp.init(tape:))
        self.endEvent = try object["endEvent"]?.string()
    }
}

extension InstanceProcessTask: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.elementId = try object["elementId"]?.string()
        self.name = try object["name"]?.string()
        self.altinnTaskType = try object["altinnTaskType"]?.string()
    }
}
