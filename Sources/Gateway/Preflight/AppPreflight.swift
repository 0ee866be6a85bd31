package import AltinnAPI
package import Foundation
import Transport

/// What a preflight read of an app: its metadata and its process definition, as fetched at one time.
package struct AppDefinition: Sendable, Equatable {
    package var metadata: ApplicationMetadata
    package var process: ProcessDefinition
    package var fetchedAt: Date

    package init(metadata: ApplicationMetadata, process: ProcessDefinition, fetchedAt: Date) {
        self.metadata = metadata
        self.process = process
        self.fetchedAt = fetchedAt
    }
}

/// A configured token profile as the preflight compares it with an app's `apiScopes`. Never a token or a key.
package struct PreflightTokenProfile: Sendable, Equatable {
    package var name: String
    /// `maskinporten` or `static`.
    package var kind: String
    /// The scopes the profile's tokens carry; nil when not known (a static token whose scopes are not configured).
    package var scopes: [String]?

    package init(name: String, kind: String, scopes: [String]?) {
        self.name = name
        self.kind = kind
        self.scopes = scopes
    }
}

/// Why a preflight failed. Mapped to a problem once, at the edge.
package enum PreflightError: Error, Sendable, Equatable {
    /// Altinn answered 404: no such app (or it is not deployed in this environment).
    case appNotFound(AltinnOperation)
    /// The metadata is not JSON, or not of the documented shape.
    case metadataInvalid
    /// The process definition is not a well-formed BPMN document the reader accepts (the reason in the gateway's
    /// words; DOCTYPE and ENTITY declarations are refused).
    case processDefinitionInvalid(String)
    case processDefinitionTooLarge(limit: Int)
    /// Any other failure of the two calls.
    case altinn(AltinnError)
}

/// Reads an app's metadata and process definition without a token (both routes are anonymous in Altinn), keeps
/// them for a while, and reports what a user must know before signing with the app.
package struct AppPreflight: Sendable {
    private let altinn: AltinnClient
    package let profiles: [PreflightTokenProfile]
    private let cache: AppDefinitionCache
    private let maxProcessBytes: Int
    private let retry: RetryPolicy

    /// `cacheTTL` zero: every preflight reads Altinn. `maxProcessBytes` caps the BPMN (the transport's own response
    /// limit applies as well).
    package init(
        altinn: AltinnClient, profiles: [PreflightTokenProfile], cacheTTL: Duration,
        maxProcessBytes: Int = XMLReader.defaultMaxBytes, retry: RetryPolicy = RetryPolicy(),
        now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }
    ) {
        self.altinn = altinn
        self.profiles = profiles.sorted { $0.name < $1.name }
        self.cache = AppDefinitionCache(ttl: cacheTTL, now: now)
        self.maxProcessBytes = maxProcessBytes
        self.retry = retry
    }

    package var environment: AltinnEnvironment { self.altinn.environment }

    /// The report for `app`, comparing the named token profiles (nil: all configured ones) with its scopes.
    /// `fresh`: the definition was read from Altinn for this call (false: from the cache).
    package func check(
        _ app: AppReference, tokenProfiles names: Set<String>? = nil
    ) async throws(PreflightError) -> (report: PreflightReport, fresh: Bool) {
        let (result, fresh) = await self.cache.definition(app) { await self.load(app) }
        let definition = try result.get()
        let profiles = names.map { names in self.profiles.filter { names.contains($0.name) } } ?? self.profiles
        return (PreflightAnalysis.report(app: app, definition: definition, profiles: profiles), fresh)
    }

    /// Drops what is cached (all apps, or one).
    package func forget(_ app: AppReference? = nil) async { await self.cache.forget(app) }

    private func load(_ app: AppReference) async -> Result<AppDefinition, PreflightError> {
        do {
            return .success(try await self.fetch(app))
        } catch {
            return .failure(error)
        }
    }

    private func fetch(_ app: AppReference) async throws(PreflightError) -> AppDefinition {
        let metadata = try await self.read(.getApplicationMetadata) { () async throws(AltinnError) in
            try await self.altinn.applicationMetadata(app)
        }
        let document = try await self.read(.getProcessDefinition) { () async throws(AltinnError) in
            try await self.altinn.processDefinitionDocument(app)
        }
        guard document.count <= self.maxProcessBytes else {
            throw .processDefinitionTooLarge(limit: self.maxProcessBytes)
        }
        let process: ProcessDefinition
        do {
            process = try ProcessDefinition.parse(document, maxBytes: self.maxProcessBytes)
        } catch {
            throw .processDefinitionInvalid(error.description)
        }
        return AppDefinition(metadata: metadata, process: process, fetchedAt: Date())
    }

    /// One read, retried like every gateway read (transport failures, 502/503/504), its failure classified.
    private func read<T: Sendable>(
        _ operation: AltinnOperation, _ call: () async throws(AltinnError) -> T
    ) async throws(PreflightError) -> T {
        var attempt = 0
        while true {
            do {
                return try await call()
            } catch {
                if attempt < self.retry.maxRetries, RetryPolicy.mayRetry(error, kind: .read) {
                    let delay = self.retry.delay(beforeRetry: attempt)
                    attempt += 1
                    // Cancelled while backing off: give up with the failure that caused the wait.
                    if (try? await Task.sleep(for: delay)) != nil { continue }
                }
                throw Self.classify(error, operation)
            }
        }
    }

    private static func classify(_ error: AltinnError, _ operation: AltinnOperation) -> PreflightError {
        switch error {
        case .rejected(let rejection) where rejection.status == 404: return .appNotFound(operation)
        case .undecodable where operation == .getApplicationMetadata: return .metadataInvalid
        case .transport(.responseTooLarge(let limit), .getProcessDefinition):
            return .processDefinitionTooLarge(limit: limit)
        default: return .altinn(error)
        }
    }
}

/// App definitions by app, each kept for the TTL. Concurrent preflights of one app share one read; a failed read
/// is not kept. At most `capacity` apps are kept (the oldest is dropped first).
actor AppDefinitionCache {
    private enum Entry {
        case loading(Task<Result<AppDefinition, PreflightError>, Never>)
        case ready(AppDefinition, expires: ContinuousClock.Instant)
    }

    private let ttl: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let capacity: Int
    private var entries: [AppReference: Entry] = [:]

    init(ttl: Duration, now: @escaping @Sendable () -> ContinuousClock.Instant, capacity: Int = 256) {
        self.ttl = ttl
        self.now = now
        self.capacity = capacity
    }

    func definition(
        _ app: AppReference, load: @escaping @Sendable () async -> Result<AppDefinition, PreflightError>
    ) async -> (Result<AppDefinition, PreflightError>, fresh: Bool) {
        switch self.entries[app] {
        case .ready(let definition, let expires)? where self.now() < expires:
            return (.success(definition), false)
        case .loading(let task)?:
            return (await task.value, false)
        default:
            break
        }
        let task = Task { await load() }
        self.entries[app] = .loading(task)
        let result = await task.value
        switch result {
        case .success(let definition) where self.ttl > .zero:
            self.entries[app] = .ready(definition, expires: self.now() + self.ttl)
            self.evict()
        default:
            self.entries[app] = nil
        }
        return (result, true)
    }

    func forget(_ app: AppReference?) {
        if let app { self.entries[app] = nil } else { self.entries.removeAll() }
    }

    private func evict() {
        let now = self.now()
        for (app, entry) in self.entries {
            if case .ready(_, let expires) = entry, expires <= now { self.entries[app] = nil }
        }
        while self.entries.count > self.capacity {
            let oldest = self.entries.compactMap { app, entry -> (AppReference, ContinuousClock.Instant)? in
                if case .ready(_, let expires) = entry { return (app, expires) }
                return nil
            }.min { $0.1 < $1.1 }
            guard let oldest else { return }
            self.entries[oldest.0] = nil
        }
    }
}
