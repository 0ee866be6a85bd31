import AltinnSimulator
import Foundation
import Testing

/// Altinn's instance lock (process/next holds it while it works) against the gateway's own writes.
@Suite struct InstanceLockTests {
    @Test func concurrentWritesToOneInstanceAreSerializedAndNeverMeetTheLock() async throws {
        try await Harness.run { h in
            #expect(try await h.sign(Harness.demoA).status == 200)
            await h.simulator.state.setFaults(SimulatorFaults(lockHold: .milliseconds(150)))
            // Three callers at once on one instance: without the gateway's queue two would meet Altinn's lock.
            let replies = try await withThrowingTaskGroup(of: Harness.Reply.self) { group in
                for _ in 0..<3 { group.addTask { try await h.processNext(Harness.demoA) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(await h.simulator.state.lockConflicts == 0)
            #expect(replies.filter { $0.status == 200 }.count == 1, "\(replies.map(\.text))")
            // The others ran after the move: the process had ended, which Altinn says plainly.
            #expect(replies.filter { $0.problemType == "/problems/process-ended" }.count == 2)
        }
    }

    @Test func aLockHeldOutsideTheGatewayIsToldApartFromValidation() async throws {
        try await Harness.run { h in
            #expect(try await h.sign(Harness.demoA).status == 200)
            let parts = Harness.demoA.split(separator: "/")
            let holder = Task {
                await h.simulator.state.holdLock(
                    partyId: Int(parts[0])!, guid: UUID(uuidString: String(parts[1]))!, for: .seconds(30))
            }
            defer { holder.cancel() }
            let reply = try await h.processNext(Harness.demoA)
            #expect(await h.simulator.state.lockConflicts == 1)
            #expect(reply.status == 409, "\(reply.text)")
            #expect(reply.problemType == "/problems/altinn-instance-locked")
            #expect(reply.json["validationIssues"] == nil)
            // A single sign meeting the lock: Altinn's bare 409 can also come after the signature was stored.
            let single = try await h.sign(Harness.demoA, mode: "single")
            #expect(single.problemType == "/problems/altinn-instance-locked", "\(single.text)")
            #expect(single.json["signMayHaveHappened"] as? Bool == true)
        }
    }
}
