import Foundation
import StudioCore
import StudioEval
import StudioIO

/// The honest few-shot protocol (`genstudio eval few-shot`): for each seed, a generator trained only
/// on the K real images per class that seed picks, a labelled synthetic set drawn from it, and the
/// classifier trained on real, real + classical, real + synthetic, real + synthetic + classical and
/// synthetic alone, each scored on the whole test split; with how close the synthetic images come
/// to the K they were learnt from. Every stage is kept under `directory`, so a second run resumes.
public struct FewShotEvaluation {
    /// What the protocol runs.
    public struct Settings {
        /// The conditional generator's recipe; it trains with `data.per_class = realPerClass`.
        public var generatorRecipe: URL
        /// Real training images per class (K).
        public var realPerClass: Int
        /// One repetition of the whole protocol per seed: the seed picks the K images and seeds every run.
        public var seeds: [UInt64] = [0, 1, 2]
        /// Generator steps (nil: the recipe's `train.steps`).
        public var generatorSteps: Int?
        /// Synthetic samples per class.
        public var perClass: Int
        /// How the generator is sampled (diffusion sampler, guidance, averaged weights).
        public var sampling = SamplingOptions()
        /// The classifier recipe and its steps (nil: its length on the full training set).
        public var classifierRecipe: URL
        public var classifierSteps: Int?
        /// The MNIST-format data directory (nil: each recipe's own `data.path`).
        public var data: URL?
        /// The few-labels setting: the generator also learns from the unlabelled rest of the training
        /// split, through pseudo-labels (self-training) kept at `pseudoLabelThreshold` or more.
        public var unlabelled = false
        public var pseudoLabelThreshold = 0.95
        /// Self-training rounds: each after the first trains its labeller on the previous round's set.
        public var pseudoLabelRounds = 1

        public init(generatorRecipe: URL, realPerClass: Int, perClass: Int, classifierRecipe: URL) {
            self.generatorRecipe = generatorRecipe
            self.realPerClass = realPerClass
            self.perClass = perClass
            self.classifierRecipe = classifierRecipe
        }
    }

    /// What the protocol is doing, for progress lines.
    public enum Event {
        /// Stage `index` of `total` (1-based) begins: its name and seed.
        case stage(index: Int, total: Int, name: String, seed: UInt64)
        /// The stage was found finished on disk.
        case skipped(name: String, seed: UInt64)
        /// A training step of the generator or of the classifier run `run`.
        case training(run: String, TrainingEvent)
        /// Synthetic samples drawn so far.
        case sampling(AugmentationProgress)
    }

    public let settings: Settings
    public let directory: URL
    /// Whether the generator is a semi-supervised GAN or VAE, which learns from the unlabelled images
    /// itself (`data.labelled_per_class`) instead of from pseudo-labels.
    public let semiSupervised: Bool

    /// Checks the settings before any work: K, M and the seeds.
    public init(settings: Settings, directory: URL) throws {
        guard settings.realPerClass > 0 else { throw DatasetError("--real-per-class must be positive, got \(settings.realPerClass)") }
        guard settings.perClass > 0 else { throw DatasetError("--per-class must be positive, got \(settings.perClass)") }
        guard !settings.seeds.isEmpty, Set(settings.seeds).count == settings.seeds.count else {
            throw DatasetError("--seeds must name one or more different seeds, got \(settings.seeds)")
        }
        if let steps = settings.generatorSteps, steps <= 0 { throw DatasetError("--generator-steps must be positive, got \(steps)") }
        guard (1...20).contains(settings.pseudoLabelRounds) else {
            throw DatasetError("--pseudo-label-rounds must lie in 1...20, got \(settings.pseudoLabelRounds)")
        }
        let (generator, _) = try RecipeLoader.load(settings.generatorRecipe)
        if generator.model.semiSupervisedClassCount != nil {
            guard settings.unlabelled else {
                throw DatasetError("\(settings.generatorRecipe.path) is a semi-supervised \(generator.model.family.uppercased()), which learns from unlabelled images besides the K labelled ones: run it with --unlabelled")
            }
            semiSupervised = true
        } else {
            semiSupervised = false
        }
        self.settings = settings
        self.directory = directory
    }

    /// The folder of one seed's stages.
    public func seedDirectory(_ seed: UInt64) -> URL { directory.appendingPathComponent("seed-\(seed)") }

    /// Runs (or resumes) every stage of every seed, writes `report.json` and returns the report; nil
    /// when `shouldStop` ended a stage early (run again to go on).
    public func run(shouldStop: () -> Bool = { false }, observe: (Event) -> Void = { _ in }) throws -> FewShotReport? {
        var seeds: [FewShotReport.Seed] = []
        let perSeed = stagesPerSeed
        let total = settings.seeds.count * perSeed
        for (position, seed) in settings.seeds.enumerated() {
            let folder = seedDirectory(seed)
            var stage = perSeed * position
            func begin(_ name: String) {
                stage += 1
                observe(.stage(index: stage, total: total, name: name, seed: seed))
            }
            var rounds: [PseudoLabels] = []
            if usesPseudoLabels {
                for round in 1...settings.pseudoLabelRounds {
                    begin(settings.pseudoLabelRounds == 1 ? "pseudo-labels" : "pseudo-labels round \(round)")
                    guard let made = try makePseudoLabels(seed: seed, round: round, in: folder, shouldStop: shouldStop,
                                                          observe: observe) else { return nil }
                    rounds.append(made)
                }
            }
            begin("generator")
            guard let generator = try trainGenerator(seed: seed, in: folder, shouldStop: shouldStop, observe: observe) else { return nil }
            begin("synthetic")
            guard let synthetic = try drawSynthetic(from: generator, seed: seed, in: folder, shouldStop: shouldStop,
                                                    observe: observe) else { return nil }
            begin("classifiers")
            guard var result = try trainClassifiers(seed: seed, synthetic: synthetic, in: folder, shouldStop: shouldStop,
                                                    observe: observe) else { return nil }
            result.pseudoLabels = rounds.last
            result.pseudoLabelRounds = rounds.count > 1 ? rounds : nil
            if semiSupervised { try scoreOwnClassifier(generator, into: &result) }
            seeds.append(result)
        }
        let report = FewShotReport(settings: settings, seeds: seeds, selfTraining: usesPseudoLabels)
        try report.write(to: directory.appendingPathComponent(FewShotReport.fileName))
        return report
    }

    /// Stages of one seed: generator, synthetic set, classifiers, and each self-training round.
    public var stagesPerSeed: Int { 3 + (usesPseudoLabels ? settings.pseudoLabelRounds : 0) }

    /// Whether the generator learns the unlabelled images through pseudo-labels (self-training).
    var usesPseudoLabels: Bool { settings.unlabelled && !semiSupervised }

    // MARK: - Stages

    /// Trains (or resumes, or finds finished) the generator on the seed's K images per class.
    func trainGenerator(seed: UInt64, in folder: URL, shouldStop: () -> Bool,
                        observe: (Event) -> Void) throws -> URL? {
        let run = folder.appendingPathComponent("generator")
        let session: TrainingSession
        if FileManager.default.fileExists(atPath: run.appendingPathComponent("recipe.toml").path),
           (try? Checkpoint.resolve(run)) != nil {
            if usesPseudoLabels {
                // A generator trained on another round's pseudo-labels must not pass for this one.
                let expected = pseudoLabelData(folder).path
                let (earlier, _) = try RecipeLoader.load(run.appendingPathComponent("recipe.toml"))
                guard earlier.data.path == expected else {
                    throw DatasetError("\(run.path) learnt from \(earlier.data.path), not \(expected): it was made with other --pseudo-label-rounds; choose another --out")
                }
            }
            session = try TrainingJob.resume(run)
            if session.isFinished {
                observe(.skipped(name: "generator", seed: seed))
                return run
            }
        } else {
            if FileManager.default.fileExists(atPath: run.path) { try FileManager.default.removeItem(at: run) }
            var overrides = ["train.seed=\(seed)"]
            if semiSupervised {
                // Every training image, K per class with their labels (as eval augmentation picks its real set).
                overrides += ["data.labelled_per_class=\(settings.realPerClass)", "data.subset_seed=\(seed)"]
                if let data = settings.data { overrides.append("data.path=\(data.path)") }
            } else if settings.unlabelled {
                // The labelled images and the confidently pseudo-labelled rest, all of them.
                overrides.append("data.path=\(pseudoLabelData(folder).path)")
            } else {
                overrides += ["data.per_class=\(settings.realPerClass)", "data.subset_seed=\(seed)"]
                if let data = settings.data { overrides.append("data.path=\(data.path)") }
            }
            if let steps = settings.generatorSteps { overrides.append("train.steps=\(steps)") }
            session = try TrainingJob.start(recipe: settings.generatorRecipe, overrides: overrides, outputs: folder, runDirectory: run)
        }
        guard try session.run(shouldStop: shouldStop, observe: { observe(.training(run: "generator", $0)) }) == .finished else {
            return nil
        }
        return run
    }

    /// The test-split accuracy of a semi-supervised generator's own classifier (a GAN's discriminator,
    /// a VAE's q(y | x)), from the generator's run.
    func scoreOwnClassifier(_ run: URL, into seed: inout FewShotReport.Seed) throws {
        let (parsed, _) = try RecipeLoader.load(run.appendingPathComponent("recipe.toml"))
        let test = try ImageDataset.mnistFormat(directory: URL(fileURLWithPath: parsed.data.path), split: .test)
        let model = try GeneratorLoader.load(checkpoint: run)
        if let gan = model as? LoadedGAN {
            seed.discriminatorTestAccuracy = AdversarialTask.accuracy(of: gan.gan, on: test)
        } else if let vae = model as? LoadedVAE {
            seed.classifierTestAccuracy = VariationalTask.accuracy(of: vae.vae, on: test)
        }
    }

    /// The folder of a seed's self-training round (1-based): `pseudo-labels`, then `pseudo-labels-2`, ...
    func pseudoLabelDirectory(_ folder: URL, round: Int = 1) -> URL {
        folder.appendingPathComponent(round == 1 ? "pseudo-labels" : "pseudo-labels-\(round)")
    }

    /// The MNIST-format data set of the seed's last round: the labelled and kept pseudo-labelled images.
    func pseudoLabelData(_ folder: URL) -> URL {
        pseudoLabelDirectory(folder, round: settings.pseudoLabelRounds).appendingPathComponent("data")
    }

    /// Labels the unlabelled training images with a classifier trained on the seed's K labelled ones
    /// (round 1) or on the previous round's set.
    func makePseudoLabels(seed: UInt64, round: Int, in folder: URL, shouldStop: () -> Bool,
                          observe: (Event) -> Void) throws -> PseudoLabels? {
        let (parsed, _) = try RecipeLoader.load(settings.classifierRecipe)
        let data = settings.data ?? URL(fileURLWithPath: parsed.data.path)
        let train = try ImageDataset.mnistFormat(directory: data, split: .train)
        let labelled = try AugmentationEvaluation.select(perClass: settings.realPerClass, from: train,
                                                         classes: parsed.model.classCount, seed: seed, place: data.path).1
        return try PseudoLabels.make(classifierRecipe: settings.classifierRecipe, data: data, labelledIndices: labelled,
                                     steps: settings.classifierSteps, seed: seed, threshold: settings.pseudoLabelThreshold,
                                     previous: round == 1 ? nil : pseudoLabelDirectory(folder, round: round - 1).appendingPathComponent("data"),
                                     round: round, into: pseudoLabelDirectory(folder, round: round), shouldStop: shouldStop,
                                     observe: { observe(.training(run: "pseudo-labeller", $0)) })
    }

    /// Draws (or resumes drawing) `perClass` labelled samples of every class from the generator.
    func drawSynthetic(from generator: URL, seed: UInt64, in folder: URL, shouldStop: () -> Bool,
                       observe: (Event) -> Void) throws -> URL? {
        let output = folder.appendingPathComponent("synthetic")
        let model = try GeneratorLoader.load(checkpoint: generator, options: settings.sampling)
        let spec = AugmentationSpec(perClass: settings.perClass, classes: Array(0..<model.classCount), seed: seed, format: .idx)
        let job = try AugmentationJob(source: model, spec: spec, directory: output)
        guard try job.run(shouldStop: shouldStop, progress: { observe(.sampling($0)) }) != nil else { return nil }
        return output
    }

    /// The five classifier trainings of the seed (seven with pseudo-labels: also on the labelled and
    /// pseudo-labelled images, with and without the synthetic set), or their finished report; and the
    /// memorisation figures.
    func trainClassifiers(seed: UInt64, synthetic: URL, in folder: URL, shouldStop: () -> Bool,
                          observe: (Event) -> Void) throws -> FewShotReport.Seed? {
        let output = folder.appendingPathComponent("classifiers")
        let evaluation = try AugmentationEvaluation(classifierRecipe: settings.classifierRecipe, data: settings.data,
                                                    synthetic: synthetic, realPerClass: settings.realPerClass, seed: seed,
                                                    steps: settings.classifierSteps, classical: true,
                                                    pseudoLabelled: usesPseudoLabels ? pseudoLabelData(folder) : nil)
        let memorisation = try Memorisation(synthetic: evaluation.synthetic, real: evaluation.real, test: evaluation.test)
        let reportURL = output.appendingPathComponent(AugmentationEvaluation.reportFile)
        if let data = FileManager.default.contents(atPath: reportURL.path) {
            observe(.skipped(name: "classifiers", seed: seed))
            let report = try JSONDecoder().decode(AugmentationEvaluation.Report.self, from: data)
            return FewShotReport.Seed(seed: seed, runs: report.runs, memorisation: memorisation)
        }
        // A stopped evaluation left runs without a report: they start over.
        if FileManager.default.fileExists(atPath: output.path) { try FileManager.default.removeItem(at: output) }
        guard let report = try evaluation.run(into: output, shouldStop: shouldStop,
                                              observe: { observe(.training(run: $0, $1)) }) else { return nil }
        return FewShotReport.Seed(seed: seed, runs: report.runs, memorisation: memorisation)
    }
}

/// How close a synthetic set comes to the real images its generator learnt from: the L2 distance
/// (pixels in 0...1) of each synthetic image to its nearest of those, beside the same for real test
/// images, which the generator never saw. Synthetic images much nearer than test images are copies.
public struct Memorisation: Codable, Equatable, Sendable {
    /// Nearest-distance mean, median and least of the synthetic images.
    public var syntheticMean: Double, syntheticMedian: Double, syntheticLeast: Double
    /// The same for (at most 1000) test images.
    public var testMean: Double, testMedian: Double, testLeast: Double

    enum CodingKeys: String, CodingKey {
        case syntheticMean = "synthetic_mean", syntheticMedian = "synthetic_median", syntheticLeast = "synthetic_least"
        case testMean = "test_mean", testMedian = "test_median", testLeast = "test_least"
    }

    /// The figures of `synthetic` and of the first 1000 `test` images against `real`.
    public init(synthetic: ImageDataset, real: ImageDataset, test: ImageDataset) throws {
        let training = real.batch(Array(0..<real.count), range: 0...1)
        func nearest(_ set: ImageDataset, limit: Int) throws -> [Double] {
            let images = set.batch(Array(0..<Swift.min(limit, set.count)), range: 0...1)
            return try NearestTrainingImages(samples: images, training: training).matches.map(\.distance).sorted()
        }
        let s = try nearest(synthetic, limit: synthetic.count), t = try nearest(test, limit: 1000)
        syntheticMean = s.reduce(0, +) / Double(s.count)
        syntheticMedian = s[s.count / 2]
        syntheticLeast = s[0]
        testMean = t.reduce(0, +) / Double(t.count)
        testMedian = t[t.count / 2]
        testLeast = t[0]
    }
}
