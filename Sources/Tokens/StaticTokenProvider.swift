import Foundation
package import Transport

/// Where a `static` profile reads its token from.
package enum StaticTokenSource: Sendable, Equatable {
    /// An environment variable holding the token.
    case environment(String)
    /// A file holding the token (surrounding whitespace ignored).
    case file(String)
}

/// Profiles whose token is fixed: read once at start-up from a file or the environment.
/// For local test, the built-in simulator and emergencies.
package struct StaticTokenProvider: TokenProvider {
    private let tokens: [String: AccessToken]

    package init(tokens: [String: AccessToken]) {
        self.tokens = tokens
    }

    /// Reads every source once. Errors name the profile and the source, never the content.
    package init(
        sources: [String: StaticTokenSource],
        environment: [String: String] = ProcessInfo.processInfo.environment
    ) throws(TokenError) {
        var tokens: [String: AccessToken] = [:]
        for (name, source) in sources {
            let raw: String?
            switch source {
            case .environment(let variable):
                raw = environment[variable]
            case .file(let path):
                raw = try? String(contentsOfFile: path, encoding: .utf8)
            }
            let trimmed = raw?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            guard !trimmed.isEmpty, !trimmed.contains(where: { $0.isNewline || $0 == " " }) else {
                throw .unavailable(profile: name, step: "static", reason: "no usable token in \(source.label)")
            }
            tokens[name] = AccessToken(trimmed)
        }
        self.tokens = tokens
    }

    package var profileNames: [String] { self.tokens.keys.sorted() }

    package func token(forProfile name: String) async throws(TokenError) -> AccessToken {
        guard let token = self.tokens[name] else { throw .unknownProfile(name) }
        return token
    }

    /// A static token cannot be refreshed; the next call gets the same one.
    package func invalidate(profile name: String, token: AccessToken) async {}
}

extension StaticTokenSource {
    var label: String {
        switch self {
        case .environment(let variable): return "environment variable \(variable)"
        case .file(let path): return "file \(path)"
        }
    }
}
