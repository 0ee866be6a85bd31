import Foundation

/// The five demo scenarios. `rawValue` is what `POST /_simulator/instances` takes.
package enum DemoTemplate: String, Sendable, CaseIterable {
    case a = "A"
    case b = "B"
    case c = "C"
    case d = "D"
    case e = "E"
}

/// A seeded instance, listed by the executable at start-up.
package struct DemoInstance: Sendable, Equatable {
    /// `"{partyId}/{guid}"`, as in `Instance.id`.
    package let id: String
    /// `"{org}/{app}"`.
    package let app: String
    package let template: DemoTemplate
    package let description: String
}

/// Fixed seed data; GUIDs are relied on by the README and other tests.
enum SeedData {
    static let org = "ttd"
    static let app = "signing-app"
    static let ownerPartyId = 51_281_269

    static let guids: [DemoTemplate: UUID] = [
        .a: UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01")!,
        .b: UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02")!,
        .c: UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a03")!,
        .d: UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a04")!,
        .e: UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a05")!,
    ]

    static let descriptions: [DemoTemplate: String] = [
        .a: "parallel signing, the system user is the last signee",
        .b: "parallel signing, other signees pending (one notification failed, one delegation failed)",
        .c: "single signing: the system user is the only signee",
        .d: "process already ended",
        .e: "current task Task_1 (data), not a signing task",
    ]

    static var demoInstances: [DemoInstance] {
        DemoTemplate.allCases.map { template in
            DemoInstance(
                id: "\(ownerPartyId)/\(guids[template]!.uuidString.lowercased())",
                app: "\(org)/\(app)",
                template: template,
                description: descriptions[template]!
            )
        }
    }

    /// A fixed base time keeps seeded timestamps stable across runs. The odd tick count makes the
    /// 7th fractional digit non-zero.
    static let baseTime = Date(timeIntervalSince1970: 1_740_999_362.939_032_4)

    static func systemUserSignee(_ identity: SimulatedIdentity, signed: Date?) -> SigneeRecord {
        SigneeRecord(
            kind: .systemUser,
            name: "System",
            organization: identity.organizationName,
            partyId: identity.partyId,
            delegationSuccessful: true,
            notificationStatus: "Sent",
            signedTime: signed
        )
    }

    static func instance(_ template: DemoTemplate, guid: UUID, systemUser: SimulatedIdentity)
        -> InstanceRecord
    {
        let created = baseTime.addingTimeInterval(-3600)
        let signingStarted = baseTime.addingTimeInterval(-1800)
        let signed = baseTime
        var process = ProcessRecord(
            started: created, currentTaskIndex: 1, currentTaskStarted: signingStarted, flow: 3, ended: nil
        )
        var signees: [SigneeRecord] = []
        switch template {
        case .a:
            signees = [
                SigneeRecord(
                    kind: .person, name: "BØYLEHEST MATT", organization: nil, partyId: 51_281_269,
                    delegationSuccessful: true, notificationStatus: "Sent", signedTime: signed),
                SigneeRecord(
                    kind: .organization, name: nil, organization: "LYDIG VENNLIG KATT KJERNE",
                    partyId: 51_843_877,
                    delegationSuccessful: true, notificationStatus: "Sent",
                    signedTime: signed.addingTimeInterval(143.012_953)),
                SigneeRecord(
                    kind: .personOnBehalfOfOrganization, name: "FISK KUNSTIG",
                    organization: "LYDIG VENNLIG KATT KJERNE",
                    partyId: 51_843_878, delegationSuccessful: true, notificationStatus: "Sent",
                    signedTime: signed.addingTimeInterval(201.5)),
                systemUserSignee(systemUser, signed: nil),
            ]
        case .b:
            signees = [
                systemUserSignee(systemUser, signed: nil),
                SigneeRecord(
                    kind: .person, name: "GLAD TRANSPARENT HUND", organization: nil, partyId: 51_290_001,
                    delegationSuccessful: true, notificationStatus: "Failed", signedTime: nil),
                SigneeRecord(
                    kind: .person, name: "SPRETTEN RASK MUS", organization: nil, partyId: 51_290_002,
                    delegationSuccessful: false, notificationStatus: "NotSent", signedTime: nil),
            ]
        case .c:
            signees = [systemUserSignee(systemUser, signed: nil)]
        case .d:
            signees = [systemUserSignee(systemUser, signed: signed)]
            process = ProcessRecord(
                started: created, currentTaskIndex: nil, currentTaskStarted: nil, flow: 4,
                ended: signed.addingTimeInterval(1))
        case .e:
            process = ProcessRecord(
                started: created, currentTaskIndex: 0, currentTaskStarted: created, flow: 2, ended: nil)
        }
        var record = InstanceRecord(
            org: org,
            app: app,
            partyId: ownerPartyId,
            guid: guid,
            template: template,
            created: created,
            lastChanged: process.ended ?? process.currentTaskStarted ?? created,
            process: process,
            tasks: ProcessTaskDefinition.demoFlow,
            signees: ["Task_2": signees]
        )
        record.dataElements = [InstanceRecord.demoDocument(instance: guid, created: created)]
        if record.isEnded { record.endedSigningTasks = ["Task_2"] }
        for signee in signees {
            if let time = signee.signedTime { record.storeSignDocument(for: signee, taskId: "Task_2", now: time) }
        }
        return record
    }
}
