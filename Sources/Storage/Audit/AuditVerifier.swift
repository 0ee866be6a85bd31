package import Crypto

/// The result of checking the whole audit chain.
package enum AuditVerification: Sendable, Equatable {
    /// Every record links to its predecessor and hashes to its stored hash. `head` is the last hash
    /// (the genesis hash when the log is empty).
    case intact(count: Int, head: String)
    /// The first record that does not verify, and why.
    case broken(atSequence: Int64, reason: String)
}

/// What vouches for the chain besides itself: signed checkpoints, checked with `publicKey`.
package struct AuditAnchors: Sendable {
    /// Verifies `checkpoint` and the store's checkpoints signed with this key (others are ignored).
    package var publicKey: Curve25519.Signing.PublicKey?
    /// A checkpoint kept outside the store (`audit checkpoint --out F`): the chain must show its hash at its
    /// sequence. Refused unless it is signed with `publicKey`.
    package var checkpoint: AuditCheckpoint?

    package init(publicKey: Curve25519.Signing.PublicKey? = nil, checkpoint: AuditCheckpoint? = nil) {
        self.publicKey = publicKey
        self.checkpoint = checkpoint
    }
}

/// The verification and what it was checked against.
package struct AuditVerificationReport: Sendable, Equatable {
    package var verification: AuditVerification
    /// The earliest kept record (1 unless retention dropped older ones); nil when the log is empty.
    package var firstSequence: Int64?
    /// Signed checkpoints whose hash was compared with the chain.
    package var checkpointsMatched: Int
    /// Stored checkpoints signed with another key (not checked).
    package var checkpointsIgnored: Int
}

/// Recomputes the audit chain from the store, independent of the engine that wrote it.
package enum AuditVerifier {
    /// Pages through every record oldest first, checking sequence continuity, each previous-hash link and each
    /// recomputed hash. Memory stays bounded by `pageSize`.
    package static func verify(
        store: any AuditStore, anchors: AuditAnchors = AuditAnchors(), pageSize: Int = 500
    ) async throws(StoreError) -> AuditVerification {
        try await Self.report(store: store, anchors: anchors, pageSize: pageSize).verification
    }

    /// The chain starts at record 1 from the genesis hash or, once retention dropped older records, at the
    /// earliest kept record from its stored previous hash — accepted only when a checkpoint signed with
    /// `anchors.publicKey` at or after that record shows the hash the chain recomputes there (SHA-256 makes that
    /// hash commit to everything before it, the starting previous hash included). Every trusted checkpoint must
    /// match: one beyond the head means a truncated tail, one with another hash a rewritten chain.
    package static func report(
        store: any AuditStore, anchors: AuditAnchors = AuditAnchors(), pageSize: Int = 500
    ) async throws(StoreError) -> AuditVerificationReport {
        var report = AuditVerificationReport(
            verification: .intact(count: 0, head: AuditChain.genesisHash), firstSequence: nil, checkpointsMatched: 0,
            checkpointsIgnored: 0)
        func broken(_ sequence: Int64, _ reason: String) -> AuditVerificationReport {
            report.verification = .broken(atSequence: sequence, reason: reason)
            return report
        }

        // Trusted checkpoints: sequence → hash.
        var trusted: [Int64: String] = [:]
        let keyId = anchors.publicKey.map(AuditCheckpointKey.keyId(of:))
        if let external = anchors.checkpoint {
            guard let publicKey = anchors.publicKey, let keyId else {
                return broken(external.sequence, "checkpoint given without a public key to verify it")
            }
            guard external.keyId == keyId, external.isSigned(by: publicKey) else {
                return broken(
                    external.sequence,
                    "checkpoint refused: its signature does not verify with public key \(keyId)")
            }
            trusted[external.sequence] = external.hash
        }
        for stored in try await store.auditCheckpoints() {
            guard let publicKey = anchors.publicKey, stored.keyId == keyId else {
                report.checkpointsIgnored += 1
                continue
            }
            guard stored.isSigned(by: publicKey) else {
                return broken(stored.sequence, "stored checkpoint \(stored.sequence): signature does not verify")
            }
            if let other = trusted[stored.sequence], other != stored.hash {
                return broken(stored.sequence, "two signed checkpoints disagree about record \(stored.sequence)")
            }
            trusted[stored.sequence] = stored.hash
        }

        var count = 0
        var lastSequence: Int64 = 0
        var head = AuditChain.genesisHash
        var first: Int64?
        while true {
            let page = try await store.auditRecords(after: lastSequence, limit: pageSize, filter: AuditFilter())
            for record in page {
                if first == nil {
                    first = record.sequence
                    report.firstSequence = record.sequence
                    if record.sequence > 1 {
                        guard trusted.keys.contains(where: { $0 >= record.sequence }) else {
                            return broken(
                                record.sequence,
                                "the chain starts at record \(record.sequence) and no signed checkpoint at or after it "
                                    + "vouches for the records before it")
                        }
                        lastSequence = record.sequence - 1
                        head = record.previousHash
                    }
                }
                let expectedSequence = lastSequence + 1
                guard record.sequence == expectedSequence else {
                    return broken(
                        record.sequence,
                        "sequence \(record.sequence) follows \(lastSequence); expected \(expectedSequence)")
                }
                guard record.previousHash == head else {
                    return broken(record.sequence, "previous hash does not match record \(lastSequence)")
                }
                let recomputed: String
                do {
                    recomputed = try AuditChain.hash(
                        entry: record.entry, sequence: record.sequence, previousHash: record.previousHash)
                } catch {
                    return broken(record.sequence, "previous hash is malformed")
                }
                guard recomputed == record.hash else {
                    return broken(record.sequence, "stored hash does not match its content")
                }
                if let signed = trusted[record.sequence] {
                    guard signed == record.hash else {
                        return broken(
                            record.sequence,
                            "hash differs from the signed checkpoint at \(record.sequence): the chain was rewritten")
                    }
                    report.checkpointsMatched += 1
                }
                lastSequence = record.sequence
                head = record.hash
                count += 1
            }
            if page.count < pageSize { break }
        }
        if let beyond = trusted.keys.filter({ $0 > lastSequence }).min() {
            return broken(
                beyond,
                "the chain ends at record \(lastSequence) but a signed checkpoint vouches for record \(beyond): "
                    + "the tail was truncated")
        }
        if let external = anchors.checkpoint, let first, external.sequence < first {
            return broken(
                external.sequence,
                "the checkpoint's record \(external.sequence) was dropped by retention (the earliest kept is \(first)); "
                    + "check with a newer checkpoint")
        }
        report.verification = .intact(count: count, head: head)
        return report
    }
}
