import ArgumentParser

/// A word where a subcommand is expected that names none. With `serve` as the default subcommand the argument
/// parser would hand `signing-gateway bogus` to `serve` and answer with serve's usage ("Unexpected argument"),
/// which reads as if serve were what the operator asked for. Checked before parsing, on the words only: a first
/// argument starting with `-` is an option (`signing-gateway --config x` runs serve), so it is left to the parser.
struct UnknownSubcommand: Equatable {
    /// The command path the word was given to (`signing-gateway`, `signing-gateway audit`).
    let path: String
    let word: String
    let subcommands: [String]

    var message: String {
        "\(self.path): unknown subcommand '\(self.word)'; the subcommands are "
            + "\(self.subcommands.joined(separator: ", ")); see \(self.path) --help"
    }

    /// The first word, walking down the command tree, that is not a subcommand of the command before it.
    static func find(in arguments: [String], root: any ParsableCommand.Type) -> UnknownSubcommand? {
        var command = root
        var path = root._commandName
        for word in arguments {
            let subcommands = command.configuration.subcommands
            guard !subcommands.isEmpty, !word.hasPrefix("-") else { return nil }
            // `help` is the parser's own (`signing-gateway help audit`).
            guard word != "help" else { return nil }
            guard let next = subcommands.first(where: { $0._commandName == word }) else {
                return UnknownSubcommand(path: path, word: word, subcommands: subcommands.map { $0._commandName })
            }
            command = next
            path += " " + word
        }
        return nil
    }
}
