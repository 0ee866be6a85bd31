/// Bounds how much caller-supplied text an error message repeats, so a hostile or mistaken
/// 100 kB "URL" cannot bloat logs or problem responses, and control characters cannot forge lines.
enum Clip {
    static let maxEchoedCharacters = 200

    static func input(_ text: some StringProtocol) -> String {
        let cleaned = String(text.map { $0.isControlLike ? "?" : $0 })
        guard cleaned.count > maxEchoedCharacters else { return cleaned }
        return String(cleaned.prefix(maxEchoedCharacters)) + "…"
    }
}

extension Character {
    /// C0/C1 controls and the Unicode line/paragraph separators: anything that can break a log line.
    var isControlLike: Bool {
        unicodeScalars.contains { scalar in
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator: true
            default: false
            }
        }
    }
}
