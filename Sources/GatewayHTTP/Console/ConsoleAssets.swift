import Foundation

/// The console's files, shipped as this module's `Resources/console` and read once at start. `index.html` is a
/// template: `{{state}}`, `{{clientId}}`, `{{csrfToken}}` and `{{message}}` are filled in (HTML-escaped) per answer,
/// so the page works without JavaScript for signing in and out, and the script finds its CSRF token in a meta tag.
struct ConsoleAssets: Sendable {
    struct File: Sendable {
        var bytes: [UInt8]
        var contentType: String
    }

    /// Served as `/console/{name}`; `index.html` is not among them (it is the template).
    let files: [String: File]
    let template: String

    static func load() throws -> ConsoleAssets {
        guard let directory = Bundle.module.url(forResource: "console", withExtension: nil) else {
            throw CocoaError(.fileNoSuchFile)
        }
        var files: [String: File] = [:]
        var template: String?
        for name in try FileManager.default.contentsOfDirectory(atPath: directory.path) {
            let data = try Data(contentsOf: directory.appendingPathComponent(name))
            if name == "index.html" {
                template = String(decoding: data, as: UTF8.self)
                continue
            }
            guard let type = Self.contentType(of: name) else { continue }
            files[name] = File(bytes: Array(data), contentType: type)
        }
        guard let template else { throw CocoaError(.fileNoSuchFile) }
        return ConsoleAssets(files: files, template: template)
    }

    static func contentType(of name: String) -> String? {
        switch (name as NSString).pathExtension {
        case "css": return "text/css; charset=utf-8"
        case "js": return "text/javascript; charset=utf-8"
        case "svg": return "image/svg+xml"
        case "png": return "image/png"
        default: return nil
        }
    }

    func page(clientId: String?, csrfToken: String?, message: String?) -> String {
        self.template
            .replacingOccurrences(of: "{{state}}", with: clientId == nil ? "signed-out" : "signed-in")
            .replacingOccurrences(of: "{{clientId}}", with: Self.escape(clientId ?? ""))
            .replacingOccurrences(of: "{{csrfToken}}", with: Self.escape(csrfToken ?? ""))
            .replacingOccurrences(of: "{{message}}", with: Self.escape(message ?? ""))
    }

    static func escape(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
