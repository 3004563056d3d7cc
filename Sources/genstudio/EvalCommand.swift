import ArgumentParser

/// `genstudio eval ...`: measurements of generated data.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure generated data: whether a synthetic set helps a classifier.",
        subcommands: [EvalAugmentation.self])
}
