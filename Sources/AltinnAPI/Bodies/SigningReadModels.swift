package import Primitives

/// `SigningDataElementsResponse`: answer of `GET …/signing/data-elements` (altinn-signing-more.md §5). Altinn's
/// OpenAPI marks the array nullable; a null reads as empty.
package struct SigningDataElementsResponse: TapeReadable, Sendable, Equatable {
    package var dataElements: [DataElement]

    package init(dataElements: [DataElement]) {
        self.dataElements = dataElements
    }

    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        self.dataElements = try value.object()["dataElements"]?.array(of: DataElement.self) ?? []
    }
}

/// The parts of Storage's `DataElement` the gateway passes on. `contentHash` is left out on purpose: Storage
/// never sets it (§5), so it is no digest of anything. Every other member is ignored. Altinn's OpenAPI marks every
/// string nullable, `id` included (Storage always sets it).
package struct DataElement: TapeReadable, Sendable, Equatable {
    package var id: String?
    package var dataType: String?
    package var contentType: String?
    package var filename: String?
    package var size: Int?
    package var created: AltinnTimestamp?
    package var locked: Bool
    /// `GeneratedFrom` a task for a signature document (§6).
    package var references: [DataReference]?

    /// The task a generated element (a signature document) came from: `references` `GeneratedFrom` a `Task`.
    package var generatedFromTask: String? {
        self.references?.first { $0.relation == "GeneratedFrom" && $0.valueType == "Task" }?.value
    }

    package init(
        id: String?, dataType: String?, contentType: String?, filename: String?, size: Int?,
        created: AltinnTimestamp?, locked: Bool, references: [DataReference]? = nil
    ) {
        self.id = id
        self.dataType = dataType
        self.contentType = contentType
        self.filename = filename
        self.size = size
        self.created = created
        self.locked = locked
        self.references = references
    }

    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.id = try object["id"]?.string()
        self.dataType = try object["dataType"]?.string()
        self.contentType = try object["contentType"]?.string()
        self.filename = try object["filename"]?.string()
        // `long` in Storage; a JSON number either way.
        self.size = try object["size"]?.int()
        self.created = try object["created"].map(AltinnTimestamp.init(tape:))
        self.locked = try object["locked"]?.bool() ?? false
        self.references = try object["references"]?.array(of: DataReference.self)
    }
}

/// `SigningAuthorizedOrganizationsResponse`: answer of `GET …/signing/organizations`, the organisations the
/// user has a key role in (empty when none). Only user tokens get it; every other identity gets 401 (§5).
package struct SigningAuthorizedOrganizationsResponse: Decodable, Sendable, Equatable {
    package var organizations: [AuthorizedOrganizationDetails]

    package init(organizations: [AuthorizedOrganizationDetails]) {
        self.organizations = organizations
    }

    enum CodingKeys: String, CodingKey { case organizations }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.organizations =
            try container.decodeIfPresent([AuthorizedOrganizationDetails].self, forKey: .organizations) ?? []
    }
}

/// `AuthorizedOrganizationDetails { orgNumber, orgName, partyId }` (the strings nullable in Altinn's OpenAPI).
package struct AuthorizedOrganizationDetails: Decodable, Sendable, Equatable {
    package var orgNumber: String?
    package var orgName: String?
    package var partyId: Int

    package init(orgNumber: String?, orgName: String?, partyId: Int) {
        self.orgNumber = orgNumber
        self.orgName = orgName
        self.partyId = partyId
    }
}
