package import AltinnAPI

/// One signee's signature as Altinn's signature document records it: what was signed (the SHA-256 of each data
/// element's stored bytes), by whom and when. With the digests an auditor can match a signature to a document
/// without Altinn; a reject deletes the documents, so the gateway keeps them (audit record, event).
package struct SignatureProof: Sendable, Equatable {
    package struct SignedElement: Sendable, Equatable {
        package var dataElementId: String
        package var sha256: String
    }

    package var documentId: String
    package var taskId: String?
    package var signedAt: AltinnTimestamp?
    package var userId: String?
    package var systemUserId: String?
    package var organisationNumber: String?
    package var elements: [SignedElement]

    package init(_ document: SignDocument, taskId: String?) {
        self.documentId = document.id
        self.taskId = taskId
        self.signedAt = document.signedTime
        self.userId = document.signeeInfo?.userId
        self.systemUserId = document.signeeInfo?.systemUserId
        self.organisationNumber = document.signeeInfo?.organisationNumber
        self.elements = document.dataElementSignatures.map {
            SignedElement(dataElementId: $0.dataElementId, sha256: $0.sha256Hash.lowercased())
        }
    }
}

/// What the gateway learned of a sign's proof: recorded, or why it could not be read (never a failed sign).
package enum ProofObservation: Sendable, Equatable {
    case recorded(SignatureProof)
    case unavailable(reason: String)
}

/// The signature documents of an instance (of one task, or all), and those that could not be read, with why.
package struct SignatureListing: Sendable, Equatable {
    package struct Unreadable: Sendable, Equatable {
        package var dataElementId: String
        package var reason: String
    }

    package var documents: [SignatureProof]
    package var unreadable: [Unreadable]
}
