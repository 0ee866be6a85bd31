import Crypto
import Foundation

/// A data element of an instance: the document to sign (binary, `ref-data-as-pdf`) or a signature document.
/// Storage hashes the exact stored bytes when a signature is made (altinn-signing-more.md §6).
struct DataElementRecord: Sendable {
    static let documentType = "ref-data-as-pdf"
    static let signatureType = "signatures"

    let id: UUID
    let dataType: String
    let contentType: String
    var bytes: [UInt8]
    let created: Date
    var lastChanged: Date
    /// The task a signature document was generated from (`references: GeneratedFrom`).
    var generatedFromTask: String?

    var sha256: String { SHA256.hash(data: self.bytes).map { String(format: "%02x", $0) }.joined() }
}

/// Storage's `SignDocument` (§6): who signed, when, and the SHA-256 of each signed element's bytes.
struct SignDocumentRecord: Sendable {
    let id: UUID
    let taskId: String
    let signeePartyId: Int
    let userId: String?
    let systemUserId: String?
    let organisationNumber: String?
    let signedTime: Date
    let signatures: [(dataElementId: UUID, sha256: String)]
}

extension InstanceRecord {
    /// The document every seeded instance carries, with a stable id derived from the instance's.
    static func demoDocument(instance guid: UUID, created: Date) -> DataElementRecord {
        let text = guid.uuidString.lowercased()
        let id = UUID(uuidString: "da7a" + text.dropFirst(4)) ?? UUID()
        return DataElementRecord(
            id: id, dataType: DataElementRecord.documentType, contentType: "application/pdf",
            bytes: Array("%PDF-1.4\n% signing-gateway demo contract for instance \(text)\n%%EOF\n".utf8),
            created: created, lastChanged: created)
    }

    /// Storage's `POST …/sign`: hashes the task's documents and replaces the same signee's earlier document
    /// (ST #656).
    mutating func storeSignDocument(
        taskId: String, signeePartyId: Int, userId: String?, systemUserId: String?, organisationNumber: String?,
        now: Date
    ) {
        let signed = self.dataElements.filter { $0.dataType == DataElementRecord.documentType }
        self.signDocuments.removeAll { $0.taskId == taskId && $0.signeePartyId == signeePartyId }
        self.signDocuments.append(
            SignDocumentRecord(
                id: UUID(), taskId: taskId, signeePartyId: signeePartyId, userId: userId, systemUserId: systemUserId,
                organisationNumber: organisationNumber, signedTime: now,
                signatures: signed.map { ($0.id, $0.sha256) }))
    }

    /// A sign document for a signee who signed in the seed data or out of band.
    mutating func storeSignDocument(for signee: SigneeRecord, taskId: String, now: Date) {
        self.storeSignDocument(
            taskId: taskId, signeePartyId: signee.partyId,
            userId: signee.kind == .systemUser ? nil : String(signee.partyId),
            systemUserId: signee.kind == .systemUser ? Self.systemUserId(partyId: signee.partyId) : nil,
            organisationNumber: nil, now: now)
    }

    static func systemUserId(partyId: Int) -> String {
        "00000000-0000-4000-8000-" + String(format: "%012d", partyId)
    }

    /// `SignatureHashValidator`: true when a signed element's bytes no longer match its signature.
    func signaturesInvalidated(taskId: String) -> Bool {
        let current = Dictionary(uniqueKeysWithValues: self.dataElements.map { ($0.id, $0.sha256) })
        return self.signDocuments.contains { document in
            document.taskId == taskId && document.signatures.contains { current[$0.dataElementId] != $0.sha256 }
        }
    }

    /// `SigningProcessTask.Abandon` on reject (§1.3): every signature of the task and its signee state go; the
    /// signees are asked again when the task is entered again. The usual BPMN routes reject back to the data task.
    mutating func reject(now: Date) {
        guard let task = self.currentTask, task.isSigning else { return }
        self.signDocuments.removeAll { $0.taskId == task.elementId }
        self.signees[task.elementId] = (self.signees[task.elementId] ?? []).map { row in
            var row = row
            row.signedTime = nil
            return row
        }
        self.endedSigningTasks.insert(task.elementId)
        self.process.flow += 1
        self.process.currentTaskIndex = self.tasks.firstIndex { !$0.isSigning }
        self.process.currentTaskStarted = now
        self.lastChanged = now
    }

    /// The JSON of a sign document, as Storage serializes it (`JsonSerializerOptions.Web`, nulls written).
    func signDocumentJSON(_ document: SignDocumentRecord) -> JSONValue {
        .obj([
            "id": .string(document.id.uuidString.lowercased()),
            "instanceGuid": .string(self.guid.uuidString.lowercased()),
            "signedTime": WireTime.json(document.signedTime),
            "signeeInfo": .obj([
                "userId": .optionalString(document.userId),
                "systemUserId": .optionalString(document.systemUserId),
                "personNumber": .null,
                "organisationNumber": .optionalString(document.organisationNumber),
            ]),
            "dataElementSignatures": .array(
                document.signatures.map {
                    .obj([
                        "dataElementId": .string($0.dataElementId.uuidString.lowercased()),
                        "sha256Hash": .string($0.sha256), "signed": .bool(true),
                    ])
                }),
        ])
    }
}
