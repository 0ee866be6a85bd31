package import AltinnAPI
package import Foundation
import Storage

/// Dialogporten's activity events name a dialog, not an instance: the dialog id is the instance GUID with its
/// first 48 bits replaced by the instance's creation time (and the version and variant bits set), so it is matched
/// against the app's tracked instances on the 74 bits that survive.
extension Tracking {
    /// What a dialog push did.
    package struct DialogPush: Sendable, Equatable {
        /// Active tracked instances of the app whose GUID fits the dialog id.
        package var matched: Int
        /// Of those, the ones made due (an instance stopped being active between the read and the poll is not).
        package var refreshed: Int
    }

    /// Rows read per page while looking for the app's tracked instances.
    static let dialogPageSize = 500

    /// Makes every active tracked instance of `app` whose GUID fits `dialogId` due at once. The tracked rows do
    /// not know when their instance was created, so the match is on the surviving bits only; if that is
    /// ambiguous, each candidate is polled (a poll is cheap, and it tells the truth).
    package func pollNow(dialog dialogId: UUID, app: AppReference, now: Date) async throws(Failure) -> DialogPush {
        let candidates = try await self.instances(of: app, fitting: dialogId)
        var refreshed = 0
        for instance in candidates {
            if try await self.pollNow(instance, now: now) { refreshed += 1 }
        }
        return DialogPush(matched: candidates.count, refreshed: refreshed)
    }

    /// The app's active tracked instances whose GUID fits the dialog id, read page by page.
    private func instances(of app: AppReference, fitting dialogId: UUID) async throws(Failure)
        -> [InstanceReference]
    {
        let prefix = "\(app)/instances/"
        var after: String?
        var found: [InstanceReference] = []
        while true {
            let page = try await storing(Failure.store) { () async throws(StoreError) in
                try await self.store.trackedInstances(
                    keyPrefix: prefix, after: after, limit: Self.dialogPageSize, status: .active)
            }
            for row in page {
                guard let instance = InstanceReference(key: row.instance), instance.app == app,
                    let guid = UUID(uuidString: instance.instanceGuid), DialogId.matches(dialogId, instance: guid)
                else { continue }
                found.append(instance)
            }
            guard page.count == Self.dialogPageSize, let last = page.last?.instance else { return found }
            after = last
        }
    }
}
