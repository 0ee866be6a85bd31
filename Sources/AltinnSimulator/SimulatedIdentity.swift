/// Who a bearer token stands for. Only users and system users can sign in Altinn (§1.1), so
/// those are the only kinds the simulator models.
public struct SimulatedIdentity: Sendable, Equatable {
    public enum Kind: String, Sendable, Equatable {
        case user
        case systemUser
    }

    public var kind: Kind
    public var partyId: Int
    public var name: String
    public var organizationName: String?
    public var organizationNumber: String?

    public init(
        kind: Kind,
        partyId: Int,
        name: String,
        organizationName: String? = nil,
        organizationNumber: String? = nil
    ) {
        self.kind = kind
        self.partyId = partyId
        self.name = name
        self.organizationName = organizationName
        self.organizationNumber = organizationNumber
    }

    /// The system user behind the gateway's dev token.
    public static let defaultSystemUser = SimulatedIdentity(
        kind: .systemUser,
        partyId: 50_001_001,
        name: "System",
        organizationName: "ERP SYSTEMBRUKER AS",
        organizationNumber: "310000001"
    )
}

public struct SimulatorConfiguration: Sendable {
    /// The bearer token the gateway uses in local development against the simulator.
    public static let defaultDevToken = "dev-altinn-token"

    public var host = "127.0.0.1"
    public var port = 0
    /// Bearer token → identity. Any other token gets 401.
    public var identities: [String: SimulatedIdentity]
    public var faults: SimulatorFaults
    /// How many app-API requests `GET /_simulator/requests` keeps.
    public var recordedRequestLimit = 200
    /// Seed of the RNG behind `errorRate` / `dropReplyRate`, so runs are reproducible.
    public var randomSeed: UInt64 = 0x5EED
    /// Maskinporten clients, system users and token lifetimes.
    public var tokens: SimulatorTokenSettings

    public init(
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
