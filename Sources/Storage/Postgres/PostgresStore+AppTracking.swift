import PostgresNIO

// Tracked instances of one app (a key prefix), for pushes that name an app and something less than an instance.
extension PostgresStore {
    package func trackedInstances(keyPrefix: String, after: String?, limit: Int, status: TrackingStatus?)
        async throws(StoreError) -> [TrackedInstance]
    {
        guard limit > 0 else { return [] }
        let length = Int64(keyPrefix.count)
        let limit = Int64(limit)
        let status = status?.rawValue
        return try await Self.run("tracked instances of an app") {
            // `substr` rather than `LIKE`: no pattern characters to escape, and no collation in the compare.
            let rows = try await self.pool.query(
                """
                SELECT \(unescaped: EventColumns.list(EventColumns.tracked)) FROM tracked_instances
                WHERE substr(instance, 1, \(length)::integer) = \(keyPrefix)
                  AND (\(after)::text IS NULL OR instance > \(after)::text)
                  AND (\(status)::text IS NULL OR status = \(status)::text)
                ORDER BY instance LIMIT \(limit)
                """)
            return try rows.map { try TrackedInstance(row: $0.makeRandomAccess()) }
        }
    }
}
