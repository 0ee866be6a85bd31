import AltinnAPI
import Foundation
import Testing

@testable import Gateway

/// Each preflight warning fires where its cause is, and not on a well-configured app.
@Suite struct PreflightAnalysisTests {
    static let app = try! AppReference(org: "ttd", app: "signing-app")

    /// A well-configured app: sign and reject, uniqueFrom…, the default validator, a null-safe gateway, locked
    /// signed data, app-owned and read-restricted signature types, no custom scopes, Dialogporten on.
    struct Fixture {
        var signature: SignatureConfiguration = {
            var signature = SignatureConfiguration()
            signature.dataTypesToSign = ["ref-data-as-pdf"]
            signature.signatureDataType = "signatures"
            signature.uniqueFromSignaturesInDataTypes = ["applicant-signatures"]
            signature.signeeProviderId = "signees"
            signature.signeeStatesDataTypeId = "signeeState"
            signature.runDefaultValidator = true
            return signature
        }()
        var actions = ["sign", "reject"]
        var doneCondition: String? = #"["notEquals", ["gatewayAction"], "reject"]"#
        var dataTypes = [
            DataTypeMetadata(id: "ref-data-as-pdf", allowedContributors: ["app:owned"], taskId: "Task_1"),
            DataTypeMetadata(
                id: "signatures", allowedContributors: ["app:owned"], actionRequiredToRead: "signature-access"),
            DataTypeMetadata(id: "signeeState", allowedContributers: ["app:owned"]),
        ]
        var apiScopes: ApiScopesConfiguration?
        var sync: SyncAdapterSettings?
        var profiles = [
            PreflightTokenProfile(
                name: "dev", kind: "maskinporten", scopes: ["altinn:instances.read", "altinn:instances.write"])
        ]
        var taskType = "signing"

        var definition: AppDefinition {
            let process = ProcessDefinition(
                tasks: [
                    ProcessTaskDefinition(id: "Task_1", taskType: "data"),
                    ProcessTaskDefinition(
                        id: "Task_2", name: "Signering", taskType: self.taskType,
                        actions: self.actions.map { ProcessActionDefinition(id: $0) }, signature: self.signature),
                ],
                gateways: [ProcessGatewayDefinition(id: "G")],
                flows: [
                    SequenceFlowDefinition(id: "F1", source: "Task_1", target: "Task_2"),
                    SequenceFlowDefinition(id: "F2", source: "Task_2", target: "G"),
                    SequenceFlowDefinition(
                        id: "F_reject", source: "G", target: "Task_1",
                        condition: #"["equals", ["gatewayAction"], "reject"]"#),
                    SequenceFlowDefinition(id: "F_done", source: "G", target: "End", condition: self.doneCondition),
                ], endEvents: ["End"])
            let metadata = ApplicationMetadata(
                id: "ttd/signing-app", dataTypes: self.dataTypes, apiScopes: self.apiScopes,
                messageBoxConfig: MessageBoxConfig(syncAdapterSettings: self.sync))
            return AppDefinition(metadata: metadata, process: process, fetchedAt: Date(timeIntervalSince1970: 0))
        }

        var report: PreflightReport {
            PreflightAnalysis.report(
                app: PreflightAnalysisTests.app, definition: self.definition, profiles: self.profiles)
        }

        var codes: Set<PreflightWarning.Code> { Set(self.report.warnings.map(\.code)) }
    }

    @Test func aWellConfiguredAppHasOnlyTheReadRestrictionNote() {
        let fixture = Fixture()
        #expect(fixture.codes == [.signatureTypeReadRestricted])
        let report = fixture.report
        let task = report.signingTasks[0]
        #expect(task.id == "Task_2" && task.offersSign && task.offersReject)
        #expect(task.routeOnSign == .element("End"))
        #expect(task.routeOnReject == .element("Task_1"))
        #expect(task.routeWithoutAction == .element("End"))
        #expect(report.tokenProfiles.map(\.status) == [.ok])
        #expect(report.tokenProfiles[0].identity == .user)
    }

    /// Sets up one cause and names the code it must (alone among the warnings) add.
    @Test(arguments: [
        PreflightWarning.Code.repeatSignPossible, .noRejectAction, .noSignAction, .defaultValidatorOff,
        .gatewayNotNullSafe, .gatewayFailsForAction, .gatewayUndetermined, .unknownDataType, .signedDataUnlocked,
        .signatureTypeNotAppOwned, .signeeStateTypeNotAppOwned, .signatureTypeReadable, .tokenProfileMissingScope,
        .dialogportenSyncDisabled, .dialogportenActivitiesDisabled, .signingConfigIncomplete, .noSigningTask,
    ])
    func eachWarningFires(_ code: PreflightWarning.Code) {
        var fixture = Fixture()
        var expected: Set<PreflightWarning.Code> = [.signatureTypeReadRestricted, code]
        switch code {
        case .repeatSignPossible: fixture.signature.uniqueFromSignaturesInDataTypes = []
        case .noRejectAction: fixture.actions = ["sign"]
        case .noSignAction: fixture.actions = ["reject"]
        case .defaultValidatorOff: fixture.signature.runDefaultValidator = false
        case .gatewayNotNullSafe: fixture.doneCondition = #"["equals", ["gatewayAction"], "sign"]"#
        case .gatewayFailsForAction:
            fixture.doneCondition = #"["equals", ["gatewayAction"], "foo"]"#
            // Neither sign nor no action finds a flow.
            expected.insert(.gatewayNotNullSafe)
        case .gatewayUndetermined: fixture.doneCondition = #"["equals", ["dataModel", "x"], "y"]"#
        case .unknownDataType: fixture.signature.dataTypesToSign = ["missing"]
        case .signedDataUnlocked: fixture.dataTypes[0].taskId = nil
        case .signatureTypeNotAppOwned: fixture.dataTypes[1].allowedContributors = ["org:ttd"]
        case .signeeStateTypeNotAppOwned: fixture.dataTypes[2].allowedContributers = nil
        case .signatureTypeReadable:
            fixture.dataTypes[1].actionRequiredToRead = nil
            expected.remove(.signatureTypeReadRestricted)
        case .tokenProfileMissingScope:
            fixture.apiScopes = ApiScopesConfiguration(
                users: ApiScopes(read: "ttd:[app]/instances.read", write: "ttd:[app]/instances.write"))
        case .dialogportenSyncDisabled: fixture.sync = SyncAdapterSettings(disableSync: true)
        case .dialogportenActivitiesDisabled: fixture.sync = SyncAdapterSettings(disableAddActivities: true)
        case .signingConfigIncomplete: fixture.signature.signeeStatesDataTypeId = nil
        case .noSigningTask:
            fixture.taskType = "data"
            expected = [.noSigningTask]
        case .signatureTypeReadRestricted: return
        }
        #expect(fixture.codes == expected, "\(code)")
        for warning in fixture.report.warnings { #expect(!warning.detail.isEmpty) }
    }

    @Test func repeatSignWarningTellsStoragesReplacementNotTwoSignatures() throws {
        var fixture = Fixture()
        fixture.signature.uniqueFromSignaturesInDataTypes = []
        let warning = try #require(fixture.report.warnings.first { $0.code == .repeatSignPossible })
        #expect(warning.taskId == "Task_2")
        #expect(warning.detail.contains("replaces that signee's earlier signature"))
        #expect(warning.detail.contains("other signature data types"))
    }

    @Test func scopesHaveTheAppNameAndFollowTheKindOfCaller() {
        var fixture = Fixture()
        fixture.apiScopes = ApiScopesConfiguration(
            users: ApiScopes(read: "ttd:[app]/instances.read", write: "ttd:[app]/instances.write"),
            serviceOwners: ApiScopes(read: "altinn:serviceowner/instances.read", write: nil))
        fixture.profiles = [
            PreflightTokenProfile(name: "a-static", kind: "static", scopes: nil),
            PreflightTokenProfile(
                name: "b-user", kind: "maskinporten",
                scopes: ["ttd:signing-app/instances.read", "ttd:signing-app/instances.write"]),
            PreflightTokenProfile(
                name: "c-owner", kind: "maskinporten", scopes: ["altinn:serviceowner/instances.read"]),
            PreflightTokenProfile(name: "d-user", kind: "maskinporten", scopes: ["ttd:signing-app/instances.read"]),
            PreflightTokenProfile(name: "e-portal", kind: "static", scopes: ["altinn:portal/enduser"]),
        ]
        let report = fixture.report
        #expect(report.apiScopes.usersRead == "ttd:signing-app/instances.read")
        #expect(report.apiScopes.serviceOwnersWrite == nil)
        #expect(report.tokenProfiles.map(\.status) == [.unknown, .ok, .ok, .missingScopes, .ok])
        #expect(report.tokenProfiles.map(\.identity) == [.unknown, .user, .serviceOwner, .user, .user])
        #expect(report.tokenProfiles[3].missing == ["ttd:signing-app/instances.write"])
        let missing = report.warnings.filter { $0.code == .tokenProfileMissingScope }
        #expect(missing.map(\.tokenProfile) == ["d-user"])
    }
}
