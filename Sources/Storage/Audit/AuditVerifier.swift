/// The result of checking the whole audit chain.
package enum AuditVerification: Sendable, Equatable {
    /// Every record links to its predecessor and hashes to its stored hash. `head` is the last hash
    /// (the genesis hash when the log is empty).
    case intact(count: Int, head: String)
    /// The first record that does not verify, and why.
    case broken(atSequence: Int64, reason: String)
}

/// Recomputes the audit chain from the store, independent of the engine that wrote it.
package enum AuditVerifier {
    /// Pages through every record oldest first, checking sequence continuity (1, 2, 3, …), each previous-hash
    /// link and each recomputed hash. Memory stays bounded by `pageSize`.
    package static func verify(store: any Store, pageSize: Int = 500) async throws(StoreError) -> AuditVerification {
        var count = 0
        var lastSequence: Int64 = 0
        var head = AuditChain.genesisHash
        while true {
            let page = try await store.auditRecords(after: lastSequence, limit: pageSize, filter: AuditFilter())
            for record in page {
                let expectedSequence = lastSequence + 1
                guard record.sequence == expectedSequence else {
                    return .broken(
                        atSequence: record.sequence,
                        reason: "sequence \(record.sequence) follows \(lastSequence); expected \(expectedSequence)"
                    )
                }
                guard record.previousHash == head else {
                    return .broken(
                        atSequence: record.sequence, reason: "previous hash does not match record \(lastSequence)")
                }
                let recomputed: String
                do {
                    recomputed = try AuditChain.hash(
                        entry: record.entry, sequence: record.sequence, previousHash: record.previousHash)
                } catch {
                    return .broken(atSequence: record.sequence, reason: "previous hash is malformed")
                }
                guard recomputed == record.hash else {
                    return .broken(atSequence: record.sequence, reason: "stored hash does not match its content")
                }
                lastSequence = record.sequence
                head = record.hash
                count += 1
            }
            if page.count < pageSize { return .intact(count: count, head: head) }
        }
    }
}
