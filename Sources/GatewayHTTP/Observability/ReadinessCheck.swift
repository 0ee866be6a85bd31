import Foundation
import Storage
import Tokens

/// Whether this instance can do its job now: the store answers a query, and every token profile holds a
/// valid token or can get one. Each check has a deadline, so a hung dependency makes the instance
/// not ready instead of making the probe hang.
struct ReadinessCheck: Sendable {
    let store: any Store
    let tokens: any TokenProvider
    let deadline: Duration

    struct Finding: Sendable, Equatable {
        var name: String
        var ready: Bool
        /// Why not ready; never a secret (store and token errors carry none).
        var detail: String?
    }

    func run() async -> [Finding] {
        let store = self.store
        let tokens = self.tokens
        var checks: [(String, @Sendable () async -> String?)] = [("store", { await Self.probe(store) })]
        for name in tokens.profileNames {
            checks.append(("tokenProfile:\(name)", { await Self.probe(tokens, profile: name) }))
        }
        return await withTaskGroup(of: (Int, Finding).self) { group in
            for (index, (name, check)) in checks.enumerated() {
                let deadline = self.deadline
                group.addTask {
                    let problem = await Self.withDeadline(deadline, check)
                    return (index, Finding(name: name, ready: problem == nil, detail: problem))
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

    /// The check's answer, or "timed out" when the deadline passes first (the check is then cancelled).
    private static func withDeadline(_ deadline: Duration, _ check: @escaping @Sendable () async -> String?) async
        -> String?
    {
        await withTaskGroup(of: String?.self) { group in
            group.addTask { await check() }
            group.addTask {
                try? await Task.sleep(for: deadline)
                return "timed out after \(deadline)"
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}
