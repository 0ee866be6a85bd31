/// `ApplicationMetadata` (`GET {app}/api/v1/applicationmetadata`): what signing needs of it. Every member is
/// optional and unknown members are ignored (the file passes unknown keys through, reference §4).
package struct ApplicationMetadata: Decodable, Sendable, Equatable {
    /// `org/app`.
    package var id: String?
    package var org: String?
    /// The assembly version of `Altinn.App.Core` (`Major.Minor.Patch.Build`).
    package var altinnNugetVersion: String?
    package var dataTypes: [DataTypeMetadata]?
    package var apiScopes: ApiScopesConfiguration?
    package var messageBoxConfig: MessageBoxConfig?

    package init(
        id: String? = nil, org: String? = nil, altinnNugetVersion: String? = nil, dataTypes: [DataTypeMetadata]? = nil,
        apiScopes: ApiScopesConfiguration? = nil, messageBoxConfig: MessageBoxConfig? = nil
    ) {
        self.id = id
        self.org = org
        self.altinnNugetVersion = altinnNugetVersion
        self.dataTypes = dataTypes
        self.apiScopes = apiScopes
        self.messageBoxConfig = messageBoxConfig
    }

    package func dataType(_ id: String) -> DataTypeMetadata? { self.dataTypes?.first { $0.id == id } }
}

/// `DataType`.
package struct DataTypeMetadata: Decodable, Sendable, Equatable {
    package var id: String
    package var allowedContentTypes: [String]?
    package var allowedContributors: [String]?
    /// The legacy spelling, still serialized (and read first by Altinn's helper).
    package var allowedContributers: [String]?
    package var actionRequiredToRead: String?
    package var actionRequiredToWrite: String?
    /// The task whose end locks elements of this type; nil: never locked by the process.
    package var taskId: String?
    package var minCount: Int?
    package var maxCount: Int?

    package init(
        id: String, allowedContentTypes: [String]? = nil, allowedContributors: [String]? = nil,
        allowedContributers: [String]? = nil, actionRequiredToRead: String? = nil,
        actionRequiredToWrite: String? = nil, taskId: String? = nil, minCount: Int? = nil, maxCount: Int? = nil
    ) {
        self.id = id
        self.allowedContentTypes = allowedContentTypes
        self.allowedContributors = allowedContributors
        self.allowedContributers = allowedContributers
        self.actionRequiredToRead = actionRequiredToRead
        self.actionRequiredToWrite = actionRequiredToWrite
        self.taskId = taskId
        self.minCount = minCount
        self.maxCount = maxCount
    }

    /// `allowedContributors` (or the legacy `allowedContributers`) lists `app:owned`: clients cannot write it.
    package var isAppOwned: Bool {
        (self.allowedContributers ?? []).contains("app:owned") || (self.allowedContributors ?? []).contains("app:owned")
    }
}

/// `ApiScopesConfiguration`: app-specific scopes for the instance routes, by kind of caller.
package struct ApiScopesConfiguration: Decodable, Sendable, Equatable {
    package var users: ApiScopes?
    package var serviceOwners: ApiScopes?

    package init(users: ApiScopes? = nil, serviceOwners: ApiScopes? = nil) {
        self.users = users
        self.serviceOwners = serviceOwners
    }
}

/// `ApiScopes`: `[app]` in a scope stands for the app's name.
package struct ApiScopes: Decodable, Sendable, Equatable {
    package var read: String?
    package var write: String?

    package init(read: String? = nil, write: String? = nil) {
        self.read = read
        self.write = write
    }
}

/// `MessageBoxConfig`.
package struct MessageBoxConfig: Decodable, Sendable, Equatable {
    package var syncAdapterSettings: SyncAdapterSettings?

    package init(syncAdapterSettings: SyncAdapterSettings? = nil) {
        self.syncAdapterSettings = syncAdapterSettings
    }
}

/// `SyncAdapterSettings`: the Dialogporten adapter's switches for this app.
package struct SyncAdapterSettings: Decodable, Sendable, Equatable {
    package var disableSync: Bool?
    package var disableAddActivities: Bool?

    package init(disableSync: Bool? = nil, disableAddActivities: Bool? = nil) {
        self.disableSync = disableSync
        self.disableAddActivities = disableAddActivities
    }
}
