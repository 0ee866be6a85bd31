import AltinnAPI
package import Foundation
package import Logging
package import Storage

/// Polls tracked instances that are due, diffs each observation into events, and makes the automatic
/// `process/next` of `completeWhenAllSigned` at most once. Safe on several replicas: rows are leased in the store.
package struct Tracker: Sendable {
    private let store: any Store
    private let service: SigningService
    private let observer: InstanceObserver
    /// This process's lease owner name.
    private let owner: String
    private let deliveryDoorbell: Doorbell
    private let logger: Logger

    package init(
        store: any Store, service: SigningService, observer: InstanceObserver, owner: String,
        deliveryDoorbell: Doorbell,
        logger: Logger
    ) {
        self.store = store
        self.service = service
        self.observer = observer
        self.owner = owner
        self.deliveryDoorbell = deliveryDoorbell
        self.logger = logger
    }

    /// One round: leases the due instances and polls them concurrently. Returns how many were polled.
    @discardableResult
    package func pollDue(now: Date = Date()) async -> Int {
        let policy = self.observer.policy
        let claimed: [TrackedInstance]
        do {
            claimed = try await self.store.claimDueTrackedInstances(
                owner: self.owner, now: now, leaseUntil: now.adding(policy.lease), limit: policy.batch)
        } catch {
            self.logger.warning("claiming tracked instances failed", metadata: ["error": "\(error)"])
            return 0
        }
        await withTaskGroup(of: Void.self) { group in
            for row in claimed { group.addTask { await self.poll(row) } }
        }
        return claimed.count
    }

    private func poll(_ row: TrackedInstance) async {
        guard let instance = InstanceReference(key: row.instance) else {
            // Only a hand-edited row can get here; stop polling it rather than leasing it again and again.
            self.logger.error("tracked instance has an unreadable key; tracking ended")
            _ = try? await self.store.commit(
                OutboxWrite(instance: row.instance) { existing in
                    guard var ended = existing else { return .none }
                    ended.status = .ended
                    ended.lastError = "the stored instance key is unreadable"
                    ended.release(at: Date())
                    return InstanceUpdate(tracked: ended, events: [])
                })
            return
        }
        var (signing, process) = await self.read(instance, row)
        var final: FinalSigning?
        if case .success(let position) = process, let task = Self.signingTask(row),
            position.isEnded || (position.currentTask.map { $0.id != task } ?? false)
        {
            // The process has left the signing task. Since app-lib v8.12.4 signee rights are revoked as the task
            // ends, and the read above may have been made just before the move: read the task's state once more,
            // now, before the row records that the task is over. If that fails, what was last observed is kept
            // (the read above when it succeeded, else the stored snapshot) and the row says so.
            let last = await capture { () async throws(GatewayError) in
                try await self.service.signingState(
                    SigningStateQuery(instance: instance, taskId: task, tokenProfile: row.tokenProfile))
            }
            switch last {
            case .success:
                signing = last
                final = .readAtTaskEnd
            case .failure(let error):
                final = .lastObserved
                self.logger.info(
                    "the signing state could not be read after the process left the task; keeping the last observed",
                    metadata: ["instance": "\(instance)", "error": "\(error)"])
            }
        }
        let now = Date()
        let write: OutboxWrite
        let token = "claim_\(UUID().uuidString)"
        switch (signing, process) {
        case (.failure(let error), .failure(let processError)):
            write = self.observer.afterPollFailure(
                instance, reason: Self.reason(processError.instanceGone ? processError : error),
                instanceGone: processError.instanceGone, now: now)
        default:
            write = self.observer.afterPoll(
                instance,
                observation: Observation(signing: try? signing.get(), process: try? process.get(), final: final),
                claimToken: token, now: now)
        }
        guard let committed = await self.commit(write, instance) else { return }
        if case .claimed(token, _) = committed.tracked?.processNext {
            await self.completeTask(instance, row: committed.tracked ?? row, token: token)
        }
    }

    /// The signing task the row watches: the one it was asked for, else the one its snapshot was read in.
    private static func signingTask(_ row: TrackedInstance) -> String? {
        row.taskId ?? ObservedState.stored(row.snapshot)?.taskId
    }

    /// The signing state and the process position. With the signing task known, both at once; without it, the
    /// process first, so that the signing state is read (and remembered) with `?taskId=` of the signing task the
    /// process is in, which the poll that sees the process leave it needs.
    private func read(_ instance: InstanceReference, _ row: TrackedInstance) async -> (
        signing: Result<SigningSnapshot, GatewayError>, process: Result<ProcessPosition, GatewayError>
    ) {
        let process = { () async -> Result<ProcessPosition, GatewayError> in
            await capture { () async throws(GatewayError) in
                try await self.service.processPosition(instance, tokenProfile: row.tokenProfile)
            }
        }
        let signing = { (task: String?) async -> Result<SigningSnapshot, GatewayError> in
            await capture { () async throws(GatewayError) in
                try await self.service.signingState(
                    SigningStateQuery(instance: instance, taskId: task, tokenProfile: row.tokenProfile))
            }
        }
        if let task = Self.signingTask(row) {
            async let signingRead = signing(task)
            async let processRead = process()
            return await (signingRead, processRead)
        }
        let position = await process()
        switch position {
        case .failure(let error):
            return (.failure(error), position)
        case .success(let known):
            guard let current = known.currentTask, current.type == "signing" else {
                // Not in a signing task: Altinn would answer the signing read 400.
                return (.failure(known.isEnded ? .processEnded : .notInSigningTask(known)), position)
            }
            return (await signing(current.id), position)
        }
    }

    /// The once-only `process/next`: this tracker holds the claim named `token`.
    /// Audited like any forwarded call, in the name of the client that armed `completeWhenAllSigned` and with
    /// that client's token profile.
    private func completeTask(_ instance: InstanceReference, row: TrackedInstance, token: String) async {
        let result: Result<ProcessPosition, ProcessNextFailure>
        let command = ProcessNextCommand(instance: instance, tokenProfile: row.tokenProfile)
        let inbound = InboundFacts(
            clientId: row.clientId, sourceAddress: nil, requestId: token, traceparent: row.traceparent,
            idempotencyKey: nil, requestDigest: nil)
        let called: Result<Void, GatewayError>
        do {
            let outcome = try await self.service.processNext(command)
            result = .success(outcome.process)
            called = .success(())
            self.logger.info("completed signing task after all signed", metadata: ["instance": "\(instance)"])
        } catch {
            if case .altinn(.rejected(let rejection), _) = error, rejection.hasInvalidSignatureHash {
                result = .failure(.invalidated)
            } else {
                result = .failure(error.processNextNotExecuted ? .notSent : .unknown)
            }
            called = .failure(error)
            self.logger.warning(
                "automatic process/next failed", metadata: ["instance": "\(instance)", "error": "\(error)"])
        }
        var call = CallRecord.processNext(
            command, environment: self.service.environment, defaultProfile: self.service.defaultTokenProfile,
            result: called)
        call.operation = "trackerProcessNext"
        do {
            try await AuditTrail(store: self.store).append(inbound, call, responseBody: nil)
        } catch {
            self.logger.warning(
                "auditing the automatic process/next failed",
                metadata: ["instance": "\(instance)", "error": "\(error)"])
        }
        _ = await self.commit(
            self.observer.afterProcessNext(instance, token: token, result: result, now: Date()), instance)
    }

    private func commit(_ write: OutboxWrite, _ instance: InstanceReference) async -> OutboxCommit? {
        do {
            let committed = try await self.store.commit(write)
            if committed.deliveriesCreated > 0 { self.deliveryDoorbell.ring() }
            EventMetrics.appended(committed.appended)
            return committed
        } catch {
            self.logger.warning(
                "storing an observation failed", metadata: ["instance": "\(instance)", "error": "\(error)"])
            return nil
        }
    }

    private static func reason(_ error: GatewayError) -> String {
        switch error {
        case .token: return "no token for the profile"
        case .altinn(.transport, _): return "Altinn did not answer"
        case .altinn(.rejected(let rejection), _): return "Altinn answered \(rejection.status)"
        case .altinn(.undecodable, _): return "Altinn's answer could not be read"
        case .processEnded, .notInSigningTask: return "the process is not in a signing task"
        case .diagnosed(let rejection, _): return "Altinn answered \(rejection.status)"
        case .instanceBusy: return "another write to the instance was in progress"
        case .rejectNotOffered: return "the current task offers no reject"
        }
    }
}
