import Foundation

/// The apps the simulator serves `applicationmetadata` and `meta/process` for (reference §4): the two demo apps,
/// and whatever a test installs through `/_simulator/apps/…` (malformed, huge, not JSON: served as given).
package actor SimulatedApps {
    /// One served document: its bytes and content type, exactly as the app would send them.
    struct Document: Sendable {
        var body: [UInt8]
        var contentType: String
    }

    struct App: Sendable {
        var metadata: Document
        var process: Document
    }

    private var apps: [String: App]
    /// How many times each app's documents were read, by `"{org}/{app} {document}"`.
    private var reads: [String: Int] = [:]

    init() {
        self.apps = Self.demo
    }

    static var demo: [String: App] {
        [
            "ttd/signing-app": App(
                metadata: Document(body: Array(DemoApps.signingAppMetadata.utf8), contentType: Replies.jsonType),
                process: Document(body: Array(DemoApps.signingAppProcess.utf8), contentType: DemoApps.xmlType)),
            "ttd/lax-signing-app": App(
                metadata: Document(body: Array(DemoApps.laxAppMetadata.utf8), contentType: Replies.jsonType),
                process: Document(body: Array(DemoApps.laxAppProcess.utf8), contentType: DemoApps.xmlType)),
        ]
    }

    func app(_ id: String) -> App? { self.apps[id] }

    func noteRead(_ id: String, _ document: String) { self.reads["\(id) \(document)", default: 0] += 1 }

    package func readCount(_ id: String, _ document: String) -> Int { self.reads["\(id) \(document)"] ?? 0 }

    /// Installs one document of an app (creating the app from the demo app's documents if needed).
    func install(_ id: String, document: String, _ value: Document) -> Bool {
        var app = self.apps[id] ?? Self.demo["ttd/signing-app"]!
        switch document {
        case "applicationmetadata": app.metadata = value
        case "process": app.process = value
        default: return false
        }
        self.apps[id] = app
        return true
    }

    func remove(_ id: String) { self.apps[id] = nil }

    /// Back to the demo apps.
    func reset() {
        self.apps = Self.demo
        self.reads = [:]
    }
}
