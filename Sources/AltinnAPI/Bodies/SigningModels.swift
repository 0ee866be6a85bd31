package import Primitives

/// `SigningStateResponse`: answer of GET signing.
package struct SigningStateResponse: TapeReadable, Sendable, Equatable {
    package var signeeStates: [SigneeState]

    package init(signeeStates: [SigneeState]) {
        self.signeeStates = signeeStates
    }

    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        self.signeeStates = try value.object().required("signeeStates").array(of: SigneeState.self)
    }
}

/// `SigneeState`. There is no "hasSigned" on the wire: a signee has signed when `signedTime` is set.
package struct SigneeState: TapeReadable, Sendable, Equatable {
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

    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let object = try value.object()
        self.name = try object["name"]?.string()
        self.organization = try object["organization"]?.string()
        if self.organization == nil { self.organization = try object["organisation"]?.string() }
        self.delegationSuccessful = try object["delegationSuccessful"]?.bool() ?? false
        self.notificationStatus = try object["notificationStatus"].map(NotificationStatus.init(tape:)) ?? .notSent
        self.partyId = try object.required("partyId").int()
        self.signedTime = try object["signedTime"].map(AltinnTimestamp.init(tape:))
    }
}

/// `NotificationStatus` (a string enum on the wire). Unknown values are kept, not fatal.
package enum NotificationStatus: Sendable, Equatable, TapeReadable {
    case notSent
    case sent
    case failed
    case other(String)

    package init(tape value: TapeValue) throws(TapeValue.Mismatch) {
        let raw = try value.string()
        switch raw.lowercased() {
        case "notsent": self = .notSent
        case "sent": self = .sent
        case "failed": self = .failed
        default: self = .other(raw)
        }
    }
}
