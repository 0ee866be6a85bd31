package import AltinnAPI
package import Gateway

/// The JSON of an app preflight (`AppPreflight` in openapi.yaml), shared by `GET /v1/apps/{org}/{app}` and
/// `signing-gateway apps check --json`.
package enum PreflightJSON {
    package static func report(_ report: PreflightReport, environment: AltinnEnvironment) -> JSONValue {
        func text(_ value: String?) -> JSONValue { value.map(JSONValue.string) ?? .null }
        func texts(_ values: [String]) -> JSONValue { .array(values.map(JSONValue.string)) }
        let scopes = report.apiScopes
        return .object([
            ("app", .string(report.app.description)),
            ("appUrl", .string(environment.appRoot(report.app))),
            ("metadataId", text(report.metadataId)),
            ("altinnNugetVersion", text(report.altinnNugetVersion)),
            ("fetchedAt", .string(AuditJSON.formatTime(report.fetchedAt))),
            (
                "signingTasks",
                .array(
                    report.signingTasks.map { task in
                        .object([
                            ("id", .string(task.id)),
                            ("name", text(task.name)),
                            ("dataTypesToSign", texts(task.dataTypesToSign)),
                            ("signatureDataType", text(task.signatureDataType)),
                            ("signeeProviderId", text(task.signeeProviderId)),
                            ("signeeStatesDataTypeId", text(task.signeeStatesDataTypeId)),
                            ("signingPdfDataType", text(task.signingPdfDataType)),
                            ("actions", texts(task.actions)),
                            ("sign", .bool(task.offersSign)),
                            ("reject", .bool(task.offersReject)),
                            ("uniqueFromSignaturesInDataTypes", texts(task.uniqueFromSignaturesInDataTypes)),
                            ("runDefaultValidator", .bool(task.runDefaultValidator)),
                            (
                                "next",
                                .object([
                                    ("sign", self.route(task.routeOnSign)),
                                    ("reject", self.route(task.routeOnReject)),
                                    ("withoutAction", self.route(task.routeWithoutAction)),
                                ])
                            ),
                        ])
                    })
            ),
            (
                "apiScopes",
                .object([
                    ("users", .object([("read", text(scopes.usersRead)), ("write", text(scopes.usersWrite))])),
                    (
                        "serviceOwners",
                        .object([("read", text(scopes.serviceOwnersRead)), ("write", text(scopes.serviceOwnersWrite))])
                    ),
                ])
            ),
            (
                "tokenProfiles",
                .array(
                    report.tokenProfiles.map { profile in
                        .object([
                            ("name", .string(profile.name)),
                            ("kind", .string(profile.kind)),
                            ("identity", .string(profile.identity.rawValue)),
                            ("requiredScopes", texts(profile.required)),
                            ("missingScopes", texts(profile.missing)),
                            ("status", .string(profile.status.rawValue)),
                        ])
                    })
            ),
            (
                "dialogporten",
                .object([
                    ("disableSync", .bool(report.dialogportenSyncDisabled)),
                    ("disableAddActivities", .bool(report.dialogportenActivitiesDisabled)),
                ])
            ),
            (
                "warnings",
                .array(
                    report.warnings.map { warning in
                        var members: [(String, JSONValue)] = [
                            ("code", .string(warning.code.rawValue)),
                            ("severity", .string(warning.code.severity)),
                        ]
                        if let taskId = warning.taskId { members.append(("taskId", .string(taskId))) }
                        if let dataType = warning.dataType { members.append(("dataType", .string(dataType))) }
                        if let profile = warning.tokenProfile { members.append(("tokenProfile", .string(profile))) }
                        members.append(("detail", .string(warning.detail)))
                        return .object(members)
                    })
            ),
        ])
    }

    /// `{"outcome":"element","elementId":…}`, or why no single element follows.
    static func route(_ route: ProcessRoute) -> JSONValue {
        switch route {
        case .element(let id): return .object([("outcome", "element"), ("elementId", .string(id))])
        case .noFlow(let gateway): return .object([("outcome", "noFlow"), ("at", .string(gateway))])
        case .ambiguous(let at, let count):
            return .object([("outcome", "ambiguous"), ("at", .string(at)), ("flows", .int(count))])
        case .undetermined(let at): return .object([("outcome", "undetermined"), ("at", .string(at))])
        }
    }
}
