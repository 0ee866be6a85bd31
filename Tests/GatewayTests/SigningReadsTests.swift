import AltinnAPI
import Testing

@testable import Gateway

/// `…/signing/data-elements` and `…/signing/organizations`, normalized.
@Suite struct SigningReadsTests {
    @Test func dataElementsKeepWhatTheyAreAndDropTheHash() {
        let documents = SigningDocuments(
            taskId: "Task_2",
            response: SigningDataElementsResponse(dataElements: [
                DataElement(
                    id: "DA7A906B-8B8A-4F0B-9A52-3C6F2B7F0A01", dataType: "ref-data-as-pdf",
                    contentType: "application/pdf", filename: "contract.pdf", size: 1234,
                    created: AltinnTimestamp("2025-03-03T11:16:02.9390324Z"), locked: true),
                DataElement(
                    id: "not-a-guid", dataType: "", contentType: nil, filename: "", size: -1, created: nil,
                    locked: false),
            ]))
        #expect(documents.taskId == "Task_2")
        #expect(
            documents.elements == [
                SigningDocument(
                    id: "da7a906b-8b8a-4f0b-9a52-3c6f2b7f0a01", dataType: "ref-data-as-pdf",
                    contentType: "application/pdf", filename: "contract.pdf", size: 1234,
                    created: AltinnTimestamp("2025-03-03T11:16:02.9390324Z"), locked: true),
                SigningDocument(
                    id: "not-a-guid", dataType: nil, contentType: nil, filename: nil, size: nil, created: nil,
                    locked: false),
            ])
        #expect(documents.elements[0].created?.description == "2025-03-03T11:16:02.939Z")
    }

    @Test func organizations() {
        let organizations = SigningOrganizations(
            taskId: nil,
            response: SigningAuthorizedOrganizationsResponse(organizations: [
                AuthorizedOrganizationDetails(
                    orgNumber: "310000002", orgName: "LYDIG VENNLIG KATT KJERNE", partyId: 51_843_877),
                AuthorizedOrganizationDetails(orgNumber: "", orgName: nil, partyId: 7),
            ]))
        #expect(
            organizations.organizations == [
                SigningOrganization(
                    partyId: 51_843_877, organizationNumber: "310000002", name: "LYDIG VENNLIG KATT KJERNE"),
                SigningOrganization(partyId: 7, organizationNumber: nil, name: nil),
            ])
        #expect(SigningOrganizations(taskId: nil, response: .init(organizations: [])).organizations.isEmpty)
    }
}
