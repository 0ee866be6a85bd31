import Foundation

/// JSON shapes of the app API, written from Altinn's OpenAPI (`Instance`, `AppProcessState`,
/// `UserActionResponse`, `SigningStateResponse`, `ProblemDetails`) and the reference.
enum Bodies {
    // MARK: Instance (Storage model)

    static func instance(_ record: InstanceRecord, baseURL: String) -> JSONValue {
        .obj([
            "id": .string(record.id),
            "instanceOwner": .obj([
                // Storage types the owner's partyId as a string.
                "partyId": .string(String(record.partyId)),
                "personNumber": .null,
                "organisationNumber": .null,
                "username": .null,
                "externalIdentifier": .null,
            ]),
            "appId": .string(record.appId),
            "org": .string(record.org),
            "selfLinks": .obj([
                "apps": .string("\(baseURL)/\(record.appId)/instances/\(record.id)"),
                "platform": .string("\(baseURL)/storage/api/v1/instances/\(record.id)"),
            ]),
            "dueBefore": .null,
            "visibleAfter": .null,
            "process": processState(record),
            "status": .obj([
                "isArchived": .bool(record.isEnded),
                "archived": WireTime.json(record.process.ended),
                "isSoftDeleted": .bool(false),
                "softDeleted": .null,
                "isHardDeleted": .bool(false),
                "hardDeleted": .null,
                // Storage enums are integers on the wire (§7); 1 = Read.
                "readStatus": .int(1),
                "substatus": .null,
            ]),
            "completeConfirmations": .null,
            "data": .array(dataElements(record, baseURL: baseURL)),
            "presentationTexts": .null,
            "dataValues": .null,
            "created": WireTime.json(record.created),
            "createdBy": .string(String(record.partyId)),
            "lastChanged": WireTime.json(record.lastChanged),
            "lastChangedBy": .string(String(record.partyId)),
        ])
    }

    /// Storage's `DataElement`s: the document to sign and the signature documents (§5, §6).
    static func dataElements(_ record: InstanceRecord, baseURL: String) -> [JSONValue] {
        let documents = record.dataElements.map { element in
            dataElement(
                record, baseURL: baseURL, id: element.id, dataType: element.dataType,
                contentType: element.contentType, size: element.bytes.count, locked: false, task: nil,
                created: element.created, lastChanged: element.lastChanged)
        }
        let signatures = record.signDocuments.map { document in
            dataElement(
                record, baseURL: baseURL, id: document.id, dataType: DataElementRecord.signatureType,
                contentType: "application/json", size: record.signDocumentJSON(document).serialized.utf8.count,
                locked: true, task: document.taskId, created: document.signedTime, lastChanged: document.signedTime)
        }
        return documents + signatures
    }

    static func dataElement(
        _ record: InstanceRecord, baseURL: String, id: UUID, dataType: String, contentType: String, size: Int,
        locked: Bool, task: String?, created: Date, lastChanged: Date
    ) -> JSONValue {
        let dataId = id.uuidString.lowercased()
        return .obj([
            "id": .string(dataId),
            "instanceGuid": .string(record.guid.uuidString.lowercased()),
            "dataType": .string(dataType),
            "filename": .string(dataType == DataElementRecord.signatureType ? "\(dataType).json" : "contract.pdf"),
            "contentType": .string(contentType),
            "blobStoragePath": .string(
                "\(record.org)/\(record.app)/\(record.guid.uuidString.lowercased())/data/\(dataId)"),
            "selfLinks": .obj([
                "apps": .string("\(baseURL)/\(record.appId)/instances/\(record.id)/data/\(dataId)"),
                "platform": .string("\(baseURL)/storage/api/v1/instances/\(record.id)/data/\(dataId)"),
            ]),
            "size": .int(size),
            // Storage never sets it (§5): not a usable digest.
            "contentHash": .null,
            "locked": .bool(locked),
            "refs": .null, "isRead": .bool(true), "tags": .array([]), "userDefinedMetadata": .null,
            "metadata": .null, "deleteStatus": .null, "fileScanResult": .string("NotApplicable"),
            "references": task.map {
                .array([
                    .obj([
                        "value": .string($0), "relation": .string("GeneratedFrom"), "valueType": .string("Task"),
                    ])
                ])
            } ?? .null,
            "created": WireTime.json(created),
            "createdBy": .string(String(record.partyId)),
            "lastChanged": WireTime.json(lastChanged),
            "lastChangedBy": .string(String(record.partyId)),
        ])
    }

    /// Storage's `ProcessState` (inside `Instance.process`).
    static func processState(_ record: InstanceRecord) -> JSONValue {
        .obj([
            "started": WireTime.json(record.process.started),
            "startEvent": .string(ProcessRecord.startEvent),
            "currentTask": record.currentTask.map { task in
                .obj([
                    "flow": .int(record.process.flow),
                    "started": WireTime.json(record.process.currentTaskStarted),
                    "elementId": .string(task.elementId),
                    "name": .string(task.name),
                    "altinnTaskType": .string(task.altinnTaskType),
                    "ended": .null,
                    "validated": .null,
                    "flowType": .string("CompleteCurrentMoveToNext"),
                ])
            } ?? .null,
            "ended": WireTime.json(record.process.ended),
            "endEvent": record.isEnded ? .string(ProcessRecord.endEvent) : .null,
        ])
    }

    // MARK: AppProcessState (§1.8, §6.2)

    static func appProcessState(_ record: InstanceRecord) -> JSONValue {
        .obj([
            "started": WireTime.json(record.process.started),
            "startEvent": .string(ProcessRecord.startEvent),
            "currentTask": record.currentTask.map { appTask($0, record: record) } ?? .null,
            "ended": WireTime.json(record.process.ended),
            "endEvent": record.isEnded ? .string(ProcessRecord.endEvent) : .null,
            "processTasks": .array(
                record.tasks.map { task in
                    .obj([
                        "altinnTaskType": .string(task.altinnTaskType),
                        "elementId": .string(task.elementId),
                        "elementType": .string("Task"),
                    ])
                }),
        ])
    }

    private static func appTask(_ task: ProcessTaskDefinition, record: InstanceRecord) -> JSONValue {
        let actionIds = TaskPolicy.actionIds(for: task.altinnTaskType)
        return .obj([
            "flow": .int(record.process.flow),
            "started": WireTime.json(record.process.currentTaskStarted),
            "elementId": .string(task.elementId),
            "name": .string(task.name),
            "altinnTaskType": .string(task.altinnTaskType),
            "ended": .null,
            "validated": .null,
            "flowType": .string("CompleteCurrentMoveToNext"),
            "actions": .object(actionIds.map { JSONValue.Member(key: $0, value: .bool(true)) }),
            // `type` is a string enum on the wire although the OpenAPI shows an integer (§1.8).
            "userActions": .array(
                actionIds.map { id in
                    .obj(["id": .string(id), "authorized": .bool(true), "type": .string("ProcessAction")])
                }),
            "read": .bool(true),
            "write": .bool(true),
            "elementType": .string("Task"),
        ])
    }

    // MARK: UserActionResponse (§1.2, §6.3)

    static func userActionResponse(
        _ record: InstanceRecord, baseURL: String, error: (code: String, message: String)?
    )
        -> JSONValue
    {
        .obj([
            "instance": instance(record, baseURL: baseURL),
            "updatedDataModels": error == nil ? .obj([:]) : .null,
            "updatedValidationIssues": error == nil ? .obj([:]) : .null,
            "clientActions": .null,
            "error": error.map {
                .obj(["code": .string($0.code), "message": .string($0.message), "metadata": .null])
            }
                ?? .null,
            "redirectUrl": .null,
        ])
    }

    // MARK: SigningStateResponse (§1.3)

    static func signingState(_ rows: [SigneeRecord], organisationSpelling: Bool) -> JSONValue {
        let organizationKey = organisationSpelling ? "organisation" : "organization"
        return .obj([
            "signeeStates": .array(
                rows.map { row in
                    .object([
                        .init(key: "name", value: .optionalString(row.name)),
                        .init(key: organizationKey, value: .optionalString(row.organization)),
                        .init(key: "delegationSuccessful", value: .bool(row.delegationSuccessful)),
                        .init(key: "notificationStatus", value: .string(row.notificationStatus)),
                        .init(key: "partyId", value: .int(row.partyId)),
                        .init(key: "signedTime", value: WireTime.json(row.signedTime)),
                    ])
                })
        ])
    }

    // MARK: ProblemDetails (§1.7, §6.4)

    static func processEndedProblem() -> JSONValue {
        .obj(["status": .int(409), "detail": .string("Process is ended."), "validationIssues": .null])
    }

    /// A Storage 409 (the instance lock) through `HandlePlatformHttpException` → `Conflict()` and
    /// `[ApiController]` client-error mapping: no `detail`, no `validationIssues` (altinn-signing-more §3).
    static func instanceLockConflict() -> JSONValue {
        .obj([
            "type": .string("https://tools.ietf.org/html/rfc9110#section-15.5.10"), "title": .string("Conflict"),
            "status": .int(409), "traceId": .string(traceId()),
        ])
    }

    static func missingSignaturesProblem(taskId: String, language: String) -> JSONValue {
        validationProblem(taskId: taskId, issues: [.missingSignatures], language: language)
    }

    /// The issues full validation of a signing task can find (§2): data changed after signing, and signees
    /// still to sign.
    enum ValidationIssue: Equatable {
        case invalidSignatureHash
        case missingSignatures
    }

    static func validationProblem(taskId: String, issues: [ValidationIssue], language: String) -> JSONValue {
        .obj([
            "title": .string("Validation failed for task"),
            "status": .int(409),
            "detail": .string("\(issues.count) validation errors found for task \(taskId)"),
            "validationIssues": .array(
                issues.map { issue in
                    let (code, text, source) =
                        switch issue {
                        case .missingSignatures:
                            (
                                "MissingSignatures", missingSignaturesText(language: language),
                                "Altinn.App.Core.Features.Validation.Default.SigningTaskValidator-*"
                            )
                        case .invalidSignatureHash:
                            (
                                "InvalidSignatureHash", invalidSignatureHashText(language: language),
                                "Altinn.App.Core.Features.Validation.Default.SignatureHashValidator-*"
                            )
                        }
                    return .obj([
                        "severity": .int(1),
                        "dataElementId": .null,
                        "field": .null,
                        "code": .string(code),
                        "description": .string(text),
                        "source": .string(source),
                        "noIncrementalUpdates": .bool(true),
                    ])
                }),
        ])
    }

    /// SignatureHashValidator's texts (§2).
    static func invalidSignatureHashText(language: String) -> String {
        switch language {
        case "nn": "Signerte data er endra etter at signaturen vart utført."
        case "nb": "Signerte data er endret etter at signaturen ble utført."
        default: "The signed data has been modified after the signature was made."
        }
    }

    /// SigningTaskValidator's texts; unknown languages fall back to `nb`, like the app's default.
    static func missingSignaturesText(language: String) -> String {
        switch language {
        case "nn": "Det manglar påkravde signaturar."
        case "en": "Required signatures are missing."
        default: "Det mangler påkrevde signaturer."
        }
    }

    static func processNextForbidden(taskId: String, taskType: String, action: String?) -> JSONValue {
        .obj([
            "title": .string("Unauthorized"),
            "status": .int(403),
            "detail": .string(
                "User is not authorized to perform process next. Task ID: \(taskId). Task type: \(taskType). Action: \(action ?? "none")."
            ),
        ])
    }

    static func signHandlerUnauthorized() -> JSONValue {
        .obj([
            "title": .string("Unauthorized"),
            "status": .int(403),
            "detail": .string("Action handler for action sign failed!"),
        ])
    }

    static func actionMissingProblem(instanceGuid: UUID) -> JSONValue {
        .obj([
            "title": .string("Action is missing"),
            "status": .int(400),
            "detail": .string("Action is missing in the request"),
            "instance": .string(instanceGuid.uuidString.lowercased()),
        ])
    }

    static func notASigningTaskProblem() -> JSONValue {
        .obj([
            "title": .string("Not a signing task"),
            "status": .int(400),
            "detail": .string(
                "This endpoint is only callable while the current task is a signing task, or when taskId query param is set to a signing task's ID."
            ),
        ])
    }

    /// ASP.NET's default for a bare `NotFound()` in an `[ApiController]` (§1.7, unconfirmed shape).
    static func frameworkNotFound() -> JSONValue {
        .obj([
            "type": .string("https://tools.ietf.org/html/rfc9110#section-15.5.5"),
            "title": .string("Not Found"),
            "status": .int(404),
            "traceId": .string(traceId()),
        ])
    }

    /// ASP.NET's automatic 400 for an unreadable body in an `[ApiController]`.
    static func frameworkBadRequest() -> JSONValue {
        .obj([
            "type": .string("https://tools.ietf.org/html/rfc9110#section-15.5.1"),
            "title": .string("One or more validation errors occurred."),
            "status": .int(400),
            "errors": .obj(["$": .array([.string("The request body is not a valid ProcessNext object.")])]
            ),
            "traceId": .string(traceId()),
        ])
    }

    private static func traceId() -> String {
        let hex = UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased()
        return "00-\(hex)-\(hex.prefix(16))-00"
    }
}
