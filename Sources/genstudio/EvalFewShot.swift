import ArgumentParser
import Foundation
import StudioTraining

/// `genstudio eval few-shot GENERATOR_RECIPE --real-per-class K`: the whole honest protocol.
struct EvalFewShot: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "few-shot",
        abstract: "Train a generator on K real images per class only, draw a synthetic set from it, and compare classifiers trained with and without it and with classical augmentation, over several seeds.",
        discussion: """
        For each seed: the generator recipe trains with data.per_class = K and data.subset_seed = seed (the \
        same K images eval augmentation picks for that seed); --per-class samples of every class are drawn \
        from it; the classifier recipe trains on real, real+classical, real+synthetic, \
        real+synthetic+classical and synthetic, each scored on the whole test split (with --unlabelled also \
        real+pseudo+classical and real+pseudo+synthetic+classical: the labelled and pseudo-labelled \
        images, the self-training baseline). Prints and writes \
        (report.json) each run's mean and standard deviation over seeds, and how near the synthetic images \
        come to the K real ones beside how near real test images come. Every stage is kept in --out: give \
        the same command again to resume.
        """)

    @Argument(help: "A class-conditional generator recipe (GAN, VAE or diffusion), or with --unlabelled a semi-supervised GAN (model.discriminator_classes) or VAE (model.classifier).")
    var generatorRecipe: String

    @OptionGroup var classifierRun: ClassifierRunOptionGroup
    @OptionGroup var compute: ThreadsOptionGroup

    @Option(help: "Comma-separated seeds, one repetition of the protocol each.")
    var seeds: String = "0,1,2"

    @Option(help: "Generator training steps (default: the recipe's train.steps).")
    var generatorSteps: Int?

    @Option(help: "Synthetic samples per class.")
    var perClass: Int = 1000

    @Flag(help: "The few-labels setting: the K images per class are the labelled ones, and the generator also learns from the rest of the training split without its labels, through pseudo-labels from a classifier trained on the K (self-training).")
    var unlabelled = false

    @Option(help: "With --unlabelled: the least probability a kept pseudo-label has.")
    var pseudoLabelThreshold: Double = 0.95

    @Option(help: "With --unlabelled: self-training rounds; each after the first trains the labeller on the previous round's labelled and pseudo-labelled images and labels the unlabelled ones anew.")
    var pseudoLabelRounds: Int = 1

    @Option(help: "The output directory; running the command again with it resumes.")
    var out: String

    @OptionGroup(title: "Sampling the generator (diffusion models, semi-supervised GANs)")
    var sampling: SamplingOptionGroup

    func run() throws {
        compute.apply()
        var settings = FewShotEvaluation.Settings(generatorRecipe: URL(fileURLWithPath: generatorRecipe),
                                                  realPerClass: classifierRun.realPerClass, perClass: perClass,
                                                  classifierRecipe: classifierRun.recipeURL)
        let parsed = seeds.split(separator: ",", omittingEmptySubsequences: false).map { UInt64($0.trimmingCharacters(in: .whitespaces)) }
        guard !parsed.isEmpty, parsed.allSatisfy({ $0 != nil }) else {
            throw ValidationError("--seeds must be comma-separated seeds like 0,1,2, got '\(seeds)'")
        }
        settings.seeds = parsed.map { $0! }
        settings.generatorSteps = generatorSteps
        settings.classifierSteps = classifierRun.steps
        settings.data = classifierRun.dataURL
        settings.sampling = try sampling.options()
        settings.unlabelled = unlabelled
        settings.pseudoLabelThreshold = pseudoLabelThreshold
        settings.pseudoLabelRounds = pseudoLabelRounds
        let protocolRun = try FewShotEvaluation(settings: settings, directory: URL(fileURLWithPath: out))
        let printer = ProgressPrinter()
        printer.message("eval few-shot: K = \(classifierRun.realPerClass), seeds \(settings.seeds.map(String.init).joined(separator: ",")), \(perClass) synthetic per class -> \(out)")
        StopSignal.install()
        let start = Date()
        var stage = ""
        let report = try protocolRun.run(shouldStop: { StopSignal.isRaised }) { event in
            switch event {
            case let .stage(index, total, name, seed):
                stage = "[\(index)/\(total) seed \(seed) \(name)]"
                // Every seed runs the same stages, so the seeds done so far time the ones left.
                let elapsed = Date().timeIntervalSince(start)
                let perSeed = protocolRun.stagesPerSeed
                let seedsDone = (index - 1) / perSeed, seedsLeft = total / perSeed - seedsDone
                let eta = seedsDone > 0 && (index - 1) % perSeed == 0
                    ? "; protocol ETA \(ProgressPrinter.duration(elapsed / Double(seedsDone) * Double(seedsLeft)))" : ""
                printer.message("\(stage) started after \(ProgressPrinter.duration(elapsed))\(eta)")
            case let .skipped(name, seed):
                printer.message("seed \(seed) \(name): finished earlier, kept")
            case let .training(run, .step(number, target, _, _, imagesPerSecond, secondsLeft)):
                printer.progress("\(stage) \(run) step \(number)/\(target)  \(String(format: "%.0f", imagesPerSecond)) img/s  ETA \(ProgressPrinter.duration(secondsLeft))",
                                 force: number == target)
            case .training:
                break
            case let .sampling(state):
                printer.progress("\(stage) samples \(state.kept)/\(state.total)", force: state.kept == state.total)
            }
        }
        guard let report else {
            printer.message("stopped; give the same command again to resume")
            return
        }
        let width = max(26, (report.summary.map(\.name.count).max() ?? 0) + 2)
        for row in report.summary {
            printer.message(row.name.padding(toLength: width, withPad: " ", startingAt: 0)
                + String(format: "%6.2f%% ± %.2f", 100 * row.meanAccuracy, 100 * row.standardDeviation)
                + "   (" + row.accuracies.map { String(format: "%.2f", 100 * $0) }.joined(separator: ", ") + ")")
        }
        for seed in report.seeds {
            for p in seed.pseudoLabelRounds ?? (seed.pseudoLabels.map { [$0] } ?? []) {
                let round = seed.pseudoLabelRounds == nil ? "" : " round \(p.round ?? 1)"
                printer.message("seed \(seed.seed)\(round): " + String(format: "pseudo-labels kept for %d of %d unlabelled images (%.2f%% of them right); the labeller scores %.2f%% on the test split",
                                       p.kept, p.unlabelled, 100 * p.keptAccuracy, 100 * p.classifierTestAccuracy))
            }
            if let accuracy = seed.discriminatorTestAccuracy {
                printer.message("seed \(seed.seed): the semi-supervised discriminator scores " + String(format: "%.2f%%", 100 * accuracy) + " on the test split")
            }
            if let accuracy = seed.classifierTestAccuracy {
                printer.message("seed \(seed.seed): the semi-supervised VAE's classifier scores " + String(format: "%.2f%%", 100 * accuracy) + " on the test split")
            }
            let m = seed.memorisation
            printer.message(String(format: "seed %d: nearest real training image, synthetic median %.3f (least %.3f); test images median %.3f (least %.3f)",
                                   seed.seed, m.syntheticMedian, m.syntheticLeast, m.testMedian, m.testLeast))
        }
        printer.message("report: \(URL(fileURLWithPath: out).appendingPathComponent(FewShotReport.fileName).path)")
    }
}
