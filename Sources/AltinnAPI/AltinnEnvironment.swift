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
        var root = ""
        self.appendAppRoot(app, to: &root, reserving: 0)
        return root
    }

    /// The canonical URL of an instance, as Altinn writes it in `selfLinks.apps`.
    package func instanceURL(_ instance: InstanceReference) -> String {
        // Appended into one buffer sized up front: built by interpolation, each upstream call's URL cost 6,000
        // instructions (`bench/profile.sh callgrind`).
        var url = ""
        self.appendAppRoot(instance.app, to: &url, reserving: 11 + instance.instanceId.utf8.count)
        url += "/instances/"
        url += instance.instanceId
        return url
    }

    private func appendAppRoot(_ app: AppReference, to text: inout String, reserving extra: Int) {
        let org = app.org
        let name = app.app
        switch self {
        case .tt02, .production:
            let host = self == .tt02 ? ".apps.tt02.altinn.no/" : ".apps.altinn.no/"
            text.reserveCapacity(8 + 2 * org.utf8.count + host.utf8.count + 1 + name.utf8.count + extra)
            text += "https://"
            text += org
            text += host
        case .baseURL(let base):
            text.reserveCapacity(base.value.utf8.count + 2 + org.utf8.count + name.utf8.count + extra)
            text += base.value
            text += "/"
        }
        text += org
        text += "/"
        text += name
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
