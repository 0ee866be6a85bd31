import AltinnAPI
import Gateway

/// The normalized JSON the gateway answers with (schemas in openapi.yaml).
enum ResponseBodies {
    static func sign(_ outcome: SignOutcome, environment: AltinnEnvironment) -> JSONValue {
        StateJSON.sign(outcome, environment)
    }

    static func processNext(_ outcome: ProcessNextOutcome, environment: AltinnEnvironment) -> JSONValue {
        .object([
            ("operation", "processNext"),
            ("instance", self.instance(outcome.instance, environment)),
            ("process", self.process(outcome.process)),
        ])
    }

    /// Altinn removes the signee state and every signature of the task on a reject: the answer says so.
    static func reject(_ outcome: RejectOutcome, environment: AltinnEnvironment) -> JSONValue {
        .object([
            ("operation", "reject"),
            ("instance", self.instance(outcome.instance, environment)),
            ("rejectedTask", .string(outcome.taskId)),
            ("removedSignatures", outcome.removedSignatures.map { .int($0) } ?? .null),
            (
                "note",
                "Altinn removed the signee state and every signature of the rejected task; signing it again starts over."
            ),
            ("process", self.process(outcome.process)),
        ])
    }

    /// Each signature document normalized (the signee, when, and each signed data element's SHA-256), and those
    /// Altinn would not show, with why.
    static func signatures(
        _ listing: SignatureListing, instance: InstanceReference, taskId: String?, environment: AltinnEnvironment
    ) -> JSONValue {
        .object([
            ("instance", self.instance(instance, environment)),
            ("taskId", taskId.map(JSONValue.string) ?? .null),
            ("signatures", .array(listing.documents.map { StateJSON.proof(.recorded($0)) })),
            (
                "unreadable",
                .array(
                    listing.unreadable.map {
                        .object([("dataElementId", .string($0.dataElementId)), ("reason", .string($0.reason))])
                    })
            ),
        ])
    }

    static func signees(
        _ snapshot: SigningSnapshot,
        instance: InstanceReference,
        environment: AltinnEnvironment
    ) -> JSONValue {
        .object([
            ("instance", self.instance(instance, environment)),
            ("signing", self.signing(.known(snapshot))),
        ])
    }

    static func instance(_ instance: InstanceReference, _ environment: AltinnEnvironment) -> JSONValue {
        StateJSON.instance(instance, environment)
    }

    static func process(_ position: ProcessPosition) -> JSONValue { StateJSON.process(position) }

    static func signing(_ observation: SigningObservation) -> JSONValue { StateJSON.signing(observation) }
}
