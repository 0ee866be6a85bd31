// Tracked instances of one app (a key prefix), for pushes that name an app and something less than an instance.
extension SQLiteStore {
    package func trackedInstances(keyPrefix: String, after: String?, limit: Int, status: TrackingStatus?)
        async throws(StoreError) -> [TrackedInstance]
    {
        guard limit > 0 else { return [] }
        return try await thread.run { db throws(StoreError) in
            // `substr` counts characters; keys and prefixes are ASCII. NULL parameters switch their filter off.
            let select = try db.prepare(
                """
                SELECT \(EventColumns.list(EventColumns.tracked)) FROM tracked_instances
                WHERE substr(instance, 1, ?1) = ?2 AND (?3 IS NULL OR instance > ?3) AND (?4 IS NULL OR status = ?4)
                ORDER BY instance LIMIT ?5
                """, "tracked instances of an app")
            try select.bind([
                .integer(Int64(keyPrefix.count)), .text(keyPrefix), after.map { .text($0) } ?? .null,
                status.map { .text($0.rawValue) } ?? .null, .integer(Int64(limit)),
            ])
            var rows: [TrackedInstance] = []
            while try select.step() { rows.append(try TrackedInstance(row: select)) }
            return rows
        }
    }
}
