import App
import Foundation
import Logging
import ServiceLifecycle
import Storage

/// The checkpoint key and the background checkpoint service, from the configuration.
enum AuditCheckpointWiring {
    /// The configured key file (which must exist), or `<dataDirectory>/audit-checkpoint.key`, made on first
    /// start like the dev client key.
    static func key(_ configuration: GatewayConfiguration, create: Bool, logger: Logger) throws -> AuditCheckpointKey {
        let file = configuration.audit.keyFile(dataDirectory: configuration.dataDirectory)
        guard configuration.audit.checkpointKeyFile == nil, create else {
            return try AuditCheckpointKey.load(file: file)
        }
        let (key, created) = try AuditCheckpointKey.loadOrCreate(file: file)
        if created {
            // The public key is no secret: keep it to verify exported checkpoints elsewhere.
            logger.notice(
                "audit checkpoint key created",
                metadata: [
                    "file": "\(file)", "keyId": "\(key.keyId)",
                    "publicKey": "\(AuditCheckpointKey.encode(key.publicKey))",
                ])
        }
        return key
    }

    /// What the console's `GET /v1/audit/verify` checks stored checkpoints with: the key file's public half, when
    /// the file exists (it does once checkpoints are on).
    static func anchors(_ configuration: GatewayConfiguration) -> AuditAnchors {
        let file = configuration.audit.keyFile(dataDirectory: configuration.dataDirectory)
        guard FileManager.default.fileExists(atPath: file), let key = try? AuditCheckpointKey.load(file: file) else {
            return AuditAnchors()
        }
        return AuditAnchors(publicKey: key.publicKey)
    }

    static func services(
        _ configuration: GatewayConfiguration, store: any Store, logger: Logger
    ) throws -> [any Service] {
        guard configuration.audit.checkpointIntervalSeconds > 0 else { return [] }
        let key = try Self.key(configuration, create: true, logger: logger)
        if configuration.storage.engine == .postgres, configuration.audit.checkpointKeyFile == nil {
            logger.warning(
                "audit checkpoints are signed with this replica's own key in its data directory; give every replica the same audit.checkpointKeyFile so one public key verifies them all"
            )
        }
        logger.info(
            "audit checkpoints every \(configuration.audit.checkpointIntervalSeconds) s",
            metadata: ["keyId": "\(key.keyId)"])
        return [
            AuditCheckpointService(
                store: store, key: key, interval: .seconds(configuration.audit.checkpointIntervalSeconds),
                retention: configuration.audit.retentionDays.map { .seconds($0 * 86_400) }, logger: logger)
        ]
    }
}
