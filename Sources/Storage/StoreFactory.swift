import Foundation
package import Logging

/// Opens the configured engine and brings its schema up to date.
package enum StoreFactory {
    package static func open(_ configuration: StoreConfiguration, logger: Logger) async throws(StoreError) -> any Store
    {
        let store: any Store
        switch configuration.engine {
        case .sqlite(let path):
            if !configuration.mustExist {
                let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
                do {
                    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
                } catch {
                    throw .unavailable("sqlite: cannot create the data directory \(directory.path)")
                }
            }
            store = try await SQLiteStore.open(
                path: path, exclusive: configuration.serving, create: !configuration.mustExist, logger: logger)
        case .postgres(let url, let passwordFile):
            store = try await PostgresStore.open(
                url: url, passwordFile: passwordFile, caFile: configuration.postgresCAFile,
                maximumConnections: configuration.postgresPoolSize,
                statementTimeout: configuration.postgresStatementTimeout,
                connectionWait: configuration.postgresConnectionWait, logger: logger)
        }
        do throws(StoreError) {
            try await store.migrate()
        } catch {
            await store.close()
            throw error
        }
        return store
    }
}
