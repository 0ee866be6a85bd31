import Storage

/// Runs a store call, its failure wrapped in the use case's own error (`Failure.store`).
func storing<T, Failure: Error>(
    _ wrap: (StoreError) -> Failure, _ body: () async throws(StoreError) -> T
) async throws(Failure) -> T {
    do {
        return try await body()
    } catch {
        throw wrap(error)
    }
}
