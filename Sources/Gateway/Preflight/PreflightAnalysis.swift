import AltinnAPI
import Foundation

/// Turns an app definition into a report. Pure: the same definition and profiles give the same report.
/// The facts behind each warning are in the reference (§1.4 gateways, §2 hash validation, §4 discovery, §7.2
/// Dialogporten, §9 corrections).
enum PreflightAnalysis {
    static func report(
        app: AppReference, definition: AppDefinition, profiles: [PreflightTokenProfile]
    ) -> PreflightReport {
        let metadata = definition.metadata
        let process = definition.process
        var warnings: [PreflightWarning] = []
        var tasks: [SigningTaskReport] = []
        if process.signingTasks.isEmpty {
            warnings.append(
                PreflightWarning(
                    .noSigningTask,
                    "The process definition has no task with altinn:taskType signing: nothing of this app can be signed."
                ))
        }
        for task in process.signingTasks {
            let signature = task.signature ?? SignatureConfiguration()
            let report = SigningTaskReport(
                id: task.id, name: task.name, dataTypesToSign: signature.dataTypesToSign,
                signatureDataType: signature.signatureDataType, signeeProviderId: signature.signeeProviderId,
                signeeStatesDataTypeId: signature.signeeStatesDataTypeId,
                signingPdfDataType: signature.signingPdfDataType, actions: task.actions.map(\.id),
                uniqueFromSignaturesInDataTypes: signature.uniqueFromSignaturesInDataTypes,
                runDefaultValidator: signature.runDefaultValidator,
                routeOnSign: process.route(from: task.id, action: "sign"),
                routeOnReject: process.route(from: task.id, action: "reject"),
                routeWithoutAction: process.route(from: task.id, action: nil))
            tasks.append(report)
            warnings += self.taskWarnings(report, signature: signature, metadata: metadata)
        }
        let scopes = self.requiredScopes(metadata.apiScopes, app: app)
        let checks = profiles.map { self.check($0, scopes) }
        for check in checks where check.status == .missingScopes {
            warnings.append(
                PreflightWarning(
                    .tokenProfileMissingScope, tokenProfile: check.name,
                    "Token profile '\(check.name)' (\(check.identity.rawValue)) lacks \(check.missing.joined(separator: ", ")), which the app requires of this kind of caller on its instance routes: Altinn answers 403 \"Insufficient scope\" to its signs and reads."
                ))
        }
        let sync = metadata.messageBoxConfig?.syncAdapterSettings
        let syncDisabled = sync?.disableSync ?? false
        let activitiesDisabled = sync?.disableAddActivities ?? false
        if syncDisabled {
            warnings.append(
                PreflightWarning(
                    .dialogportenSyncDisabled,
                    "messageBoxConfig.syncAdapterSettings.disableSync is true: the app's instances make no Dialogporten dialogs, so no signature-provided or sent-to-signing events come from Dialogporten; the gateway's polling is the only trigger."
                ))
        }
        if activitiesDisabled {
            warnings.append(
                PreflightWarning(
                    .dialogportenActivitiesDisabled,
                    "messageBoxConfig.syncAdapterSettings.disableAddActivities is true: Dialogporten records no signing activities, so no signature-provided or sent-to-signing events are sent; the gateway's polling is the only trigger."
                ))
        }
        return PreflightReport(
            app: app, metadataId: metadata.id, altinnNugetVersion: metadata.altinnNugetVersion, signingTasks: tasks,
            apiScopes: scopes, tokenProfiles: checks, dialogportenSyncDisabled: syncDisabled,
            dialogportenActivitiesDisabled: activitiesDisabled, warnings: warnings, fetchedAt: definition.fetchedAt)
    }

    // MARK: - Tasks

    private static func taskWarnings(
        _ task: SigningTaskReport, signature: SignatureConfiguration, metadata: ApplicationMetadata
    ) -> [PreflightWarning] {
        var warnings: [PreflightWarning] = []
        let id = task.id
        func add(_ code: PreflightWarning.Code, dataType: String? = nil, _ detail: String) {
            warnings.append(PreflightWarning(code, taskId: id, dataType: dataType, detail))
        }
        var missing: [String] = []
        if task.dataTypesToSign.isEmpty { missing.append("dataTypesToSign") }
        if task.signatureDataType == nil { missing.append("signatureDataType") }
        if !missing.isEmpty {
            add(
                .signingConfigIncomplete,
                "Task \(id) has no \(missing.joined(separator: " or ")) in altinn:signatureConfig: a sign fails with 500 (\"Faulty configuration for signing task\")."
            )
        }
        if (task.signeeProviderId == nil) != (task.signeeStatesDataTypeId == nil) {
            add(
                .signingConfigIncomplete,
                "Task \(id) sets only one of signeeProviderId and signeeStatesDataTypeId: Altinn refuses the task at its start (both or neither)."
            )
        }
        if !task.offersSign {
            add(
                .noSignAction,
                "Task \(id) does not list <altinn:action>sign</altinn:action>: Altinn offers no sign action in the task, so a sign through the gateway will be refused."
            )
        }
        if task.uniqueFromSignaturesInDataTypes.isEmpty {
            add(
                .repeatSignPossible,
                "Task \(id) does not set uniqueFromSignaturesInDataTypes, and nothing refuses a second sign by the same signee: Altinn accepts it and Storage replaces that signee's earlier signature document (a new legal act, with a new time and new digests). uniqueFromSignaturesInDataTypes would not prevent that either: it refuses (403) signers already found in other signature data types. The gateway never repeats a sign on its own; callers should not resend one."
            )
        }
        if !task.offersReject {
            add(
                .noRejectAction,
                "Task \(id) does not list <altinn:action>reject</altinn:action>: signees cannot decline through Altinn's frontend, and a reject the policy still allows runs full validation (it can fail with MissingSignatures) instead of leaving the task."
            )
        }
        if !task.runDefaultValidator {
            add(
                .defaultValidatorOff,
                "Task \(id) has runDefaultValidator false (Altinn's default): MissingSignatures (the signature data type's minCount) is not checked, so a process/next can leave the task before every signee has signed."
            )
        }
        warnings += self.routeWarnings(task)
        // Data types.
        for typeId in task.dataTypesToSign {
            guard let type = metadata.dataType(typeId) else {
                add(
                    .unknownDataType, dataType: typeId,
                    "Data type \(typeId), signed in task \(id), is not among the app's dataTypes.")
                continue
            }
            if type.taskId == nil || type.taskId == id {
                add(
                    .signedDataUnlocked, dataType: typeId,
                    "Data type \(typeId) is signed in task \(id) but \(type.taskId == nil ? "has no taskId" : "has the signing task as its taskId"), so its elements stay writable after signing: a change makes Altinn refuse the task's next process/next with InvalidSignatureHash until a reject and a new signing."
                )
            }
        }
        if let typeId = task.signatureDataType {
            if let type = metadata.dataType(typeId) {
                if !type.isAppOwned {
                    add(
                        .signatureTypeNotAppOwned, dataType: typeId,
                        "The signature data type \(typeId) does not list app:owned in allowedContributors: clients may write signature documents themselves."
                    )
                }
                if let action = type.actionRequiredToRead {
                    add(
                        .signatureTypeReadRestricted, dataType: typeId,
                        "Reading the signature documents (\(typeId)) needs the action '\(action)': with the recommended policy only a service-owner token may read them."
                    )
                } else {
                    add(
                        .signatureTypeReadable, dataType: typeId,
                        "The signature data type \(typeId) has no actionRequiredToRead: everyone who may read an instance may read its signature documents, which carry the signees' national identity numbers."
                    )
                }
            } else {
                add(
                    .unknownDataType, dataType: typeId,
                    "The signature data type \(typeId) of task \(id) is not among the app's dataTypes.")
            }
        }
        if let typeId = task.signeeStatesDataTypeId {
            if let type = metadata.dataType(typeId) {
                if !type.isAppOwned {
                    add(
                        .signeeStateTypeNotAppOwned, dataType: typeId,
                        "The signee-state data type \(typeId) does not list app:owned in allowedContributors: clients may change the signee state."
                    )
                }
            } else {
                add(
                    .unknownDataType, dataType: typeId,
                    "The signee-state data type \(typeId) of task \(id) is not among the app's dataTypes.")
            }
        }
        return warnings
    }

    private static func routeWarnings(_ task: SigningTaskReport) -> [PreflightWarning] {
        var warnings: [PreflightWarning] = []
        let id = task.id
        switch task.routeWithoutAction {
        case .noFlow(let gateway), .ambiguous(let gateway, _):
            let flows: String
            if case .ambiguous(_, let count) = task.routeWithoutAction {
                flows = "\(count) flows"
            } else {
                flows = "no flow"
            }
            warnings.append(
                PreflightWarning(
                    .gatewayNotNullSafe, taskId: id,
                    "A process/next without an action from task \(id) (completing a parallel signing, completeWhenAllSigned) matches \(flows) at \(gateway): Altinn answers 500 and the process cannot leave the task that way. Give the gateway a flow that is true when [\"gatewayAction\"] is null (for example [\"notEquals\", [\"gatewayAction\"], \"reject\"]), or complete with {\"action\":\"sign\"} from the last signer, which signs again (Storage replaces that signee's signature)."
                ))
        case .undetermined(let gateway):
            warnings.append(
                PreflightWarning(
                    .gatewayUndetermined, taskId: id,
                    "Where a process/next without an action goes from task \(id) cannot be told from the definition at \(gateway) (a condition uses more than gatewayAction, or the gateway is not exclusive); try it in a test environment."
                ))
        case .element:
            break
        }
        for (action, route, offered) in [
            ("sign", task.routeOnSign, task.offersSign), ("reject", task.routeOnReject, task.offersReject),
        ] where offered {
            switch route {
            case .noFlow(let gateway), .ambiguous(let gateway, _):
                warnings.append(
                    PreflightWarning(
                        .gatewayFailsForAction, taskId: id,
                        "A process/next with action \(action) from task \(id) does not find exactly one flow at \(gateway): Altinn answers 500."
                    ))
            case .undetermined(let gateway):
                warnings.append(
                    PreflightWarning(
                        .gatewayUndetermined, taskId: id,
                        "Where a process/next with action \(action) goes from task \(id) cannot be told from the definition at \(gateway)."
                    ))
            case .element:
                break
            }
        }
        return warnings
    }

    // MARK: - Scopes

    static func requiredScopes(_ scopes: ApiScopesConfiguration?, app: AppReference) -> RequiredScopes {
        func resolve(_ scope: String?) -> String? {
            guard let scope, !scope.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
            return scope.replacingOccurrences(of: "[app]", with: app.app)
        }
        return RequiredScopes(
            usersRead: resolve(scopes?.users?.read), usersWrite: resolve(scopes?.users?.write),
            serviceOwnersRead: resolve(scopes?.serviceOwners?.read),
            serviceOwnersWrite: resolve(scopes?.serviceOwners?.write))
    }

    /// A profile signs and reads, so it needs both of its kind's scopes. End users may also pass with
    /// `altinn:portal/enduser` (reference §4).
    static func check(_ profile: PreflightTokenProfile, _ required: RequiredScopes) -> TokenProfileCheck {
        guard let scopes = profile.scopes else {
            return TokenProfileCheck(
                name: profile.name, kind: profile.kind, identity: .unknown, required: [], missing: [], status: .unknown)
        }
        let identity: TokenProfileCheck.Identity =
            scopes.contains { $0.hasPrefix("altinn:serviceowner") } ? .serviceOwner : .user
        let needed =
            identity == .serviceOwner
            ? [required.serviceOwnersRead, required.serviceOwnersWrite].compactMap { $0 }
            : [required.usersRead, required.usersWrite].compactMap { $0 }
        let held = Set(scopes)
        let missing =
            identity == .user && held.contains("altinn:portal/enduser") ? [] : needed.filter { !held.contains($0) }
        return TokenProfileCheck(
            name: profile.name, kind: profile.kind, identity: identity, required: needed, missing: missing,
            status: missing.isEmpty ? .ok : .missingScopes)
    }
}
