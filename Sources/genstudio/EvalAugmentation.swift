import ArgumentParser
import Foundation
import StudioTraining

/// `genstudio eval augmentation --real-per-class K --synthetic DIR [--classical]`.
struct EvalAugmentation: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "augmentation",
        abstract: "Train the classifier recipe on K real images per class, on those plus a synthetic set, and on the synthetic set alone; report each one's test accuracy.",
        discussion: """
        The runs share the seed (which also picks the K real images of each class, as data.per_class = K with \
        data.subset_seed = S picks them) and the number of steps: by default the recipe's own length on the full \
        training set (5 epochs of MNIST = 4685 steps), so that they differ only in their data. Sets smaller than \
        the recipe's batch train in batches of the whole set. --classical adds real+classical and \
        real+synthetic+classical: the same sets with random translation, rotation, scaling and elastic \
        distortion of every training batch (the recipe's [augment], or all four at their default ranges). Each \
        run directory holds its recipe, metrics and final checkpoint; report.json the results.
        """)

    @Option(help: "The synthetic set: the --out folder of genstudio augment (train-images/labels IDX files, or <class>/<index>.png).")
    var synthetic: String

    @OptionGroup var classifierRun: ClassifierRunOptionGroup
    @OptionGroup var compute: ThreadsOptionGroup

    @Option(help: "The seed of the three trainings and of the choice of real images.")
    var seed: UInt64 = 0

    @Flag(help: "Also train on the real set and on real plus synthetic with classical augmentation (five runs).")
    var classical = false

    @Option(help: "The output directory (default: outputs/eval-augmentation/<time>).")
    var out: String?

    func run() throws {
        compute.apply()
        let evaluation = try AugmentationEvaluation(classifierRecipe: classifierRun.recipeURL, data: classifierRun.dataURL,
                                                    synthetic: URL(fileURLWithPath: synthetic),
                                                    realPerClass: classifierRun.realPerClass, seed: seed, steps: classifierRun.steps,
                                                    classical: classical)
        let directory = URL(fileURLWithPath: out ?? Self.defaultOut())
        let printer = ProgressPrinter()
        printer.message("eval augmentation: \(evaluation.real.count) real images (\(classifierRun.realPerClass) per class), \(evaluation.synthetic.count) synthetic, \(evaluation.steps) steps per run, seed \(seed) -> \(directory.path)")
        if let augment = evaluation.classical {
            printer.message("classical augmentation of the +classical runs: \(augment.summary)")
        }
        StopSignal.install()
        var current = ""
        let report = try evaluation.run(into: directory, shouldStop: { StopSignal.isRaised }) { name, event in
            if name != current {
                current = name
                printer.message("training on \(name)")
            }
            if case .step = event { printer.handle(event) }
        }
        guard let report else {
            printer.message("stopped; nothing reported (the runs start over when the command is given again with another --out)")
            return
        }
        let width = max(15, 1 + (report.runs.map(\.name.count).max() ?? 0))
        for run in report.runs {
            let name = run.name.padding(toLength: width, withPad: " ", startingAt: 0)
            printer.message(name + String(format: "%6d real + %6d synthetic  test accuracy %.2f%%  test loss %.4f  (%.0f s)",
                                          run.realImages, run.syntheticImages, 100 * run.testAccuracy, run.testLoss, run.seconds))
        }
        printer.message("report: \(directory.appendingPathComponent(AugmentationEvaluation.reportFile).path)")
    }

    static func defaultOut() -> String {
        let formatter = DateFormatter()
        formatter.dateFormat = "yyyyMMdd-HHmmss"
        formatter.timeZone = TimeZone(identifier: "UTC")
        return "outputs/eval-augmentation/\(formatter.string(from: Date()))"
    }
}
