import Foundation

/// `{org}/{app}`, validated so it can be placed in a URL path as-is.
package struct AppReference: Sendable, Hashable, CustomStringConvertible {
    package let org: String
    package let app: String

    /// Lower-case letters, digits and inner hyphens; Altinn's org codes and app names fit.
    /// Anything else (`..`, `/`, `%2F`, `%00`, upper case, over-long) is refused.
    package init(org: String, app: String) throws(InstanceReferenceError) {
        guard Self.isValidSegment(org, maxLength: 32) else { throw .invalidOrg }
        guard Self.isValidSegment(app, maxLength: 64) else { throw .invalidApp }
        self.org = org
        self.app = app
    }

    /// Parses `org/app`.
    package init(_ text: String) throws(InstanceReferenceError) {
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalidAppReference }
        try self.init(org: String(Substring(parts[0])), app: String(Substring(parts[1])))
    }

    package var description: String { self.org + "/" + self.app }

    static func isValidSegment(_ value: String, maxLength: Int) -> Bool {
        let bytes = Array(value.utf8)
        guard !bytes.isEmpty, bytes.count <= maxLength, bytes.first != UInt8(ascii: "-"),
            bytes.last != UInt8(ascii: "-")
        else { return false }
        return bytes.allSatisfy { byte in
            (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte)
                || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) || byte == UInt8(ascii: "-")
        }
    }
}

/// One app instance: `{org}/{app}` + `{instanceOwnerPartyId}/{instanceGuid}`.
package struct InstanceReference: Sendable, Hashable, CustomStringConvertible {
    package let app: AppReference
    package let partyId: Int
    /// Lower-case canonical GUID text.
    package let instanceGuid: String
    /// `{partyId}/{guid}`. Written once: a sign reads it and `description` a dozen times (URLs, store keys,
    /// audit records, events), and each interpolation cost thousands of instructions.
    package let instanceId: String
    /// `{org}/{app}/instances/{partyId}/{guid}`
    package let description: String

    package init(app: AppReference, partyId: Int, instanceGuid: String) throws(InstanceReferenceError) {
        self.app = app
        self.partyId = partyId
        self.instanceGuid = try Self.canonicalGuid(instanceGuid)
        self.instanceId = String(partyId) + "/" + self.instanceGuid
        var description = ""
        description.reserveCapacity(app.org.utf8.count + app.app.utf8.count + 12 + self.instanceId.utf8.count)
        description += app.org
        description += "/"
        description += app.app
        description += "/instances/"
        description += self.instanceId
        self.description = description
    }

    // Identity is the three parts; the two strings above follow from them, so hashing them too would only cost.
    package static func == (lhs: Self, rhs: Self) -> Bool {
        lhs.partyId == rhs.partyId && lhs.instanceGuid == rhs.instanceGuid && lhs.app == rhs.app
    }

    package func hash(into hasher: inout Hasher) {
        hasher.combine(self.app)
        hasher.combine(self.partyId)
        hasher.combine(self.instanceGuid)
    }

    /// Parses Altinn's instance id form `{partyId}/{guid}`.
    package init(app: AppReference, instanceId: String) throws(InstanceReferenceError) {
        let (partyId, guid) = try Self.parseInstanceId(instanceId)
        try self.init(app: app, partyId: partyId, instanceGuid: guid)
    }

    /// `{partyId}/{guid}` checked, with the GUID in canonical lower case.
    package static func parseInstanceId(_ text: String) throws(InstanceReferenceError) -> (partyId: Int, guid: String) {
        // On the UTF-8 bytes: splitting the `String` by `Character` cost a sign 20,000 instructions.
        let parts = text.utf8.split(separator: UInt8(ascii: "/"), omittingEmptySubsequences: false)
        guard parts.count == 2 else { throw .invalidInstanceId }
        return (try Self.partyId(String(Substring(parts[0]))), try Self.canonicalGuid(String(Substring(parts[1]))))
    }

    /// Parses a full instance URL and checks that it belongs to `environment`:
    /// a URL on any other host is refused, so caller input never chooses the upstream.
    package init(url: String, environment: AltinnEnvironment) throws(InstanceReferenceError) {
        guard url.utf8.count <= 512, !url.contains(where: { $0 == "?" || $0 == "#" || $0 == "%" }) else {
            throw .invalidInstanceURL
        }
        // Locate `/instances/` first: everything before it is the app root, to be matched exactly.
        guard let marker = url.range(of: "/instances/", options: .backwards) else { throw .invalidInstanceURL }
        let root = String(url[..<marker.lowerBound])
        let rootParts = root.split(separator: "/")
        guard rootParts.count >= 2 else { throw .invalidInstanceURL }
        let app = try AppReference(
            org: String(rootParts[rootParts.count - 2]),
            app: String(rootParts[rootParts.count - 1])
        )
        guard let normalizedRoot = BaseURL(root), normalizedRoot.value == environment.appRoot(app) else {
            throw .foreignHost
        }
        var instancePart = url[marker.upperBound...]
        if instancePart.hasSuffix("/") { instancePart.removeLast() }
        try self.init(app: app, instanceId: String(instancePart))
    }

    static func partyId(_ text: String) throws(InstanceReferenceError) -> Int {
        // ASP.NET's `int` route constraint: a positive 32-bit integer, digits only.
        guard !text.isEmpty, text.utf8.count <= 10, text.utf8.allSatisfy({ (0x30...0x39).contains($0) }),
            let value = Int(text), value > 0, value <= Int(Int32.max)
        else { throw .invalidPartyId }
        return value
    }

    static func canonicalGuid(_ text: String) throws(InstanceReferenceError) -> String {
        // Exactly 8-4-4-4-12 hex digits: UUID(uuidString:) alone would not reject every odd form.
        var bytes = Array(text.utf8)
        guard bytes.count == 36 else { throw .invalidInstanceGuid }
        for index in bytes.indices {
            switch (index, bytes[index]) {
            case (8, UInt8(ascii: "-")), (13, UInt8(ascii: "-")), (18, UInt8(ascii: "-")), (23, UInt8(ascii: "-")):
                continue
            case (8, _), (13, _), (18, _), (23, _): throw .invalidInstanceGuid
            case (_, 0x30...0x39), (_, 0x61...0x66): continue
            case (_, 0x41...0x46): bytes[index] |= 0x20  // an uppercase hex digit, lowercased
            default: throw .invalidInstanceGuid
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}

/// Why an instance reference was refused. Each case is a bad input (4xx), never an upstream fault.
package enum InstanceReferenceError: Error, Sendable, Equatable {
    case invalidOrg
    case invalidApp
    case invalidAppReference
    case invalidInstanceId
    case invalidPartyId
    case invalidInstanceGuid
    case invalidInstanceURL
    /// The URL is well-formed but does not point into the configured Altinn environment.
    case foreignHost

    package var explanation: String {
        switch self {
        case .invalidOrg:
            return "org must be 1-32 lower-case letters, digits or inner hyphens"
        case .invalidApp:
            return "app must be 1-64 lower-case letters, digits or inner hyphens"
        case .invalidAppReference:
            return "app must have the form {org}/{app}"
        case .invalidInstanceId:
            return "instanceId must have the form {partyId}/{instanceGuid}"
        case .invalidPartyId:
            return "the party id must be a positive 32-bit integer"
        case .invalidInstanceGuid:
            return "the instance GUID must have the form xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"
        case .invalidInstanceURL:
            return "instanceUrl must have the form {appRoot}/instances/{partyId}/{instanceGuid}"
        case .foreignHost:
            return "instanceUrl does not belong to the Altinn environment this gateway is configured for"
        }
    }
}

extension InstanceReference {
    /// From `description`, `{org}/{app}/instances/{partyId}/{guid}` (the key stores and audit records use).
    package init?(key: String) {
        let parts = key.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 5, parts[2] == "instances",
            let app = try? AppReference(org: parts[0], app: parts[1]),
            let reference = try? InstanceReference(app: app, instanceId: "\(parts[3])/\(parts[4])")
        else { return nil }
        self = reference
    }
}
