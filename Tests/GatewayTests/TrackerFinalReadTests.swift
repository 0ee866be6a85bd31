import AltinnAPI
import Foundation
import HTTPTypes
import Logging
import Storage
import Synchronization
import Testing
import Tokens
import Transport

@testable import Gateway

/// Answers `…/signing` from a list (one answer per call, the last repeated) and `…/process` with one position; the
/// signing answers pin the race the final read exists for: a signing read made just before the process moved.
final class RoutedTransport: HTTPTransport {
    private let signing: [(Int, String)]
    private let process: String
    private let state = Mutex<[String]>([])

    init(signing: [(Int, String)], process: String) {
        self.signing = signing
        self.process = process
    }

    static func isSigning(_ url: String) -> Bool { url.contains("/signing?") || url.hasSuffix("/signing") }

    var signingReads: [String] { self.state.withLock { $0.filter(Self.isSigning) } }

    func execute(_ request: OutboundRequest) async throws(TransportError) -> InboundResponse {
        let index = self.state.withLock { sent in
            sent.append(request.url)
            return sent.filter(Self.isSigning).count - 1
        }
        let (status, body) =
            Self.isSigning(request.url) ? self.signing[min(index, self.signing.count - 1)] : (200, self.process)
        return InboundResponse(
            status: .init(code: status), headerFields: body.isEmpty ? [:] : [.contentType: "application/json"],
            body: Array(body.utf8))
    }
}

@Suite struct TrackerFinalReadTests {
    static let waiting =
        #"{"signeeStates":[{"name":"A","organization":null,"delegationSuccessful":true,"notificationStatus":"Sent","partyId":1,"signedTime":"2025-03-03T11:16:02Z"},{"name":"System","organization":"ERP AS","delegationSuccessful":true,"notificationStatus":"Sent","partyId":5,"signedTime":null}]}"#
    static let allSigned =
        #"{"signeeStates":[{"name":"A","organization":null,"delegationSuccessful":true,"notificationStatus":"Sent","partyId":1,"signedTime":"2025-03-03T11:16:02Z"},{"name":"System","organization":"ERP AS","delegationSuccessful":true,"notificationStatus":"Sent","partyId":5,"signedTime":"2025-03-03T11:17:00Z"}]}"#
    static let inTask =
        #"{"started":null,"currentTask":{"elementId":"Task_2","altinnTaskType":"signing","name":"Signering"},"ended":null}"#
    static let ended = #"{"started":null,"currentTask":null,"ended":"2025-03-03T11:17:01Z","endEvent":"EndEvent_1"}"#

    /// Tracks the instance, polls it once in the task, then once after the process ended (whose first signing read
    /// still shows the system user waiting, as if made just before the move); `finalRead` answers the read after.
    func run(finalRead: (Int, String)) async throws -> (TrackedInstance?, [String], [String]) {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("tracker-\(UUID().uuidString).sqlite")
            .path
        let store = try await StoreFactory.open(
            StoreConfiguration(engine: .sqlite(path: path)), logger: Logger(label: "test"))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let instance = EventsCoreTests.instance
        let observer = InstanceObserver(events: EventsCoreTests.factory, policy: TrackingPolicy())
        let base = try #require(BaseURL("http://127.0.0.1:1"))
        func tracker(_ transport: RoutedTransport) -> Tracker {
            let service = SigningService(
                altinn: AltinnClient(
                    environment: .baseURL(base), transport: transport, userAgent: "test", timeout: .seconds(1)),
                tokens: StaticTokenProvider(tokens: ["dev": AccessToken("tok")]), defaultTokenProfile: "dev",
                retry: RetryPolicy(maxRetries: 1, baseDelay: .milliseconds(1)), logger: Logger(label: "test"))
            return Tracker(
                store: store, service: service, observer: observer, owner: "t", deliveryDoorbell: Doorbell(),
                logger: Logger(label: "test"))
        }
        _ = try await store.commit(
            observer.track(
                instance,
                .init(
                    clientId: "erp", tokenProfile: nil, taskId: "Task_2", completeWhenAllSigned: false, traceparent: nil
                ),
                now: Date()))
        #expect(await tracker(RoutedTransport(signing: [(200, Self.waiting)], process: Self.inTask)).pollDue() == 1)
        let moved = RoutedTransport(signing: [(200, Self.waiting), finalRead], process: Self.ended)
        #expect(await tracker(moved).pollDue(now: Date().addingTimeInterval(600)) == 1)
        let row = try await store.trackedInstance(instance.description)
        let types = try await store.events(after: 0, limit: 100).map(\.event.type)
        await store.close()
        return (row, types, moved.signingReads)
    }

    @Test("the poll that sees the process leave reads ?taskId= once more, and tells what that read shows")
    func theFinalReadSeesTheLastSignature() async throws {
        let (row, types, reads) = try await run(finalRead: (200, Self.allSigned))
        #expect(reads.count == 2, "\(reads)")
        #expect(reads.allSatisfy { $0.hasSuffix("/signing?taskId=Task_2") })
        #expect(row?.status == .complete)
        #expect(row?.finalSigning == .readAtTaskEnd)
        #expect(types.filter { $0 == EventType.signeeSigned.rawValue }.count == 2)
        #expect(types.contains(EventType.signingCompleted.rawValue))
        #expect(types.last == EventType.processCompleted.rawValue)
    }

    @Test("when that read fails (rights revoked), the last observed state is kept and the row says so")
    func aFailedFinalReadKeepsTheLastObserved() async throws {
        let (row, types, _) = try await run(finalRead: (500, ""))
        #expect(row?.status == .ended)
        #expect(row?.finalSigning == .lastObserved)
        #expect(row?.lastError?.contains("last one observed") == true)
        #expect(types.filter { $0 == EventType.signeeSigned.rawValue }.count == 1)
        #expect(!types.contains(EventType.signingCompleted.rawValue))
        let state = try #require(row.flatMap { ObservedState.stored($0.snapshot) })
        #expect(state.signees.map(\.status) == [.signed, .awaitingSignature])
    }
}
