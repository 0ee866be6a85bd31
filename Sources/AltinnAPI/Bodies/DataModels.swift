package import Primitives

/// Storage's `Instance`, only what finding signature documents needs (altinn-signing-more.md §6).
package struct InstanceDocument: Sendable, Equatable {
    package var id: String?
    package var data: [DataElement]?
}

package struct DataReference: Sendable, Equatable {
    package var value: String?
    package var relation: String?
    package var valueType: String?
}

/// Storage's `SignDocument` (§6): who signed, when, and the SHA-256 (lower-case hex) of each signed element's bytes.
package struct SignDocument: Sendable, Equatable {
    package var id: String
    package var signedTime: AltinnTimestamp?
    package var signeeInfo: SigneeInfo?
    package var dataElementSignatures: [DataElementSignature]

    package struct SigneeInfo: Sendable, Equatable {
        package var userId: String?
        package var systemUserId: String?
        package var personNumber: String?
        package var organisationNumber: String?
    }

    package struct DataElementSignature: Sendable, Equatable {
        package var dataElementId: String
        package var sha256Hash: String
        package var signed: Bool?
    }
}

// Read from the tape directly (see `TapeReadable`), in extensions so that the memberwise initializers stay.

extension InstanceDocument: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.id = try object["id"]?.string()
        self.data = try object["data"]?.array(of: DataElement.self)
    }
}

extension DataReference: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.value = try object["value"]?.string()
        self.relation = try object["relation"]?.string()
        self.valueType = try object["valueType"]?.string()
    }
}

extension SignDocument: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.id = try object.required("id").string()
        self.signedTime = try object["signedTime"].map(AltinnTimestamp.init(tape:))
        self.signeeInfo = try object["signeeInfo"].map(SigneeInfo.init(tape:))
        self.dataElementSignatures = try object.required("dataElementSignatures").array(of: DataElementSignature.self)
    }
}

extension SignDocument.SigneeInfo: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.userId = try object["userId"]?.string()
        self.systemUserId = try object["systemUserId"]?.string()
        self.personNumber = try object["personNumber"]?.string()
        self.organisationNumber = try object["organisationNumber"]?.string()
    }
}

extension SignDocument.DataElementSignature: TapeReadable {
    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.dataElementId = try object.required("dataElementId").string()
        self.sha256Hash = try object.required("sha256Hash").string()
        self.signed = try object["signed"]?.bool()
    }
}
