/// `SigningStateResponse`: answer of GET signing.
package struct SigningStateResponse: Decodable, Sendable, Equatable {
    package var signeeStates: [SigneeState]

    package init(signeeStates: [SigneeState]) {
        self.signeeStates = signeeStates
    }
}

/// `SigneeState`. There is no "hasSigned" on the wire: a signee has signed when `signedTime` is set.
package struct SigneeState: Decodable, Sendable, Equatable {
    /// Person's full name; "System" for a system user; null for an organisation not yet signed.
    package var name: String?
    /// Organisation name. The code writes `organization`; one Altinn doc example says `organisation`.
    package var organization: String?
    package var delegationSuccessful: Bool
    package var notificationStatus: NotificationStatus
    package var partyId: Int
    package var signedTime: AltinnTimestamp?

    package init(
        name: String?,
        organization: String?,
        delegationSuccessful: Bool,
        notificationStatus: NotificationStatus,
        partyId: Int,
        signedTime: AltinnTimestamp?
    ) {
        self.name = name
        self.organization = organization
        self.delegationSuccessful = delegationSuccessful
        self.notificationStatus = notificationStatus
        self.partyId = partyId
        self.signedTime = signedTime
    }

    enum CodingKeys: String, CodingKey {
        case name, organization, organisation, delegationSuccessful, notificationStatus, partyId, signedTime
    }

    package init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.name = try container.decodeIfPresent(String.self, forKey: .name)
        self.organization =
            try container.decodeIfPresent(String.self, forKey: .organization)
            ?? container.decodeIfPresent(String.self, forKey: .organisation)
        self.delegationSuccessful = try container.decodeIfPresent(Bool.self, forKey: .delegationSuccessful) ?? false
        self.notificationStatus =
            try container.decodeIfPresent(NotificationStatus.self, forKey: .notificationStatus) ?? .notSent
        self.partyId = try container.decode(Int.self, forKey: .partyId)
        self.signedTime = try container.decodeIfPresent(AltinnTimestamp.self, forKey: .signedTime)
    }
}

/// `NotificationStatus` (a string enum on the wire). Unknown values are kept, not fatal.
package enum NotificationStatus: Sendable, Equatable, Decodable {
    case notSent
    case sent
    case failed
    case other(String)

    package init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        switch raw.lowercased() {
        case "notsent": self = .notSent
        case "sent": self = .sent
        case "failed": self = .failed
        default: self = .other(raw)
        }
    }
}
