package import AltinnAPI

/// The normalized state as JSON: one rendering for API answers and event data alike.
package enum StateJSON {
    package static func instance(_ instance: InstanceReference, _ environment: AltinnEnvironment) -> JSONValue {
        .object([
            ("app", .string(instance.app.description)),
            ("partyId", .int(instance.partyId)),
            ("instanceGuid", .string(instance.instanceGuid)),
            ("instanceId", .string(instance.instanceId)),
            ("url", .string(environment.instanceURL(instance))),
        ])
    }

    package static func process(_ position: ProcessPosition) -> JSONValue {
        .object([
            (
                "currentTask",
                position.currentTask.map { task in
                    .object([("id", .string(task.id)), ("type", task.type.json), ("name", task.name.json)])
                } ?? .null
            ),
            ("ended", .bool(position.isEnded)),
            ("endedAt", position.ended.map { .string($0.description) } ?? .null),
        ])
    }

    /// The answer to a sign (`SignResponse` in openapi.yaml).
    package static func sign(_ outcome: SignOutcome, _ environment: AltinnEnvironment) -> JSONValue {
        .object([
            ("operation", "sign"),
            ("mode", .string(outcome.mode.rawValue)),
            ("instance", self.instance(outcome.instance, environment)),
            ("process", outcome.process.map(self.process) ?? .null),
            ("signing", self.signing(outcome.signing)),
            ("confirmedBy", .string(outcome.confirmedBy.rawValue)),
            ("proof", outcome.proof.map(self.proof) ?? .null),
        ])
    }

    /// What was signed, from Altinn's signature document, or why it could not be read.
    package static func proof(_ observation: ProofObservation) -> JSONValue {
        switch observation {
        case .unavailable(let reason):
            return .object([("available", false), ("reason", .string(reason))])
        case .recorded(let proof):
            return .object([
                ("available", true),
                ("signatureDocument", .string(proof.documentId)),
                ("taskId", proof.taskId.json),
                ("signedAt", proof.signedAt.map { .string($0.description) } ?? .null),
                (
                    "signee",
                    .object([
                        ("userId", proof.userId.json), ("systemUserId", proof.systemUserId.json),
                        ("organisationNumber", proof.organisationNumber.json),
                    ])
                ),
                (
                    "dataElements",
                    .array(
                        proof.elements.map {
                            .object([("id", .string($0.dataElementId)), ("sha256", .string($0.sha256))])
                        })
                ),
            ])
        }
    }

    package static func signing(_ observation: SigningObservation) -> JSONValue {
        switch observation {
        case .unknown(let taskId, let reason):
            return .object([("taskId", taskId.json), ("stateKnown", false), ("reason", .string(reason))])
        case .known(let snapshot):
            return .object([
                ("taskId", snapshot.taskId.json),
                ("stateKnown", true),
                ("complete", .bool(snapshot.complete)),
                (
                    "counts",
                    .object([
                        ("total", .int(snapshot.signees.count)),
                        ("signed", .int(snapshot.count(.signed))),
                        ("awaitingSignature", .int(snapshot.count(.awaitingSignature))),
                        ("notificationFailed", .int(snapshot.count(.notificationFailed))),
                        ("delegationFailed", .int(snapshot.count(.delegationFailed))),
                    ])
                ),
                ("signees", .array(snapshot.signees.map(self.signee))),
            ])
        }
    }

    package static func signee(_ signee: NormalizedSignee) -> JSONValue {
        .object([
            ("partyId", .int(signee.partyId)),
            ("kind", .string(signee.kind.rawValue)),
            ("name", signee.name.json),
            ("organization", signee.organization.json),
            ("delegated", .bool(signee.delegated)),
            ("notification", .string(signee.notification.rawValue)),
            ("signedAt", signee.signedAt.map { .string($0.description) } ?? .null),
            ("status", .string(signee.status.rawValue)),
        ])
    }
}
