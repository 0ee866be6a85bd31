import Foundation

/// Which Altinn the gateway talks to. The upstream host is derived from this and nothing else.
package enum AltinnEnvironment: Sendable, Equatable {
    /// `https://{org}.apps.tt02.altinn.no/{org}/{app}`
    case tt02
    /// `https://{org}.apps.altinn.no/{org}/{app}`
    case production
    /// `{baseURL}/{org}/{app}`: local test, the built-in simulator.
    case baseURL(BaseURL)

    /// The app API root of one app, without a trailing slash.
    package func appRoot(_ app: AppReference) -> String {
        switch self {
        case .tt02: return "https://\(app.org).apps.tt02.altinn.no/\(app.org)/\(app.app)"
        case .production: return "https://\(app.org).apps.altinn.no/\(app.org)/\(app.app)"
        case .baseURL(let base): return "\(base.value)/\(app.org)/\(app.app)"
        }
    }

    /// The canonical URL of an instance, as Altinn writes it in `selfLinks.apps`.
    package func instanceURL(_ instance: InstanceReference) -> String {
        "\(self.appRoot(instance.app))/instances/\(instance.partyId)/\(instance.instanceGuid)"
    }

    package var name: String {
        switch self {
        case .tt02: return "tt02"
        case .production: return "production"
        case .baseURL(let base): return base.value
        }
    }
}

/// An absolute `http(s)://host[:port][/path]` URL without query, fragment or user info.
package struct BaseURL: Sendable, Equatable {
    /// Normalized: lower-case scheme and host, no trailing slash.
    package let value: String

    package init?(_ raw: String) {
        var text = raw
        while text.hasSuffix("/") { text.removeLast() }
        guard let schemeEnd = text.range(of: "://") else { return nil }
        let scheme = text[..<schemeEnd.lowerBound].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        let rest = text[schemeEnd.upperBound...]
        guard !rest.isEmpty,
            !rest.contains(where: { $0 == "?" || $0 == "#" || $0 == "@" || $0 == "\\" || $0.isWhitespace })
        else { return nil }
        let hostEnd = rest.firstIndex(of: "/") ?? rest.endIndex
        let host = rest[..<hostEnd].lowercased()
        guard !host.isEmpty else { return nil }
        self.value = "\(scheme)://\(host)\(rest[hostEnd...])"
    }
}
