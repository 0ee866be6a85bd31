import AltinnSimulator
import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Testing

/// Shared fixtures: a live simulator over loopback plus small JSON helpers.
enum Fixture {
    static let token = SimulatorConfiguration.defaultDevToken
    static let userToken = "user-token"
    static let base = "/ttd/signing-app/instances/51281269"
    static let guidA = UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a01")!
    static let guidB = UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a02")!
    static let guidC = UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a03")!
    static let guidD = UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a04")!
    static let guidE = UUID(uuidString: "5d9e906b-8b8a-4f0b-9a52-3c6f2b7f0a05")!

    static func path(_ guid: UUID, _ suffix: String = "") -> String {
        "\(base)/\(guid.uuidString.lowercased())\(suffix)"
    }

    static func configuration(faults: SimulatorFaults = SimulatorFaults()) -> SimulatorConfiguration {
        SimulatorConfiguration(
            identities: [
                token: .defaultSystemUser,
                userToken: SimulatedIdentity(
                    kind: .user, partyId: 51_281_269, name: "BØYLEHEST MATT",
                    organizationName: "LYDIG VENNLIG KATT KJERNE", organizationNumber: "310000002"),
            ],
            faults: faults
        )
    }

    /// Runs `body` against a live simulator (real HTTP over loopback).
    static func withSimulator(
        faults: SimulatorFaults = SimulatorFaults(),
        _ body: @escaping @Sendable (AltinnSimulator, any TestClientProtocol) async throws -> Void
    ) async throws {
        let simulator = await AltinnSimulator(
            configuration: configuration(faults: faults), logger: Logger(label: "simulator-test"))
        try await simulator.makeApplication { _ in }.test(.live) { client in
            try await body(simulator, client)
        }
    }

    static func headers(
        token: String? = Fixture.token, accept: String? = "application/json", json: Bool = false
    )
        -> HTTPFields
    {
        var fields = HTTPFields()
        if let token { fields[.authorization] = "Bearer \(token)" }
        if let accept { fields[.accept] = accept }
        if json { fields[.contentType] = "application/json" }
        return fields
    }

    static func body(_ text: String) -> ByteBuffer { ByteBuffer(string: text) }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The body as a JSON object; records an issue (and returns empty) when it is not one.
    var object: [String: Any] {
        guard let data = text.data(using: .utf8),
            let value = try? JSONSerialization.jsonObject(with: data) as? [String: Any]
        else {
            Issue.record("not a JSON object: \(text)")
            return [:]
        }
        return value
    }
}

extension Dictionary where Key == String, Value == Any {
    func dict(_ key: String) -> [String: Any]? { self[key] as? [String: Any] }
    func list(_ key: String) -> [[String: Any]]? { self[key] as? [[String: Any]] }
    /// True when the key is present with an explicit JSON null (not omitted).
    func isExplicitNull(_ key: String) -> Bool { self[key] is NSNull }
}
