package import Foundation

/// One task of the (fixed) demo BPMN: Task_1 (data) → Task_2 (signing) → EndEvent_1.
struct ProcessTaskDefinition: Sendable, Equatable {
    let elementId: String
    let name: String
    let altinnTaskType: String

    var isSigning: Bool { altinnTaskType == "signing" }

    static let demoFlow: [ProcessTaskDefinition] = [
        ProcessTaskDefinition(elementId: "Task_1", name: "Utfylling", altinnTaskType: "data"),
        ProcessTaskDefinition(elementId: "Task_2", name: "Signering", altinnTaskType: "signing"),
    ]
}

/// The kind of a signee decides which of name/organization appear on the wire (§1.3).
enum SigneeKind: String, Sendable {
    case person
    case personOnBehalfOfOrganization
    case organization
    case systemUser
}

/// Public, read-only view of a signee for tests and the executable.
package struct SimulatedSigneeState: Sendable, Equatable {
    package var name: String?
    package var organization: String?
    package var delegationSuccessful: Bool
    package var notificationStatus: String
    package var partyId: Int
    package var signedTime: Date?
}

struct SigneeRecord: Sendable {
    var kind: SigneeKind
    var name: String?
    var organization: String?
    var partyId: Int
    var delegationSuccessful: Bool
    var notificationStatus: String
    var signedTime: Date?

    var publicState: SimulatedSigneeState {
        SimulatedSigneeState(
            name: name,
            organization: organization,
            delegationSuccessful: delegationSuccessful,
            notificationStatus: notificationStatus,
            partyId: partyId,
            signedTime: signedTime
        )
    }
}

/// Where the process is. `currentTaskIndex == nil` with `ended != nil` means the end event.
struct ProcessRecord: Sendable {
    var started: Date
    var currentTaskIndex: Int?
    var currentTaskStarted: Date?
    var flow: Int
    var ended: Date?

    static let startEvent = "StartEvent_1"
    static let endEvent = "EndEvent_1"
}

struct InstanceRecord: Sendable {
    let org: String
    let app: String
    let partyId: Int
    let guid: UUID
    let template: DemoTemplate
    let created: Date
    var lastChanged: Date
    var process: ProcessRecord
    let tasks: [ProcessTaskDefinition]
    /// Signees per signing task id.
    var signees: [String: [SigneeRecord]]
    /// Every sign call that reached the app API for this instance, dropped replies included.
    var signCalls: Int = 0
    /// Every `PUT …/process/next` that reached the app API for this instance, refused ones included.
    var processNextCalls: Int = 0
    /// The document to sign (one per instance here).
    var dataElements: [DataElementRecord] = []
    /// Signature documents, one per signee and task.
    var signDocuments: [SignDocumentRecord] = []
    /// Signing tasks the process has left (ended or abandoned) and not entered again: app-lib v8.12.4 revokes the
    /// signees' rights then (`revokeRightsAtTaskEnd`).
    var endedSigningTasks: Set<String> = []

    var id: String { "\(partyId)/\(guid.uuidString.lowercased())" }
    var appId: String { "\(org)/\(app)" }

    var currentTask: ProcessTaskDefinition? {
        process.currentTaskIndex.map { tasks[$0] }
    }

    var isEnded: Bool { process.ended != nil }

    func task(withId id: String) -> ProcessTaskDefinition? {
        tasks.first { $0.elementId == id }
    }
}

struct InstanceKey: Hashable, Sendable {
    let partyId: Int
    let guid: UUID
}
