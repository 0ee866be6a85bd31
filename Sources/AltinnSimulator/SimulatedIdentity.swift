/// Who a bearer token stands for. Only users and system users can sign in Altinn (§1.1), so
/// those are the only kinds the simulator models.
package struct SimulatedIdentity: Sendable, Equatable {
    package enum Kind: String, Sendable, Equatable {
        case user
        case systemUser
    }

    package var kind: Kind
    package var partyId: Int
    package var name: String
    package var organizationName: String?
    package var organizationNumber: String?
    /// For a user: the party of the organisation above, where the user holds a key role (`…/signing/organizations`).
    package var organizationPartyId: Int?

    package init(
        kind: Kind,
        partyId: Int,
        name: String,
        organizationName: String? = nil,
        organizationNumber: String? = nil,
        organizationPartyId: Int? = nil
    ) {
        self.kind = kind
        self.partyId = partyId
        self.name = name
        self.organizationName = organizationName
        self.organizationNumber = organizationNumber
        self.organizationPartyId = organizationPartyId
    }

    /// The system user behind the gateway's dev token.
    package static let defaultSystemUser = SimulatedIdentity(
        kind: .systemUser,
        partyId: 50_001_001,
        name: "System",
        organizationName: "ERP SYSTEMBRUKER AS",
        organizationNumber: "310000001"
    )
}

package struct SimulatorConfiguration: Sendable {
    /// The bearer token the gateway uses in local development against the simulator.
    package static let defaultDevToken = "dev-altinn-token"

    package var host = "127.0.0.1"
    package var port = 0
    /// Bearer token → identity. Any other token gets 401.
    package var identities: [String: SimulatedIdentity]
    package var faults: SimulatorFaults
    /// How many app-API requests `GET /_simulator/requests` keeps.
    package var recordedRequestLimit = 200
    /// Seed of the RNG behind `errorRate` / `dropReplyRate`, so runs are reproducible.
    package var randomSeed: UInt64 = 0x5EED
    /// Maskinporten clients, system users and token lifetimes.
    package var tokens: SimulatorTokenSettings

    package init(
        host: String = "127.0.0.1",
        port: Int = 0,
        identities: [String: SimulatedIdentity] = [
            SimulatorConfiguration.defaultDevToken: .defaultSystemUser
        ],
        faults: SimulatorFaults = SimulatorFaults(),
        recordedRequestLimit: Int = 200,
        randomSeed: UInt64 = 0x5EED,
        tokens: SimulatorTokenSettings = SimulatorTokenSettings()
    ) {
        self.tokens = tokens
        self.host = host
        self.port = port
        self.identities = identities
        self.faults = faults
        self.recordedRequestLimit = recordedRequestLimit
        self.randomSeed = randomSeed
    }
}
