import Foundation
import StudioCore
import StudioIO
import StudioModels
import TOMLKit

/// Whether a synthetic data set helps: the classifier recipe trained three times with one seed — on
/// K real training images per class, on those plus the synthetic set, and on the synthetic set
/// alone — each scored on the whole real test split. With classical augmentation on, two more runs
/// give the baseline synthetic data has to beat: the real images augmented, and real plus synthetic
/// augmented (five in all).
///
/// All runs take the same number of optimiser steps: by default the recipe's own length on
/// the full real training set (5 epochs of MNIST in batches of 64 = 4685 steps), so that the runs
/// differ only in their data, and a run on 100 images is not starved of updates. A set smaller
/// than the recipe's batch trains in batches of the whole set.
public struct AugmentationEvaluation {
    /// One of the trainings and its score.
    public struct Run: Codable, Equatable, Sendable {
        /// `real`, `real+classical`, `real+synthetic`, `real+synthetic+classical` or `synthetic`; with
        /// pseudo-labels also `real+pseudo+classical` and `real+pseudo+synthetic+classical`.
        public var name: String
        /// Labelled real images (K per class).
        public var realImages: Int
        public var syntheticImages: Int
        /// Pseudo-labelled real images (the few-labels setting); nil in runs without them.
        public var pseudoLabelledImages: Int?
        public var batch: Int
        public var steps: Int
        /// Mean cross-entropy (nats) and top-1 accuracy on the test split.
        public var testLoss: Double
        public var testAccuracy: Double
        public var seconds: Double
        /// The run directory: resolved recipe, metrics, final checkpoint.
        public var directory: String

        enum CodingKeys: String, CodingKey {
            case name, realImages = "real_images", syntheticImages = "synthetic_images"
            case pseudoLabelledImages = "pseudo_labelled_images", batch, steps
            case testLoss = "test_loss", testAccuracy = "test_accuracy", seconds, directory
        }
    }

    /// What `report.json` holds.
    public struct Report: Codable, Equatable, Sendable {
        public var realPerClass: Int
        public var seed: UInt64
        public var steps: Int
        public var classifierRecipe: String
        public var data: String
        public var synthetic: String
        public var syntheticCount: Int
        /// Synthetic images per class, by class number.
        public var syntheticPerClass: [Int]
        public var testCount: Int
        /// The indices into the real training split of the K images per class, class by class.
        public var realIndices: [Int]
        /// The augmentation of the `+classical` runs; nil (and absent from the file) without them.
        public var classical: AugmentSettings?
        public var runs: [Run]

        enum CodingKeys: String, CodingKey {
            case realPerClass = "real_per_class", seed, steps, classifierRecipe = "classifier_recipe", data, synthetic
            case syntheticCount = "synthetic_count", syntheticPerClass = "synthetic_per_class", testCount = "test_count"
            case realIndices = "real_indices", classical, runs
        }
    }

    /// The file name of the report in the output directory.
    public static let reportFile = "report.json"

    public let recipe: Recipe
    public let config: ClassifierConfig
    /// Trains each run: the recipe at `steps` steps from `seed`.
    let trainer: ClassifierTrainer
    let recipePath: String
    let dataPath: String
    let syntheticPath: String
    public let realPerClass: Int
    public let seed: UInt64
    public let steps: Int
    /// The K-per-class real images, the synthetic set and the test split.
    public let real: ImageDataset
    public let synthetic: ImageDataset
    public let test: ImageDataset
    let realIndices: [Int]
    /// The augmentation of the `+classical` runs, nil when there are none.
    public let classical: AugmentSettings?
    /// The K labelled images per class followed by the pseudo-labelled ones (few-labels setting), or nil.
    public let pseudoLabelled: ImageDataset?

    /// Checks every input before any training: a classifier recipe, MNIST-format `data` (default: the
    /// recipe's `data.path`) with both splits, at least `realPerClass` training images of each class,
    /// and a non-empty synthetic set of the classifier's image shape (IDX pair or class folders).
    /// `classical` adds the augmented runs, with the recipe's `[augment]` when it lists transforms and
    /// every transform at the default ranges otherwise. `pseudoLabelled` (an MNIST-format directory
    /// whose training split is the K labelled images per class followed by pseudo-labelled ones, as
    /// `PseudoLabels` writes it) adds the self-training runs with classical augmentation: on that set,
    /// and on it with the synthetic set.
    public init(classifierRecipe: URL, data: URL? = nil, synthetic: URL, realPerClass: Int, seed: UInt64,
                steps: Int? = nil, classical: Bool = false, pseudoLabelled: URL? = nil) throws {
        let (parsed, resolved) = try RecipeLoader.load(classifierRecipe)
        guard case .classifier(let config) = parsed.model else {
            throw RecipeError("\(classifierRecipe.path) is a \(parsed.model.family) recipe; eval augmentation trains a classifier recipe (model.family = \"classifier\", e.g. recipes/classifier-mnist.toml)")
        }
        guard realPerClass > 0 else { throw DatasetError("--real-per-class must be positive, got \(realPerClass)") }
        if let steps, steps <= 0 { throw DatasetError("--classifier-steps must be positive, got \(steps)") }
        let dataURL = data ?? URL(fileURLWithPath: parsed.data.path)
        let train: ImageDataset
        do {
            train = try ImageDataset.mnistFormat(directory: dataURL, split: .train)
            test = try ImageDataset.mnistFormat(directory: dataURL, split: .test)
        } catch {
            let contents = (try? FileManager.default.contentsOfDirectory(atPath: dataURL.path)) ?? []
            let target = contents.filter({ !$0.hasPrefix(".") }).isEmpty ? dataURL.path : DataHint.freeFolder(near: dataURL)
            throw DatasetError("\(error)\nThe real images come from an MNIST-format directory with both splits (--data DIR); fetch MNIST with: genstudio data mnist --out \(target)")
        }
        try TrainingJob.checkData(train, fit: .classifier(config), name: "training", place: dataURL.path, recipePath: classifierRecipe.path)
        try TrainingJob.checkData(test, fit: .classifier(config), name: "test", place: dataURL.path, recipePath: classifierRecipe.path)
        (real, realIndices) = try Self.select(perClass: realPerClass, from: train, classes: config.classCount, seed: seed, place: dataURL.path)
        self.synthetic = try Self.readSynthetic(synthetic, config: config, recipePath: classifierRecipe.path)
        self.recipe = parsed
        self.config = config
        recipePath = classifierRecipe.path
        dataPath = dataURL.path
        syntheticPath = synthetic.path
        self.realPerClass = realPerClass
        self.seed = seed
        self.steps = steps ?? parsed.resolvingEpochs(trainingCount: train.count).train.steps
        trainer = ClassifierTrainer(recipe: parsed, config: config, recipeTable: resolved, steps: self.steps, seed: seed)
        self.classical = classical ? parsed.augment.flatMap { $0.isEnabled ? $0 : nil } ?? .classical : nil
        if let url = pseudoLabelled {
            let set = try ImageDataset.mnistFormat(directory: url, split: .train)
            try TrainingJob.checkData(set, fit: .classifier(config), name: "pseudo-labelled", place: url.path, recipePath: classifierRecipe.path)
            guard set.count >= real.count, Array(set.labels.prefix(real.count)) == real.labels,
                  Array(set.pixels.prefix(real.pixels.count)) == real.pixels else {
                throw DatasetError("\(url.path) does not start with the \(real.count) labelled images of seed \(seed); it belongs to another seed or --real-per-class")
            }
            self.pseudoLabelled = set
        } else {
            self.pseudoLabelled = nil
        }
    }

    /// Trains the classifiers into `directory/<name>` for each run name (`real`, `real+synthetic`,
    /// `synthetic`, with classical augmentation also `real+classical` and `real+synthetic+classical`),
    /// writes `directory/report.json` and returns the report; nil when `shouldStop` ended a run early
    /// (nothing is reported then). Only the `+classical` runs are augmented.
    public func run(into directory: URL, shouldStop: () -> Bool = { false },
                    observe: (String, TrainingEvent) -> Void = { _, _ in }) throws -> Report? {
        if FileManager.default.fileExists(atPath: directory.appendingPathComponent(Self.reportFile).path) {
            throw DatasetError("\(directory.path) already holds an augmentation report; choose another --out")
        }
        let both = Self.concatenate(real, synthetic)
        var sets: [(String, ImageDataset, Int, Int, AugmentSettings?)] = [("real", real, real.count, 0, nil)]
        if let classical { sets.append(("real+classical", real, real.count, 0, classical)) }
        sets.append(("real+synthetic", both, real.count, synthetic.count, nil))
        if let classical { sets.append(("real+synthetic+classical", both, real.count, synthetic.count, classical)) }
        sets.append(("synthetic", synthetic, 0, synthetic.count, nil))
        let plainRuns = sets.count
        if let classical, let pseudoLabelled {
            sets.append(("real+pseudo+classical", pseudoLabelled, real.count, 0, classical))
            sets.append(("real+pseudo+synthetic+classical", Self.concatenate(pseudoLabelled, synthetic), real.count, synthetic.count, classical))
        }
        var runs: [Run] = []
        for (index, (name, set, realCount, syntheticCount, augment)) in sets.enumerated() {
            let start = Date()
            let url = directory.appendingPathComponent(name)
            guard let task = try trainer.train(on: set, augment: augment, into: url, shouldStop: shouldStop,
                                       observe: { observe(name, $0) }) else { return nil }
            let (loss, accuracy) = task.score(on: test)
            let pseudoCount = index < plainRuns ? nil : set.count - realCount - syntheticCount
            runs.append(Run(name: name, realImages: realCount, syntheticImages: syntheticCount, pseudoLabelledImages: pseudoCount,
                            batch: Swift.min(recipe.train.batch, set.count),
                            steps: steps, testLoss: loss, testAccuracy: accuracy,
                            seconds: Date().timeIntervalSince(start), directory: url.path))
        }
        let report = Report(realPerClass: realPerClass, seed: seed, steps: steps, classifierRecipe: recipePath, data: dataPath,
                            synthetic: syntheticPath, syntheticCount: synthetic.count,
                            syntheticPerClass: (0..<config.classCount).map { c in synthetic.labels.filter { $0 == c }.count },
                            testCount: test.count, realIndices: realIndices, classical: classical, runs: runs)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try AtomicFile.write(try encoder.encode(report), to: directory.appendingPathComponent(Self.reportFile))
        return report
    }


    // MARK: - Data

    /// `perClass` images of each class of `data` as `ClassSubset` draws them from `seed` (what a
    /// recipe with `data.per_class` and `data.subset_seed` trains on), class by class; with their
    /// indices into `data`.
    static func select(perClass: Int, from data: ImageDataset, classes: Int, seed: UInt64,
                       place: String) throws -> (ImageDataset, [Int]) {
        let chosen: ClassSubset
        do {
            chosen = try ClassSubset(perClass: perClass, labels: data.labels, classes: classes, seed: seed)
        } catch {
            throw DatasetError("--real-per-class \(perClass) asks for more images of class \(error.label) than the \(error.available) in the training split of \(place)")
        }
        return (subset(data, chosen.indices), chosen.indices)
    }

    /// The images of `data` at `indices`, in that order.
    static func subset(_ data: ImageDataset, _ indices: [Int]) -> ImageDataset {
        let size = data.imageShape.elementCount
        var pixels: [UInt8] = []
        pixels.reserveCapacity(indices.count * size)
        for index in indices { pixels += data.pixels[(index * size)..<((index + 1) * size)] }
        return ImageDataset(shape: Shape([indices.count] + data.imageShape.dimensions), pixels: pixels,
                            labels: indices.map { data.labels[$0] })
    }

    /// `a`'s images followed by `b`'s (same image shape).
    static func concatenate(_ a: ImageDataset, _ b: ImageDataset) -> ImageDataset {
        ImageDataset(shape: Shape([a.count + b.count] + a.imageShape.dimensions), pixels: a.pixels + b.pixels,
                     labels: a.labels + b.labels)
    }

    /// The labelled synthetic set in `url`: `train-images-idx3-ubyte[.gz]` with `train-labels-idx1-ubyte[.gz]`
    /// (what `genstudio augment --format idx` writes), else class folders `<class>/<index>.png`.
    static func readSynthetic(_ url: URL, config: ClassifierConfig, recipePath: String) throws -> ImageDataset {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw DatasetError("\(url.path): no such synthetic data directory (give the --out folder of genstudio augment)")
        }
        let set: ImageDataset
        do {
            set = try SampleSet.labelledFolder(url, channels: config.imageShape[0])
        } catch let error as FileFormatError where error.path == url.path {
            throw DatasetError("\(error); expected train-images-idx3-ubyte and train-labels-idx1-ubyte (genstudio augment --format idx) or class folders <class>/<index>.png (--format png)")
        }
        guard set.count > 0 else { throw DatasetError("\(url.path): the synthetic set is empty") }
        try TrainingJob.checkData(set, fit: .classifier(config), name: "synthetic", place: url.path, recipePath: recipePath)
        return set
    }
}
