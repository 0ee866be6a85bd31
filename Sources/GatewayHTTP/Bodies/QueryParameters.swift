import AltinnAPI
import Foundation
import Gateway
import Hummingbird
import Storage

/// A route's query parameters: each at most once, none unknown, every value printable ASCII.
struct QueryParameters {
    private var values: [String: String] = [:]

    init(_ parameters: Parameters, allowed: Set<String>) throws(Problem) {
        for (rawKey, rawValue) in parameters {
            let key = String(rawKey)
            let value = String(rawValue)
            guard allowed.contains(key) else { throw QueryParameters.invalid(key, "unknown query parameter") }
            guard self.values[key] == nil else { throw QueryParameters.invalid(key, "repeated query parameter") }
            guard (1...512).contains(value.utf8.count), value.utf8.allSatisfy({ (0x21...0x7E).contains($0) }) else {
                throw QueryParameters.invalid(key, "\(key) must be 1-512 printable characters")
            }
            self.values[key] = value
        }
    }

    subscript(_ key: String) -> String? { self.values[key] }

    /// A 400 naming the parameter (at most 64 characters of it).
    static func invalid(_ name: String, _ detail: String) -> Problem {
        Problem(
            .invalidRequest, "\(detail): \(name.prefix(64))",
            extensions: [
                (
                    "errors",
                    .array([.object([("parameter", .string(String(name.prefix(64)))), ("detail", .string(detail))])])
                )
            ])
    }

    func limit(default fallback: Int, max: Int) throws(Problem) -> Int {
        guard let text = self["limit"] else { return fallback }
        guard let value = Int(text), (1...max).contains(value) else {
            throw QueryParameters.invalid("limit", "limit must be 1-\(max)")
        }
        return value
    }

    func sequence(_ key: String) throws(Problem) -> Int64 {
        guard let text = self[key] else { return 0 }
        guard let value = Int64(text), value >= 0 else {
            throw QueryParameters.invalid(key, "\(key) must be a non-negative integer cursor")
        }
        return value
    }

    /// An instance named either way the API names one: `{partyId}/{instanceGuid}` (as signs take it) or the key
    /// `{org}/{app}/instances/{partyId}/{instanceGuid}` (as audit records, events and deliveries show it).
    func instance() throws(Problem) -> InstanceMatch? {
        guard let text = self["instance"] else { return nil }
        if let reference = InstanceReference(key: text) { return .key(reference.description) }
        guard let (partyId, guid) = try? InstanceReference.parseInstanceId(text) else {
            throw QueryParameters.invalid(
                "instance",
                "instance must be {partyId}/{instanceGuid} or {org}/{app}/instances/{partyId}/{instanceGuid}")
        }
        return .partyAndGuid("\(partyId)/\(guid)")
    }

    func time(_ key: String) throws(Problem) -> Date? {
        guard let text = self[key] else { return nil }
        guard let date = AuditJSON.parseTime(text) else {
            throw QueryParameters.invalid(key, "\(key) must be an RFC 3339 time such as 2026-01-01T00:00:00Z")
        }
        return date
    }
}
