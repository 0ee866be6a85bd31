package import AltinnAPI

/// `*`, `org/*` or `org/app`.
package struct AppPattern: Sendable, Equatable {
    package let org: String?
    package let app: String?

    package init?(_ text: String) {
        if text == "*" {
            self.org = nil
            self.app = nil
            return
        }
        let parts = text.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 2 else { return nil }
        if parts[1] == "*" {
            guard (try? AppReference(org: parts[0], app: "x")) != nil else { return nil }
            self.org = parts[0]
            self.app = nil
        } else {
            guard (try? AppReference(org: parts[0], app: parts[1])) != nil else { return nil }
            self.org = parts[0]
            self.app = parts[1]
        }
    }

    package func matches(_ reference: AppReference) -> Bool {
        guard let org else { return true }
        guard org == reference.org else { return false }
        return self.app.map { $0 == reference.app } ?? true
    }
}
