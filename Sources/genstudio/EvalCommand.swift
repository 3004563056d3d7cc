import ArgumentParser

/// `genstudio eval ...`: measurements of generated data.
struct EvalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval",
        abstract: "Measure generated data: FID and friends on a classifier's features, and whether a synthetic set helps a classifier.",
        subcommands: [EvalSamples.self, EvalAugmentation.self, EvalFewShot.self],
        defaultSubcommand: EvalSamples.self)
}
