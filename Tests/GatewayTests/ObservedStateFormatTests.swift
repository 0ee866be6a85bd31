import Foundation
import Testing

@testable import Gateway

/// The tracked instance's snapshot format is stored: every replica and version must write the same bytes for the
/// same state. `ObservedState.bytes` appends bytes directly; these tests hold it to the format written out as the
/// joined lines it was first built from, over random states, and read each back.
@Suite struct ObservedStateFormatTests {
    /// The format as documented on `ObservedState.bytes`, built the plain way.
    static func lines(_ state: ObservedState) -> [UInt8] {
        func seconds(_ date: Date?) -> String {
            date.map { String(Int64($0.timeIntervalSince1970.rounded(.down))) } ?? ""
        }
        func hex(_ text: String) -> String { text.utf8.map { String(format: "%02x", $0) }.joined() }
        var lines = [
            "v1", "task=\(state.taskId ?? "")", "process=\(state.processTask ?? "")",
            "complete=\(state.complete ? 1 : 0)", "ended=\(state.processEnded ? 1 : 0)",
        ]
        if state.round > 0 { lines.append("round=\(state.round)") }
        if let final = state.final { lines.append("final=\(final.rawValue)") }
        for signee in state.signees {
            var fields = [
                String(signee.partyId), signee.status.rawValue, signee.notification.rawValue,
                signee.delegated ? "1" : "0", seconds(signee.awaitingSince), seconds(signee.notificationFailedSince),
                seconds(signee.delegationFailedSince),
                signee.told.isEmpty ? "" : String(signee.told.reduce(0) { $0 | $1.bit }),
            ]
            while fields.count > 4, fields.last?.isEmpty == true { fields.removeLast() }
            lines.append("signee=" + fields.joined(separator: ","))
        }
        for sign in state.pending {
            lines.append(
                "pending=\(sign.mode.rawValue),\(hex(sign.clientId)),\(hex(sign.key)),\(hex(sign.tokenProfile))")
        }
        return Array(lines.joined(separator: "\n").utf8)
    }

    static func randomState(_ rng: inout some RandomNumberGenerator) -> ObservedState {
        func maybeDate() -> Date? {
            Bool.random(using: &rng)
                ? Date(timeIntervalSince1970: Double(Int.random(in: 0...2_000_000_000, using: &rng))) : nil
        }
        func text() -> String {
            String((0..<Int.random(in: 0...12, using: &rng)).map { _ in "aZ0-_.,=\n/é🙂 ".randomElement(using: &rng)! })
        }
        var state = ObservedState(
            taskId: Bool.random(using: &rng) ? "Task_\(Int.random(in: 1...9, using: &rng))" : nil,
            signees: (0..<Int.random(in: 0...4, using: &rng)).map { _ in
                var signee = ObservedState.Signee(
                    partyId: Int.random(in: 1...Int(Int32.max), using: &rng),
                    status: [.signed, .awaitingSignature, .notificationFailed, .delegationFailed].randomElement(
                        using: &rng)!,
                    notification: [.notSent, .sent, .failed].randomElement(using: &rng)!,
                    delegated: Bool.random(using: &rng))
                signee.awaitingSince = maybeDate()
                signee.notificationFailedSince = maybeDate()
                signee.delegationFailedSince = maybeDate()
                signee.told = Set(StallReason.allCases.filter { _ in Bool.random(using: &rng) })
                return signee
            },
            complete: Bool.random(using: &rng),
            processTask: Bool.random(using: &rng) ? "Task_\(Int.random(in: 1...9, using: &rng))" : nil,
            processEnded: Bool.random(using: &rng))
        state.round = Bool.random(using: &rng) ? 0 : Int.random(in: 1...40, using: &rng)
        state.final = [nil, .readAtTaskEnd, .lastObserved].randomElement(using: &rng)!
        state.pending = (0..<Int.random(in: 0...3, using: &rng)).map { _ in
            PendingSign(
                mode: SigningMode.allCases.randomElement(using: &rng)!, clientId: text(), key: text(),
                tokenProfile: text())
        }
        return state
    }

    @Test("the bytes are the documented lines, and read back to the same state")
    func bytesMatchTheLines() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<500 {
            let state = Self.randomState(&rng)
            #expect(state.bytes == Self.lines(state))
            #expect(ObservedState.stored(state.bytes) == state)
        }
    }

    @Test("an empty state is the five header lines")
    func emptyState() {
        let state = ObservedState(taskId: nil, signees: [], complete: false, processTask: nil, processEnded: false)
        #expect(String(decoding: state.bytes, as: UTF8.self) == "v1\ntask=\nprocess=\ncomplete=0\nended=0")
    }
}
