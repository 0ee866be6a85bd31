package import AltinnAPI

/// Who is asking, as the use cases need to know it: a client id, whether it administers the gateway, and the apps
/// its policy covers. Resources a caller may not see are answered as absent, never as forbidden, so a caller
/// cannot learn that another client's resource exists.
package struct Caller: Sendable {
    package var clientId: String
    /// An `admin` client sees and manages every client's resources.
    package var isAdmin: Bool
    package var apps: [AppPattern]
    /// May use the process-next operation (arming `completeWhenAllSigned` does a process-next later).
    package var mayProcessNext: Bool

    package init(clientId: String, isAdmin: Bool, apps: [AppPattern], mayProcessNext: Bool) {
        self.clientId = clientId
        self.isAdmin = isAdmin
        self.apps = apps
        self.mayProcessNext = mayProcessNext
    }

    /// The caller's policy covers `app`.
    package func covers(_ app: AppReference) -> Bool { self.apps.contains { $0.matches(app) } }

    /// The caller's policy covers the app named by an `org/app` string (an event's or an instance's app).
    package func covers(app text: String) -> Bool {
        guard let app = try? AppReference(text) else { return false }
        return self.covers(app)
    }

    /// `*`: every app, so an app filter may be left empty.
    package var coversEveryApp: Bool { self.apps.contains { $0.org == nil } }

    /// A resource created by `owner` is visible to this caller.
    package func owns(_ owner: String) -> Bool { self.isAdmin || owner == self.clientId }
}
