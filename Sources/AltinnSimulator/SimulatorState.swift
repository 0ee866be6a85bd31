package import Foundation

/// One app-API request as received, for contract tests. The token itself is never kept.
package struct RecordedRequest: Sendable {
    package let method: String
    package let path: String
    package let query: String?
    package let contentType: String?
    package let accept: String?
    package let hasAuthorization: Bool
    /// The W3C `traceparent` header as received, so a test can follow a trace across the wire.
    package let traceparent: String?
    /// The body parsed as JSON, a JSON string when it was not JSON, `nil` when empty.
    let body: JSONValue?

    /// The body re-serialized as JSON text, `nil` when empty.
    package var bodyJSON: String? { body?.serialized }

    var json: JSONValue {
        .obj([
            "method": .string(method),
            "path": .string(path),
            "query": .optionalString(query),
            "contentType": .optionalString(contentType),
            "accept": .optionalString(accept),
            "authorizationPresent": .bool(hasAuthorization),
            "traceparent": .optionalString(traceparent),
            "body": body ?? .null,
        ])
    }
}

/// Outcomes of the process/next and actions flows, mapped to HTTP by the routes.
enum ProcessNextResult {
    case moved(InstanceRecord)
    case notFound
    case processEnded
    case forbidden(taskId: String, taskType: String, action: String?)
    case handlerUnauthorized
    /// Full validation of the task failed (the move did not happen; a sign made first stays).
    case validationFailed(taskId: String, issues: [Bodies.ValidationIssue])
}

enum UserActionResult {
    case done(InstanceRecord)
    case notFound
    case processEnded
    case forbidden
    case actionNotFound(InstanceRecord)
    case unauthorizedOnBehalfOf(InstanceRecord)
}

enum SigningStateResult {
    case states([SigneeRecord])
    case notFound
    case notASigningTask
    case failedAfterSystemUserSign
    /// The signing task has ended and the caller's rights with it (`revokeRightsAtTaskEnd`).
    case rightsRevoked
}

/// Whether to misbehave on one request; rolled once per request.
struct FaultDecision: Sendable {
    var latency: Duration
    var fail: Bool
    var dropReply: Bool
}

/// All mutable simulator state. An actor so concurrent requests see each sign and move atomically.
package actor SimulatorState {
    private var instances: [InstanceKey: InstanceRecord] = [:]
    /// Creation order, so listings are stable.
    private var order: [InstanceKey] = []
    package private(set) var faults: SimulatorFaults
    /// Connection-level faults (FIN, RST, cut answers, drips), taken synchronously by the NIO handlers.
    package nonisolated let network = NetworkFaultPlan()
    /// Instances whose lock a process/next (or a test) holds, as Storage's instance lock does.
    private var locked: Set<InstanceKey> = []
    /// process/next calls refused because the lock was held.
    package private(set) var lockConflicts = 0
    private var random: SeededGenerator
    private var requests: [RecordedRequest] = []
    private let requestLimit: Int
    /// Requests received since start (never reset), beyond what the bounded log keeps.
    package private(set) var requestTotal = 0
    private var heldReplies = 0
    private var heldWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []
    private let now: @Sendable () -> Date

    init(configuration: SimulatorConfiguration, now: @escaping @Sendable () -> Date = { Date() }) {
        self.faults = configuration.faults
        self.random = SeededGenerator(seed: configuration.randomSeed)
        self.requestLimit = max(1, configuration.recordedRequestLimit)
        self.now = now
        let (seeded, seededOrder) = Self.seed()
        self.instances = seeded
        self.order = seededOrder
    }

    private static func seed() -> ([InstanceKey: InstanceRecord], [InstanceKey]) {
        var result: [InstanceKey: InstanceRecord] = [:]
        var keys: [InstanceKey] = []
        for template in DemoTemplate.allCases {
            let record = SeedData.instance(
                template, guid: SeedData.guids[template]!, systemUser: .defaultSystemUser)
            let key = InstanceKey(partyId: record.partyId, guid: record.guid)
            result[key] = record
            keys.append(key)
        }
        return (result, keys)
    }

    // MARK: Public API for the executable and tests

    /// Sign calls that reached the app API for the instance (0 for an unknown one).
    package func signCalls(partyId: Int, guid: UUID) -> Int {
        instances[InstanceKey(partyId: partyId, guid: guid)]?.signCalls ?? 0
    }

    package func setFaults(_ faults: SimulatorFaults) {
        self.faults = faults
    }

    /// Back to the seeded instances; created instances, counts and recorded requests are dropped.
    /// Faults are kept: they are configuration, not data.
    package func reset() {
        network.clear()
        let (seeded, seededOrder) = Self.seed()
        instances = seeded
        order = seededOrder
        requests = []
    }

    /// Signee states of the instance's signing task (Task_2), or nil for an unknown instance.
    package func signeeStates(partyId: Int, guid: UUID) -> [SimulatedSigneeState]? {
        guard let record = instances[InstanceKey(partyId: partyId, guid: guid)] else { return nil }
        let signingTask = record.tasks.first { $0.isSigning }?.elementId ?? "Task_2"
        return (record.signees[signingTask] ?? []).map(\.publicState)
    }

    /// The current task id, `nil` once the process ended; `.none` for an unknown instance.
    package func currentTaskId(partyId: Int, guid: UUID) -> String?? {
        guard let record = instances[InstanceKey(partyId: partyId, guid: guid)] else { return .none }
        return .some(record.currentTask?.elementId)
    }

    /// A fresh copy of a demo scenario with a new GUID; returns its id `"{partyId}/{guid}"`.
    package func createInstance(template: DemoTemplate) -> String {
        let record = SeedData.instance(template, guid: UUID(), systemUser: .defaultSystemUser)
        let key = InstanceKey(partyId: record.partyId, guid: record.guid)
        instances[key] = record
        order.append(key)
        return record.id
    }

    /// The last received app-API requests, oldest first.
    package func recordedRequests() -> [RecordedRequest] { requests }

    /// Suspends until at least `count` replies are being held by `dropReplyRate`, so a test can
    /// observe a dropped reply without sleeping.
    package func waitForHeldReplies(atLeast count: Int) async {
        if heldReplies >= count { return }
        await withCheckedContinuation { continuation in
            heldWaiters.append((count, continuation))
        }
    }

    package var heldReplyCount: Int { heldReplies }

    // MARK: Used by the routes

    func instance(_ key: InstanceKey) -> InstanceRecord? { instances[key] }

    func allInstances() -> [InstanceRecord] { order.compactMap { instances[$0] } }

    func record(_ request: RecordedRequest) {
        requestTotal += 1
        requests.append(request)
        if requests.count > requestLimit { requests.removeFirst(requests.count - requestLimit) }
    }

    func rollFaults() -> FaultDecision {
        FaultDecision(
            latency: faults.latency,
            fail: random.chance(faults.errorRate),
            dropReply: random.chance(faults.dropReplyRate)
        )
    }

    func replyHeld() {
        heldReplies += 1
        let ready = heldWaiters.filter { $0.count <= heldReplies }
        heldWaiters.removeAll { $0.count <= heldReplies }
        for waiter in ready { waiter.continuation.resume() }
    }

    func replyReleased() {
        heldReplies -= 1
    }

    /// Takes the instance lock (not re-entrant, as Storage's); false when held, counted as a conflict.
    func lockInstance(_ key: InstanceKey) -> Bool {
        guard locked.insert(key).inserted else {
            lockConflicts += 1
            return false
        }
        return true
    }

    func unlockInstance(_ key: InstanceKey) { locked.remove(key) }

    /// Holds the instance lock for `duration`, as another caller's process/next would.
    package func holdLock(partyId: Int, guid: UUID, for duration: Duration) async {
        let key = InstanceKey(partyId: partyId, guid: guid)
        guard lockInstance(key) else { return }
        try? await Task.sleep(for: duration)
        unlockInstance(key)
    }

    /// `PUT …/process/next` (§1.1), in the order the ProcessEngine checks.
    func processNext(
        _ key: InstanceKey, identity: SimulatedIdentity, action: String?, onBehalfOf: String?
    )
        -> ProcessNextResult
    {
        instances[key]?.processNextCalls += 1
        guard var record = instances[key] else { return .notFound }
        guard !record.isEnded, let task = record.currentTask else { return .processEnded }
        if let action, !TaskPolicy.allowedActions(for: task.altinnTaskType).contains(action) {
            return .forbidden(taskId: task.elementId, taskType: task.altinnTaskType, action: action)
        }
        let time = now()
        if action == "reject" {
            // Validation is skipped for a reject the BPMN lists (§1.2 step 3); the task's signatures go.
            record.reject(now: time)
            instances[key] = record
            return .moved(record)
        }
        if action == "sign" {
            do {
                try record.sign(by: identity, onBehalfOf: onBehalfOf, now: time)
            } catch {
                return .handlerUnauthorized
            }
        }
        if task.isSigning {
            var issues: [Bodies.ValidationIssue] = []
            if record.signaturesInvalidated(taskId: task.elementId) { issues.append(.invalidSignatureHash) }
            if record.hasMissingSignatures(taskId: task.elementId) { issues.append(.missingSignatures) }
            if !issues.isEmpty {
                // The signature (if any) stays even though the move fails, as in Altinn.
                instances[key] = record
                return .validationFailed(taskId: task.elementId, issues: issues)
            }
        }
        record.moveNext(now: time)
        instances[key] = record
        return .moved(record)
    }

    /// `POST …/actions` (§1.2) after the action-missing check.
    func userAction(
        _ key: InstanceKey, identity: SimulatedIdentity, action: String, onBehalfOf: String?
    )
        -> UserActionResult
    {
        guard var record = instances[key] else { return .notFound }
        guard !record.isEnded, let task = record.currentTask else { return .processEnded }
        guard TaskPolicy.allowedActions(for: task.altinnTaskType).contains(action) else {
            return .forbidden
        }
        // Only `sign` has a handler (SigningUserAction); read/write pass the PDP but have none.
        guard action == "sign" else { return .actionNotFound(record) }
        let before = record
        do {
            try record.sign(by: identity, onBehalfOf: onBehalfOf, now: now())
        } catch {
            return .unauthorizedOnBehalfOf(record)
        }
        instances[key] = record
        var answered = record
        if faults.actionsAnswerOldData { answered.signDocuments = before.signDocuments }
        return .done(answered)
    }

    /// `GET …/signing` (§1.3).
    func signingState(_ key: InstanceKey, taskId: String?, caller: SimulatedIdentity.Kind? = nil)
        -> SigningStateResult
    {
        guard let record = instances[key] else { return .notFound }
        let task: ProcessTaskDefinition?
        if let taskId, !taskId.isEmpty {
            task = record.task(withId: taskId)
        } else {
            task = record.currentTask
        }
        guard let task, task.isSigning else { return .notASigningTask }
        if faults.revokeRightsAtTaskEnd, caller == .systemUser, record.endedSigningTasks.contains(task.elementId) {
            return .rightsRevoked
        }
        if faults.failSigningAfterSign, record.systemUserHasSigned { return .failedAfterSystemUserSign }
        return .states(record.signees[task.elementId] ?? [])
    }

    /// `GET …/data/{id}`: a document's bytes or a signature document's JSON; nil when there is none.
    func dataElement(_ key: InstanceKey, id: UUID) -> (bytes: [UInt8], contentType: String, signature: Bool)? {
        guard let record = instances[key] else { return nil }
        if let element = record.dataElements.first(where: { $0.id == id }) {
            return (element.bytes, element.contentType, false)
        }
        if let document = record.signDocuments.first(where: { $0.id == id }) {
            return (Array(record.signDocumentJSON(document).serialized.utf8), "application/json", true)
        }
        return nil
    }

    /// The ids of an instance's documents to sign (tests).
    package func documentIds(partyId: Int, guid: UUID) -> [UUID] {
        instances[InstanceKey(partyId: partyId, guid: guid)]?.dataElements.map(\.id) ?? []
    }

    /// The bytes of an instance's documents to sign, by id (tests compute the digests themselves).
    package func documents(partyId: Int, guid: UUID) -> [(id: UUID, bytes: [UInt8])] {
        instances[InstanceKey(partyId: partyId, guid: guid)]?.dataElements.map { ($0.id, $0.bytes) } ?? []
    }

    package func processNextCalls(partyId: Int, guid: UUID) -> Int {
        instances[InstanceKey(partyId: partyId, guid: guid)]?.processNextCalls ?? 0
    }

    package func changeDocument(partyId: Int, guid: UUID, id: UUID, bytes: [UInt8]) -> Bool {
        self.changeDocument(InstanceKey(partyId: partyId, guid: guid), id: id, bytes: bytes)
    }

    /// Admin: the document's bytes change after it was signed (what `InvalidSignatureHash` detects). False
    /// when there is no such document.
    func changeDocument(_ key: InstanceKey, id: UUID, bytes: [UInt8]) -> Bool {
        guard var record = instances[key], let index = record.dataElements.firstIndex(where: { $0.id == id })
        else { return false }
        record.dataElements[index].bytes = bytes
        record.dataElements[index].lastChanged = now()
        instances[key] = record
        return true
    }

    /// Admin: a listed signee signs outside the gateway. Nil for an unknown instance.
    func signOutOfBand(_ key: InstanceKey, signeePartyId: Int) -> Bool? {
        guard var record = instances[key] else { return nil }
        let signed = record.signOutOfBand(signeePartyId: signeePartyId, now: now())
        instances[key] = record
        return signed
    }
}
