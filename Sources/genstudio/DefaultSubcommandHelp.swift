import ArgumentParser

/// Help for the commands with a default subcommand (`augment`, `eval`): ArgumentParser's help of
/// the parent lists only its subcommands, so `genstudio augment --help` would hide every option of
/// `genstudio augment CHECKPOINT ...`. This prints the parent's help and then the default's.
enum DefaultSubcommandHelp {
    /// The parents with a default subcommand, by command name.
    static let parents: [String: any ParsableCommand.Type] = ["augment": AugmentCommand.self, "eval": EvalCommand.self]

    /// The parent `arguments` ask help for (`augment --help`, `augment -h`, `help augment`), or nil.
    static func parent(askedBy arguments: [String]) -> (any ParsableCommand.Type)? {
        guard arguments.count == 2 else { return nil }
        let name = arguments[0] == "help" ? arguments[1] : arguments[0]
        guard arguments[0] == "help" || ["--help", "-h"].contains(arguments[1]) else { return nil }
        return parents[name]
    }

    /// The parent's help, then its default subcommand's with every option.
    static func message(for parent: any ParsableCommand.Type, columns: Int? = nil) -> String {
        let configuration = parent.configuration
        guard let child = configuration.defaultSubcommand else { return GenStudio.helpMessage(for: parent, columns: columns) }
        let name = configuration.commandName ?? ""
        let childName = child.configuration.commandName ?? ""
        return GenStudio.helpMessage(for: parent, columns: columns)
            + "\n\nThe default subcommand, '\(childName)', runs when the first argument is no subcommand name"
            + " (genstudio \(name) \(childName) ... and genstudio \(name) ... are the same):\n\n"
            + GenStudio.helpMessage(for: child, columns: columns)
    }
}
