import AltinnAPI
import HTTPTypes
import Logging
import Synchronization
import Testing
import Tokens
import Transport

@testable import Gateway

/// A transport that answers from a script and records what was sent: the seam lets these tests
/// pin the retry rules exactly (the end-to-end suite covers the real wire).
final class ScriptedTransport: HTTPTransport {
    typealias Step = @Sendable (OutboundRequest) throws(TransportError) -> InboundResponse
    private let state: Mutex<(steps: [Step], sent: [OutboundRequest])>

    init(_ steps: [Step]) { self.state = Mutex((steps, [])) }

    var sent: [OutboundRequest] { self.state.withLock { $0.sent } }

    func execute(_ request: OutboundRequest) async throws(TransportError) -> InboundResponse {
        let step = self.state.withLock { state -> Step? in
            state.sent.append(request)
            return state.steps.isEmpty ? nil : state.steps.removeFirst()
        }
        guard let step else { return InboundResponse(status: .internalServerError) }
        return try step(request)
    }
}

func reply(_ status: Int, _ body: String) -> ScriptedTransport.Step {
    { _ in
        InboundResponse(
            status: .init(code: status), headerFields: [.contentType: "application/json"], body: Array(body.utf8))
    }
}

func fail(_ error: TransportError) -> ScriptedTransport.Step {
    { (_) throws(TransportError) -> InboundResponse in throw error }
}

@Suite struct SignSafetyTests {
    let instance: InstanceReference
    let signing =
        #"{"signeeStates":[{"name":"System","organization":"ERP AS","delegationSuccessful":true,"notificationStatus":"Sent","partyId":5,"signedTime":"2025-03-03T11:16:02.9390324Z"}]}"#
    let action =
        #"{"instance":{"id":"1/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01","process":{"currentTask":{"elementId":"Task_2","altinnTaskType":"signing","name":"Signering"}}},"updatedDataModels":{},"updatedValidationIssues":{},"clientActions":null,"error":null,"redirectUrl":null}"#
    let signingTask =
        #"{"started":null,"currentTask":{"elementId":"Task_2","altinnTaskType":"signing","name":"Signering"},"ended":null}"#
    let endedProcess = #"{"started":null,"currentTask":null,"ended":"2025-03-03T11:16:03Z","endEvent":"EndEvent_1"}"#

    init() throws {
        self.instance = try InstanceReference(
            app: AppReference("ttd/signing-app"), instanceId: "1/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01")
    }

    func service(
        _ transport: ScriptedTransport,
        tokens: any TokenProvider = StaticTokenProvider(tokens: ["dev": AccessToken("tok")])
    )
        throws -> SigningService
    {
        let base = try #require(BaseURL("http://127.0.0.1:1"))
        return SigningService(
            altinn: AltinnClient(
                environment: .baseURL(base), transport: transport, userAgent: "test", timeout: .seconds(1)),
            tokens: tokens, defaultTokenProfile: "dev", retry: RetryPolicy(maxRetries: 2, baseDelay: .milliseconds(1)),
            logger: Logger(label: "test"))
    }

    @Test func parallelSignIsRetriedWhenTheRequestNeverLeft() async throws {
        let transport = ScriptedTransport([fail(.notSent(.connectFailed)), reply(200, action), reply(200, signing)])
        let outcome = try await service(transport).sign(SignCommand(instance: instance, mode: .parallel))
        // The sign twice (the first never left), the signing state, then the instance for the proof.
        #expect(transport.sent.map(\.method) == [.post, .post, .get, .get])
        #expect(transport.sent[2].url.hasSuffix("/signing?taskId=Task_2"))
        #expect(transport.sent[3].url.hasSuffix("/instances/1/5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01"))
        guard case .known(let snapshot) = outcome.signing else {
            Issue.record("state unknown")
            return
        }
        #expect(snapshot.complete)
    }

    @Test(arguments: [
        TransportError.ambiguous(.deadlineExceeded), .ambiguous(.connectionReset), .ambiguous(.incompleteResponse),
        .responseTooLarge(limit: 10),
    ])
    func parallelSignIsNeverRepeatedWhenItMayHaveLeft(_ error: TransportError) async throws {
        let transport = ScriptedTransport([fail(error), reply(200, action)])
        await #expect(throws: GatewayError.altinn(.transport(error, .performAction), signMayHaveHappened: true)) {
            try await service(transport).sign(SignCommand(instance: instance, mode: .parallel))
        }
        // One sign; what follows are reads (the signing state, to look for the signature).
        #expect(transport.sent.filter { $0.method != .get }.count == 1)
        #expect(transport.sent.count >= 2)
    }

    @Test func signingStateFailureAfterASignIsUnknownNotFailed() async throws {
        let transport = ScriptedTransport([reply(200, action), reply(500, ""), reply(500, ""), reply(500, "")])
        let outcome = try await service(transport).sign(SignCommand(instance: instance, mode: .parallel))
        #expect(transport.sent.filter { $0.method == .post }.count == 1)
        guard case .unknown(let taskId, _) = outcome.signing else {
            Issue.record("expected unknown")
            return
        }
        #expect(taskId == "Task_2")
    }

    @Test func singleSignReadsTheTaskFirstAndQueriesItAfterwards() async throws {
        let transport = ScriptedTransport([reply(200, signingTask), reply(200, endedProcess), reply(200, signing)])
        let outcome = try await service(transport).sign(
            SignCommand(instance: instance, mode: .single, onBehalfOf: "310000000"))
        // The task first, the sign, the signing state, then the instance for the proof: one write.
        #expect(transport.sent.map(\.method) == [.get, .put, .get, .get])
        #expect(
            String(decoding: transport.sent[1].body ?? [], as: UTF8.self)
                == #"{"action":"sign","actionOnBehalfOf":"310000000"}"#)
        #expect(transport.sent[2].url.hasSuffix("/signing?taskId=Task_2"))
        #expect(outcome.process?.isEnded == true)
    }

    @Test func singleSignRefusesWithoutSigningWhenNotInASigningTask() async throws {
        let transport = ScriptedTransport([reply(200, endedProcess)])
        await #expect(throws: GatewayError.processEnded) {
            try await service(transport).sign(SignCommand(instance: instance, mode: .single))
        }
        #expect(transport.sent.map(\.method) == [.get])
    }

    @Test func a401RefreshesTheTokenAndRetriesOnce() async throws {
        let transport = ScriptedTransport([reply(401, ""), reply(401, "")])
        await #expect(throws: GatewayError.self) {
            try await service(transport).sign(SignCommand(instance: instance, mode: .parallel))
        }
        #expect(transport.sent.count == 2)
    }

    @Test func tokenFailureSendsNothing() async throws {
        let transport = ScriptedTransport([])
        await #expect(throws: GatewayError.token(.unknownProfile("other"))) {
            try await service(transport).sign(SignCommand(instance: instance, mode: .parallel, tokenProfile: "other"))
        }
        #expect(transport.sent.isEmpty)
    }

    @Test func everyRequestCarriesTheTokenAcceptAndUserAgent() async throws {
        let transport = ScriptedTransport([reply(200, signing)])
        _ = try await service(transport).signingState(SigningStateQuery(instance: instance))
        let headers = try #require(transport.sent.first?.headerFields)
        #expect(headers[.authorization] == "Bearer tok")
        #expect(headers[.accept] == "application/json")
        #expect(headers[.userAgent] == "test")
    }

    @Test(arguments: [
        (AltinnRejection(operation: .processNext, status: 409, reason: .validationFailed), true),
        (AltinnRejection(operation: .processNext, status: 409, reason: .processEnded), false),
        (AltinnRejection(operation: .performAction, status: 409, reason: .processEnded), false),
        (AltinnRejection(operation: .performAction, status: 500, reason: .other), true),
        (AltinnRejection(operation: .performAction, status: 403, reason: .forbidden), false),
    ])
    func whetherARejectedSignMayHaveHappened(_ rejection: AltinnRejection, _ expected: Bool) {
        #expect(SigningService.signMayHaveHappened(.rejected(rejection)) == expected)
    }

    @Test func tokensNeverPrint() {
        let token = AccessToken("super-secret-value")
        #expect(!"\(token)".contains("super-secret"))
        #expect(!String(reflecting: token).contains("super-secret"))
        var dumped = ""
        dump(token, to: &dumped)
        #expect(!dumped.contains("super-secret"))
    }
}
