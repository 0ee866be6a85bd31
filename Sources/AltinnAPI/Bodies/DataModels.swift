/// Storage's `Instance`, only what finding signature documents needs (altinn-signing-more.md §6).
package struct InstanceDocument: Decodable, Sendable, Equatable {
    package var id: String?
    package var data: [DataElementSummary]?
}

/// Storage's `DataElement`, abridged. `contentHash` is never set by Storage (§5) and is not read.
package struct DataElementSummary: Decodable, Sendable, Equatable {
    package var id: String
    package var dataType: String?
    package var contentType: String?
    package var references: [DataReference]?
    package var created: AltinnTimestamp?

    /// The task a generated element (a signature document) came from: `references` `GeneratedFrom` a `Task`.
    package var generatedFromTask: String? {
        self.references?.first { $0.relation == "GeneratedFrom" && $0.valueType == "Task" }?.value
    }
}

package struct DataReference: Decodable, Sendable, Equatable {
    package var value: String?
    package var relation: String?
    package var valueType: String?
}

/// Storage's `SignDocument` (§6): who signed, when, and the SHA-256 (lower-case hex) of each signed element's bytes.
package struct SignDocument: Decodable, Sendable, Equatable {
    package var id: String
    package var signedTime: AltinnTimestamp?
    package var signeeInfo: SigneeInfo?
    package var dataElementSignatures: [DataElementSignature]

    package struct SigneeInfo: Decodable, Sendable, Equatable {
        package var userId: String?
        package var systemUserId: String?
        package var personNumber: String?
        package var organisationNumber: String?
    }

    package struct DataElementSignature: Decodable, Sendable, Equatable {
        package var dataElementId: String
        package var sha256Hash: String
        package var signed: Bool?
    }
}
