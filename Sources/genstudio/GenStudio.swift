import ArgumentParser

/// The command-line entry point; each subcommand parses, calls the library and prints.
@main
struct GenStudio: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "genstudio",
        abstract: "Train and sample GANs, VAEs and diffusion models on the CPU.",
        subcommands: [DataCommand.self, TrainCommand.self, SampleCommand.self, InspectCommand.self, Bench.self])
}
