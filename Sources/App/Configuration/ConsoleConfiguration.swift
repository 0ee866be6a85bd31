import Foundation
package import GatewayHTTP

extension GatewayConfiguration {
    /// The operator console under `/console/` (sessions are kept in the store, so every replica knows them).
    package struct Console: Sendable, Equatable {
        package var enabled = true
        /// A session unused this long ends (sign in again). Fractions allowed (tests use seconds).
        package var sessionMinutes = 30.0
        /// A session ends this long after sign-in, however busy.
        package var sessionMaxHours = 8
        /// The cookie's `Secure` attribute; absent: set when the request came over HTTPS through a proxy
        /// (`X-Forwarded-Proto: https` or `Forwarded: proto=https`).
        package var secureCookie: Bool?

        package init() {}

        /// The session lifetimes; nil when the console is off.
        package var limits: ConsoleSessions.Limits? {
            guard self.enabled else { return nil }
            return .init(
                idle: .milliseconds(Int64(self.sessionMinutes * 60_000)),
                absolute: .seconds(self.sessionMaxHours * 3600))
        }

        func validate() throws(ConfigurationError) {
            guard (0.05...1440).contains(self.sessionMinutes) else {
                throw .invalid("console.sessionMinutes", "must be 0.05-1440")
            }
            guard (1...168).contains(self.sessionMaxHours) else {
                throw .invalid("console.sessionMaxHours", "must be 1-168")
            }
        }
    }
}

extension GatewayConfiguration.Console: Decodable {
    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, sessionMinutes, sessionMaxHours, secureCookie
    }

    package init(from decoder: any Decoder) throws {
        try decoder.rejectUnknownKeys(allowed: Set(CodingKeys.allCases.map(\.rawValue)))
        let container = try decoder.container(keyedBy: CodingKeys.self)
        self.init()
        self.enabled = try container.decodeIfPresent(Bool.self, forKey: .enabled) ?? self.enabled
        self.sessionMinutes = try container.decodeIfPresent(Double.self, forKey: .sessionMinutes) ?? self.sessionMinutes
        self.sessionMaxHours =
            try container.decodeIfPresent(Int.self, forKey: .sessionMaxHours) ?? self.sessionMaxHours
        self.secureCookie = try container.decodeIfPresent(Bool.self, forKey: .secureCookie)
    }
}
