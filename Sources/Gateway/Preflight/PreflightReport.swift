package import AltinnAPI
package import Foundation

/// What a preflight found out about an app: its signing tasks, the scopes it requires, how the gateway's token
/// profiles compare, and warnings, each with a stable code.
package struct PreflightReport: Sendable, Equatable {
    package var app: AppReference
    /// `id` and `altinnNugetVersion` as the metadata states them.
    package var metadataId: String?
    package var altinnNugetVersion: String?
    package var signingTasks: [SigningTaskReport]
    package var apiScopes: RequiredScopes
    package var tokenProfiles: [TokenProfileCheck]
    package var dialogportenSyncDisabled: Bool
    package var dialogportenActivitiesDisabled: Bool
    package var warnings: [PreflightWarning]
    package var fetchedAt: Date
}

/// One signing task of the process definition.
package struct SigningTaskReport: Sendable, Equatable {
    package var id: String
    package var name: String?
    package var dataTypesToSign: [String]
    package var signatureDataType: String?
    package var signeeProviderId: String?
    package var signeeStatesDataTypeId: String?
    package var signingPdfDataType: String?
    /// The action ids the task lists (`<altinn:action>` texts).
    package var actions: [String]
    package var uniqueFromSignaturesInDataTypes: [String]
    package var runDefaultValidator: Bool
    /// Where `process/next` goes from the task with `sign`, with `reject`, and without an action.
    package var routeOnSign: ProcessRoute
    package var routeOnReject: ProcessRoute
    package var routeWithoutAction: ProcessRoute

    package var offersSign: Bool { self.actions.contains("sign") }
    package var offersReject: Bool { self.actions.contains("reject") }
}

/// The app's `apiScopes` with `[app]` replaced by the app's name; nil where the app sets none.
package struct RequiredScopes: Sendable, Equatable {
    package var usersRead: String?
    package var usersWrite: String?
    package var serviceOwnersRead: String?
    package var serviceOwnersWrite: String?
}

/// How one configured token profile compares with the app's `apiScopes`.
package struct TokenProfileCheck: Sendable, Equatable {
    package enum Identity: String, Sendable {
        /// A service-owner token (`altinn:serviceowner…` scopes).
        case serviceOwner
        /// An end user or system user (Maskinporten without service-owner scopes).
        case user
        /// Scopes not known (a static token without configured `scopes`).
        case unknown
    }

    package enum Status: String, Sendable {
        case ok
        case missingScopes
        case unknown
    }

    package var name: String
    package var kind: String
    package var identity: Identity
    /// The scopes the app requires of this kind of caller (read and write); empty when it sets none.
    package var required: [String]
    package var missing: [String]
    package var status: Status
}

/// Something a user must know before going live. `code` is stable; `detail` is the gateway's explanation.
package struct PreflightWarning: Sendable, Equatable {
    package enum Code: String, Sendable, CaseIterable {
        case noSigningTask = "no-signing-task"
        case signingConfigIncomplete = "signing-config-incomplete"
        case noSignAction = "no-sign-action"
        case repeatSignPossible = "repeat-sign-possible"
        case noRejectAction = "no-reject-action"
        case defaultValidatorOff = "default-validator-off"
        case gatewayNotNullSafe = "gateway-not-null-safe"
        case gatewayFailsForAction = "gateway-fails-for-action"
        case gatewayUndetermined = "gateway-undetermined"
        case unknownDataType = "unknown-data-type"
        case signedDataUnlocked = "signed-data-unlocked"
        case signatureTypeNotAppOwned = "signature-type-not-app-owned"
        case signeeStateTypeNotAppOwned = "signee-state-type-not-app-owned"
        case signatureTypeReadable = "signature-type-readable"
        case signatureTypeReadRestricted = "signature-type-read-restricted"
        case tokenProfileMissingScope = "token-profile-missing-scope"
        case dialogportenSyncDisabled = "dialogporten-sync-disabled"
        case dialogportenActivitiesDisabled = "dialogporten-activities-disabled"

        /// `info` codes describe a consequence to plan for; the others a risk or a failure to fix.
        package var severity: String {
            switch self {
            case .gatewayUndetermined, .signatureTypeReadRestricted: return "info"
            default: return "warning"
            }
        }
    }

    package var code: Code
    package var taskId: String?
    package var dataType: String?
    package var tokenProfile: String?
    package var detail: String

    package init(
        _ code: Code, taskId: String? = nil, dataType: String? = nil, tokenProfile: String? = nil, _ detail: String
    ) {
        self.code = code
        self.taskId = taskId
        self.dataType = dataType
        self.tokenProfile = tokenProfile
        self.detail = detail
    }
}
