import ArgumentParser

/// The EXAMPLES and EXIT CODES blocks of every `--help` (`CommandConfiguration.discussion`), in one layout.
/// Lines are wrapped here to fit 80 columns, so the argument parser never re-wraps a line and every line of an
/// example stays a comment or a command that can be pasted into a shell.
enum CommandHelp {
    struct Example {
        /// What it does; printed as a `#` comment above the command. Empty: the next step of the example before.
        let what: String
        /// The command line, starting with `signing-gateway`.
        let command: String

        init(_ what: String, _ command: String) {
            self.what = what
            self.command = command
        }
    }

    /// One row of a command's exit-code table; every code is one of `docs/cli.md`'s.
    struct ExitStatus {
        let code: Int32
        let meaning: String

        init(_ code: Int32, _ meaning: String) {
            self.code = code
            self.meaning = meaning
        }

        /// ArgumentParser's own code for a usage error (EX_USAGE), also used for an unknown subcommand.
        static let usage = ExitStatus(
            ExitCode.validationFailure.rawValue,
            "usage error: unknown subcommand or option, a missing or invalid value")
    }

    static let width = 78

    static func discussion(examples: [Example], exitCodes: [ExitStatus]) -> String {
        var lines = ["EXAMPLES:"]
        for (index, example) in examples.enumerated() {
            // An example without a comment continues the one before (the next step of it).
            if !example.what.isEmpty {
                if index > 0 { lines.append("") }
                lines += Self.wrap(example.what, first: "  # ", rest: "  # ")
            }
            lines += Self.wrap(example.command, first: "  ", rest: "      ", continuation: " \\")
        }
        lines += ["", "EXIT CODES:"]
        for status in exitCodes {
            let code = String(status.code)
            let label = "  " + code + String(repeating: " ", count: max(1, 4 - code.count))
            lines += Self.wrap(status.meaning, first: label, rest: String(repeating: " ", count: label.count))
        }
        return lines.joined(separator: "\n")
    }

    /// Greedy word wrap to `width` columns, `first` before the first line and `rest` before the others;
    /// `continuation` ends every line but the last (` \` for a shell command).
    static func wrap(_ text: String, first: String, rest: String, continuation: String = "") -> [String] {
        var lines: [String] = []
        var line = first
        var empty = true
        for word in text.split(separator: " ") {
            if !empty, line.count + 1 + word.count + continuation.count > Self.width {
                lines.append(line + continuation)
                line = rest
                empty = true
            }
            line += (empty ? "" : " ") + word
            empty = false
        }
        lines.append(line)
        return lines
    }
}
