import Foundation
package import GatewayHTTP

extension GatewayConfiguration {
    /// Signed checkpoints of the audit chain, and audit retention.
    package struct Audit: Sendable, Equatable {
        /// Ed25519 private key (base64 of 32 bytes, one line) that signs checkpoints. Default
        /// `<dataDirectory>/audit-checkpoint.key`, created on first start when missing. Replicas sharing one
        /// PostgreSQL database should share one key file.
        package var checkpointKeyFile: String?
        /// How often the chain head is signed and stored (only when it moved); 0 turns the timer off.
        package var checkpointIntervalSeconds = 300
        /// Records older than this may be dropped once a newer checkpoint vouches for them; nil keeps them all.
        package var retentionDays: Int?

        package init() {}

        package func keyFile(dataDirectory: String) -> String {
            self.checkpointKeyFile ?? (dataDirectory as NSString).appendingPathComponent("audit-checkpoint.key")
        }

        func validate() throws(ConfigurationError) {
            guard (0...86_400).contains(self.checkpointIntervalSeconds) else {
                throw .invalid("audit.checkpointIntervalSeconds", "must be 0-86400")
            }
            guard self.retentionDays.map({ $0 >= 1 }) ?? true else {
                throw .invalid("audit.retentionDays", "must be at least 1")
            }
            guard self.retentionDays == nil || self.checkpointIntervalSeconds > 0 else {
                throw .invalid("audit.retentionDays", "needs audit.checkpointIntervalSeconds > 0 (checkpoints vouch)")
            }
        }
    }

    /// Refusals where no client was established (missing or unknown key, bad signature, …), per source address.
    package struct PreAuth: Sendable, Equatable {
        /// Token bucket per source address and replica: refusals earned per second, and at once.
        package var perSecond = 5.0
        package var burst = 20
        /// Source addresses tracked at once (memory bound); beyond it new sources share one bucket.
        package var maxSources = 10_000
        /// One audit record per (source, reason) and window carries the count.
        package var windowSeconds = 60

        package init() {}

        package var limits: PreAuthLimits {
            PreAuthLimits(
                perSecond: self.perSecond, burst: Double(self.burst), maxSources: self.maxSources,
                window: .seconds(self.windowSeconds))
        }

        func validate() throws(ConfigurationError) {
            guard self.perSecond >= 0.001, self.perSecond <= 100_000 else {
                throw .invalid("preAuth.perSecond", "must be 0.001-100000")
            }
            guard (1...1_000_000).contains(self.burst) else { throw .invalid("preAuth.burst", "must be 1-1000000") }
            guard (1...10_000_000).contains(self.maxSources) else {
                throw .invalid("preAuth.maxSources", "must be 1-10000000")
            }
            guard (1...3600).contains(self.windowSeconds) else {
                throw .invalid("preAuth.windowSeconds", "must be 1-3600")
            }
        }
    }
}

extension GatewayConfiguration.Audit: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case checkpointKeyFile, checkpointIntervalSeconds, retentionDays
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        self.checkpointKeyFile = try container.decodeIfPresent(String.self, forKey: .checkpointKeyFile)
        self.checkpointIntervalSeconds =
            try container.decodeIfPresent(Int.self, forKey: .checkpointIntervalSeconds)
            ?? self.checkpointIntervalSeconds
        self.retentionDays = try container.decodeIfPresent(Int.self, forKey: .retentionDays)
    }
}

extension GatewayConfiguration.PreAuth: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case perSecond, burst, maxSources, windowSeconds
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        self.perSecond = try container.decodeIfPresent(Double.self, forKey: .perSecond) ?? self.perSecond
        self.burst = try container.decodeIfPresent(Int.self, forKey: .burst) ?? self.burst
        self.maxSources = try container.decodeIfPresent(Int.self, forKey: .maxSources) ?? self.maxSources
        self.windowSeconds = try container.decodeIfPresent(Int.self, forKey: .windowSeconds) ?? self.windowSeconds
    }
}
