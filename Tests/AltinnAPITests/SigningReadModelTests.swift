import Foundation
import HTTPTypes
import Testing

@testable import AltinnAPI

/// The signing task's other reads on the wire (altinn-signing-more.md §5).
@Suite struct SigningReadModelTests {
    /// `…/signing/data-elements` and `…/signing/organizations` as Altinn writes them (Storage's `DataElement`, nulls
    /// written, arrays nullable in Altinn's OpenAPI).
    @Test func signingReadModels() throws {
        let elements = try upstreamDecode(
            SigningDataElementsResponse.self,
            from: Data(
                #"""
                {"dataElements":[{"id":"DA7A906B-8B8A-4F0B-9A52-3C6F2B7F0A01","instanceGuid":"5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01","dataType":"ref-data-as-pdf","filename":"contract.pdf","contentType":"application/pdf","blobStoragePath":"ttd/signing-app/x/data/y","selfLinks":{"apps":"https://ttd.apps.tt02.altinn.no/x","platform":null},"size":1234,"contentHash":null,"locked":false,"refs":null,"isRead":true,"tags":[],"userDefinedMetadata":null,"metadata":null,"deleteStatus":null,"fileScanResult":"NotApplicable","references":null,"created":"2025-03-03T11:16:02.9390324Z","createdBy":"51281269","lastChanged":"2025-03-03T11:16:02.9390324Z","lastChangedBy":"51281269"},{"id":"b","contentHash":"abc"}]}
                """#.utf8))
        #expect(elements.dataElements.count == 2)
        #expect(elements.dataElements[0].dataType == "ref-data-as-pdf")
        #expect(elements.dataElements[0].size == 1234)
        #expect(elements.dataElements[0].created?.description == "2025-03-03T11:16:02.939Z")
        #expect(
            elements.dataElements[1]
                == DataElement(
                    id: "b", dataType: nil, contentType: nil, filename: nil, size: nil, created: nil, locked: false))
        #expect(
            try upstreamDecode(SigningDataElementsResponse.self, from: Data(#"{"dataElements":null}"#.utf8))
                .dataElements.isEmpty)
        let organizations = try upstreamDecode(
            SigningAuthorizedOrganizationsResponse.self,
            from: Data(
                #"{"organizations":[{"orgNumber":"310000002","orgName":"LYDIG VENNLIG KATT KJERNE","partyId":51843877},{"orgNumber":null,"orgName":null,"partyId":7}]}"#
                    .utf8))
        #expect(
            organizations.organizations == [
                AuthorizedOrganizationDetails(
                    orgNumber: "310000002", orgName: "LYDIG VENNLIG KATT KJERNE", partyId: 51_843_877),
                AuthorizedOrganizationDetails(orgNumber: nil, orgName: nil, partyId: 7),
            ])
        #expect(
            try upstreamDecode(
                SigningAuthorizedOrganizationsResponse.self, from: Data(#"{"organizations":null}"#.utf8)
            )
            .organizations.isEmpty)
    }

    @Test func theReadsRoutes() {
        #expect(AltinnOperation.getSigningDataElements.path == "/signing/data-elements")
        #expect(AltinnOperation.getSigningOrganizations.path == "/signing/organizations")
        #expect(AltinnOperation.getSigningOrganizations.method == .get)
    }
}
