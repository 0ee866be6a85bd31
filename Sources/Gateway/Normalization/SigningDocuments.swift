package import AltinnAPI
import Foundation

/// `GET …/signing/data-elements`, normalized: what the signing task signs, in Altinn's order (the task's
/// `dataTypesToSign`, then `created`).
package struct SigningDocuments: Sendable, Equatable {
    /// The task asked for (`?taskId=`); nil for the current one.
    package var taskId: String?
    package var elements: [SigningDocument]

    package init(taskId: String?, elements: [SigningDocument]) {
        self.taskId = taskId
        self.elements = elements
    }

    package init(taskId: String?, response: SigningDataElementsResponse) {
        self.init(taskId: taskId, elements: response.dataElements.map(SigningDocument.init))
    }
}

/// One data element to sign. Storage's `contentHash` is not carried: Storage never sets it, so it would read as a
/// digest of nothing. The digests of what was signed are in the signature documents.
package struct SigningDocument: Sendable, Equatable {
    /// Lower-case when it is a GUID (as Storage writes it); otherwise as given (nil only if Altinn gave none).
    package var id: String?
    package var dataType: String?
    package var contentType: String?
    package var filename: String?
    /// Bytes; nil when Altinn gave none (or a negative number).
    package var size: Int?
    package var created: AltinnTimestamp?
    /// Storage locks an element once its task ends (and a signature document at once).
    package var locked: Bool

    package init(
        id: String?, dataType: String?, contentType: String?, filename: String?, size: Int?,
        created: AltinnTimestamp?, locked: Bool
    ) {
        self.id = id
        self.dataType = dataType
        self.contentType = contentType
        self.filename = filename
        self.size = size
        self.created = created
        self.locked = locked
    }

    package init(_ element: DataElement) {
        self.init(
            id: element.id.map { id in UUID(uuidString: id).map { $0.uuidString.lowercased() } ?? id },
            dataType: Self.text(element.dataType), contentType: Self.text(element.contentType),
            filename: Self.text(element.filename), size: element.size.flatMap { $0 >= 0 ? $0 : nil },
            created: element.created, locked: element.locked)
    }

    /// Empty strings say nothing: they read as absent.
    private static func text(_ value: String?) -> String? {
        guard let value, !value.isEmpty else { return nil }
        return value
    }
}

/// `GET …/signing/organizations`, normalized: the organisations the token's user may sign on behalf of (a key
/// role there), for `onBehalfOf`.
package struct SigningOrganizations: Sendable, Equatable {
    package var taskId: String?
    package var organizations: [SigningOrganization]

    package init(taskId: String?, organizations: [SigningOrganization]) {
        self.taskId = taskId
        self.organizations = organizations
    }

    package init(taskId: String?, response: SigningAuthorizedOrganizationsResponse) {
        self.init(
            taskId: taskId,
            organizations: response.organizations.map {
                SigningOrganization(
                    partyId: $0.partyId, organizationNumber: $0.orgNumber.flatMap { $0.isEmpty ? nil : $0 },
                    name: $0.orgName.flatMap { $0.isEmpty ? nil : $0 })
            })
    }
}

package struct SigningOrganization: Sendable, Equatable {
    package var partyId: Int
    /// The nine-digit organisation number, the value `onBehalfOf` takes.
    package var organizationNumber: String?
    package var name: String?

    package init(partyId: Int, organizationNumber: String?, name: String?) {
        self.partyId = partyId
        self.organizationNumber = organizationNumber
        self.name = name
    }
}
