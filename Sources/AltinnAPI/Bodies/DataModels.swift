/// Storage's `Instance`, only what finding signature documents needs (altinn-signing-more.md §6).
package struct InstanceDocument: Decodable, Sendable, Equatable {
    package var id: String?
    package var data: [DataElement]?
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
