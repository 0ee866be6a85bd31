import Foundation

/// How a command ends on a failure it has explained: the message on stderr, prefixed like every other, and
/// exit code 1 (the table in `docs/cli.md`). Errors it has not explained reach the argument parser instead.
enum CommandFailure {
    static func exit(_ message: String) -> Never {
        FileHandle.standardError.write(Data("signing-gateway: \(message)\n".utf8))
        Foundation.exit(1)
    }
}
