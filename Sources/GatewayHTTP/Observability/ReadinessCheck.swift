import Foundation
import Logging
import Storage
import Tokens

/// Whether this instance can do its job now: the store answers a query, and every token profile holds a
/// valid token or can get one. Each check has a deadline, so a hung dependency makes the instance
/// not ready instead of making the probe hang.
///
/// `/readyz` is unauthenticated, so a finding says in the gateway's own words which check failed; what the
/// store or Maskinporten said goes to the log (and the token metrics), never into the answer.
struct ReadinessCheck: Sendable {
    let store: any Store
    let tokens: any TokenProvider
    let deadline: Duration
    var logger = Logger(label: "signing-gateway.readiness")

    struct Finding: Sendable, Equatable {
        var name: String
        var ready: Bool
        /// Why not ready, in the gateway's words.
        var detail: String?
    }

    func run() async -> [Finding] {
        let store = self.store
        let tokens = self.tokens
        var checks: [(String, String, @Sendable () async -> String?)] = [
            ("store", "the store does not answer", { await Self.probe(store) })
        ]
        for name in tokens.profileNames {
            checks.append(
                ("tokenProfile:\(name)", "no token can be obtained", { await Self.probe(tokens, profile: name) }))
        }
        let logger = self.logger
        return await withTaskGroup(of: (Int, Finding).self) { group in
            for (index, (name, reason, check)) in checks.enumerated() {
                let deadline = self.deadline
                group.addTask {
                    guard let problem = await Self.withDeadline(deadline, check) else {
                        return (index, Finding(name: name, ready: true, detail: nil))
                    }
                    logger.warning("not ready", metadata: ["check": "\(name)", "error": "\(problem)"])
                    let timedOut = problem == Self.timedOut
                    return (index, Finding(name: name, ready: false, detail: timedOut ? "no answer in time" : reason))
                }
            }
            var findings: [(Int, Finding)] = []
            for await finding in group { findings.append(finding) }
            return findings.sorted { $0.0 < $1.0 }.map(\.1)
        }
    }

    /// A read that touches the database without returning anything (no record has the largest sequence).
    private static func probe(_ store: any Store) async -> String? {
        do {
            _ = try await store.auditRecords(after: .max, limit: 1, filter: AuditFilter())
            return nil
        } catch {
            return "\(error)"
        }
    }

    /// Served from the cache while the token is valid; otherwise one fetch (shared with concurrent callers,
    /// and a failure is remembered briefly), so probing does not hammer Maskinporten.
    private static func probe(_ tokens: any TokenProvider, profile: String) async -> String? {
        do {
            _ = try await tokens.token(forProfile: profile)
            return nil
        } catch {
            return "\(error)"
        }
    }

    private static let timedOut = "timed out"

    /// The check's answer, or "timed out" when the deadline passes first (the check is then cancelled).
    private static func withDeadline(_ deadline: Duration, _ check: @escaping @Sendable () async -> String?) async
        -> String?
    {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await check() }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return Self.timedOut
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
