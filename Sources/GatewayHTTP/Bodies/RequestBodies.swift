import AltinnAPI
import Foundation
import Gateway

/// How a caller names an instance: `{app, instanceId}` or a full Altinn `instanceUrl`. Decoded from the
/// same object as the body that holds it (the body's own type refuses unknown members).
struct InstanceSelector: Sendable, Decodable {
    var app: String?
    var instanceId: String?
    var instanceUrl: String?

    func resolve(in environment: AltinnEnvironment) throws(Problem) -> InstanceReference {
        do {
            switch (self.app, self.instanceId, self.instanceUrl) {
            case (let app?, let instanceId?, nil):
                let appReference: AppReference
                do { appReference = try AppReference(app) } catch { throw Problem(error, pointer: "/app") }
                do {
                    return try InstanceReference(app: appReference, instanceId: instanceId)
                } catch {
                    throw Problem(error, pointer: "/instanceId")
                }
            case (nil, nil, let url?):
                do {
                    return try InstanceReference(url: url, environment: environment)
                } catch {
                    throw Problem(error, pointer: "/instanceUrl")
                }
            default:
                throw Problem(
                    .invalidRequest, "Give either app and instanceId, or instanceUrl.",
                    extensions: [
                        (
                            "errors",
                            .array([
                                .object([("pointer", ""), ("detail", "give either app and instanceId, or instanceUrl")])
                            ])
                        )
                    ])
            }
        }
    }
}

/// `POST /v1/signatures`
struct SignRequestBody: Decodable, Sendable {
    var selector: InstanceSelector
    var mode: SigningMode
    var onBehalfOf: String?
    var language: String?
    var tokenProfile: String?
    /// Track the instance's signing state and emit events (default: true for parallel signing).
    var track: Bool
    /// Once every signee has signed, complete the signing task (`process/next`) exactly once. Needs `track`.
    var completeWhenAllSigned: Bool

    enum CodingKeys: String, CodingKey, CaseIterable {
        case app, instanceId, instanceUrl, mode, onBehalfOf, language, tokenProfile, track, completeWhenAllSigned
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.selector = try InstanceSelector(from: decoder)
        let mode = try container.decode(String.self, forKey: .mode)
        guard let parsed = SigningMode(rawValue: mode) else {
            throw DecodingError.dataCorruptedError(
                forKey: .mode, in: container, debugDescription: "mode must be \"single\" or \"parallel\"")
        }
        self.mode = parsed
        self.onBehalfOf = try container.decodeIfPresent(String.self, forKey: .onBehalfOf)
        if let onBehalfOf = self.onBehalfOf, !FieldRules.isOrganisationNumber(onBehalfOf) {
            throw DecodingError.dataCorruptedError(
                forKey: .onBehalfOf, in: container, debugDescription: "onBehalfOf must be a 9-digit organisation number"
            )
        }
        self.language = try FieldRules.language(container, .language)
        self.tokenProfile = try FieldRules.tokenProfile(container, .tokenProfile)
        self.track = try container.decodeIfPresent(Bool.self, forKey: .track) ?? (parsed == .parallel)
        self.completeWhenAllSigned = try container.decodeIfPresent(Bool.self, forKey: .completeWhenAllSigned) ?? false
        if self.completeWhenAllSigned && (!self.track || parsed != .parallel) {
            throw DecodingError.dataCorruptedError(
                forKey: .completeWhenAllSigned, in: container,
                debugDescription: "completeWhenAllSigned needs parallel signing with track")
        }
    }
}

/// `POST /v1/process/next`
struct ProcessNextRequestBody: Decodable, Sendable {
    var selector: InstanceSelector
    var language: String?
    var tokenProfile: String?

    enum CodingKeys: String, CodingKey, CaseIterable {
        case app, instanceId, instanceUrl, language, tokenProfile
    }

    init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.selector = try InstanceSelector(from: decoder)
        self.language = try FieldRules.language(container, .language)
        self.tokenProfile = try FieldRules.tokenProfile(container, .tokenProfile)
    }
}

/// Shared value rules for request members and query parameters.
enum FieldRules {
    static func isOrganisationNumber(_ value: String) -> Bool {
        value.utf8.count == 9 && value.utf8.allSatisfy { (0x30...0x39).contains($0) }
    }

    /// The languages Altinn's app texts come in; any other would silently fall back to `nb` there.
    static func isLanguage(_ value: String) -> Bool { ["nb", "nn", "en"].contains(value) }

    static func isTokenProfileName(_ value: String) -> Bool {
        (1...64).contains(value.utf8.count)
            && value.utf8.allSatisfy {
                (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0)
                    || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: ".")
            }
    }

    /// BPMN element ids: letters, digits, `_`, `-`, `.`; at most 64.
    static func isTaskId(_ value: String) -> Bool {
        self.isTokenProfileName(value)
    }

    static func language<K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) throws -> String? {
        guard let value = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard self.isLanguage(value) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "language must be nb, nn or en")
        }
        return value
    }

    static func tokenProfile<K: CodingKey>(_ container: KeyedDecodingContainer<K>, _ key: K) throws -> String? {
        guard let value = try container.decodeIfPresent(String.self, forKey: key) else { return nil }
        guard self.isTokenProfileName(value) else {
            throw DecodingError.dataCorruptedError(
                forKey: key, in: container, debugDescription: "tokenProfile must be 1-64 of A-Z a-z 0-9 . _ -")
        }
        return value
    }
}
