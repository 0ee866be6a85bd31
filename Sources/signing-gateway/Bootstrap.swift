import Foundation
import Logging
import Tokens

enum Bootstrap {
    static func logger(level: String) -> Logger {
        var logger = Logger(label: "signing-gateway")
        logger.logLevel = Logger.Level(rawValue: level) ?? .info
        return logger
    }
}

extension Logger {
    init(label: String, level: Logger.Level) {
        self.init(label: label)
        self.logLevel = level
    }
}

/// Random secrets from the system CSPRNG (`getrandom` on Linux), hex-encoded.
enum RandomSecret {
    static func make(prefix: String, bytes: Int = 32) -> String {
        var generator = SystemRandomNumberGenerator()
        let hex = (0..<bytes).map { _ in
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            return String(byte, radix: 16).leftPadded(to: 2)
        }
        return prefix + hex.joined()
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        String(repeating: "0", count: max(0, width - self.count)) + self
    }
}

/// The data directory and the secrets kept in it (mode 0600, directory 0700).
struct DataDirectory {
    let path: String

    init(path: String) throws {
        self.path = path
        try FileManager.default.createDirectory(
            atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    }

    /// Returns the file's path, creating it with a fresh secret when missing.
    /// `created` tells whether the secret was made just now.
    func secretFile(named name: String, prefix: String) throws -> String {
        try self.secretFileCreatingIfNeeded(named: name, prefix: prefix).path
    }

    func secretFileCreatingIfNeeded(named name: String, prefix: String) throws -> (path: String, created: Bool) {
        let file = (self.path as NSString).appendingPathComponent(name)
        if FileManager.default.fileExists(atPath: file) { return (file, false) }
        // Written whole to a private temporary file, then hard-linked into place: link(2) fails if the name
        // exists, so replicas starting at once on one data directory agree on a single secret and nobody
        // ever reads a half-written file.
        let temporary = file + ".\(getpid()).tmp"
        guard
            FileManager.default.createFile(
                atPath: temporary, contents: Data(RandomSecret.make(prefix: prefix).utf8),
                attributes: [.posixPermissions: 0o600])
        else { throw CocoaError(.fileWriteNoPermission) }
        defer { unlink(temporary) }
        if link(temporary, file) == 0 { return (file, true) }
        guard errno == EEXIST else { throw CocoaError(.fileWriteNoPermission) }
        return (file, false)
    }

    /// The dev client key, read from its file (created when missing). With the embedded default it is
    /// printed once, when created, for the README walkthrough; otherwise it is never shown, only its path.
    func devClientKey(logger: Logger, announce: Bool) throws -> String {
        let (file, created) = try self.secretFileCreatingIfNeeded(named: "dev-client.key", prefix: "sgk_dev_")
        let key = try String(contentsOfFile: file, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        if created, announce {
            // Written straight to the terminal, not through the logger, and unbuffered.
            FileHandle.standardOutput.write(Data("dev client key (shown once, kept in \(file)):\n  \(key)\n".utf8))
        } else {
            logger.info("dev client key in \(file)")
        }
        return key
    }
}
