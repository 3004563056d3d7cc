import Foundation
import StudioCore
import StudioIO

/// Self-training's labelling round for the few-labels setting: a classifier trained on the K labelled
/// images per class (with classical augmentation) labels the unlabelled rest of the training split,
/// and the images it is at least `threshold` sure of join the labelled ones as the training set of a
/// conditional generator. The unlabelled images' own labels are never read for that set; they only
/// score the pseudo-labels afterwards, for the report. A later round's labeller learns from the
/// previous round's set instead (labelled and pseudo-labelled images) and labels the unlabelled ones anew.
public struct PseudoLabels: Codable, Equatable, Sendable {
    /// Labelled images (K x classes) and unlabelled ones.
    public var labelled: Int, unlabelled: Int
    /// Unlabelled images whose pseudo-label was kept, in all and per class.
    public var kept: Int
    public var keptPerClass: [Int]
    /// The least probability a kept pseudo-label has.
    public var threshold: Double
    /// The labelling classifier's accuracy on the test split.
    public var classifierTestAccuracy: Double
    /// The share of kept pseudo-labels equal to the true labels, measured after the set was written.
    public var keptAccuracy: Double
    /// The self-training round (1 learns from the labelled images only); nil in reports from before rounds.
    public var round: Int?

    enum CodingKeys: String, CodingKey {
        case labelled, unlabelled, kept, keptPerClass = "kept_per_class", threshold
        case classifierTestAccuracy = "classifier_test_accuracy", keptAccuracy = "kept_accuracy", round
    }

    /// The file of the figures beside the data set.
    public static let fileName = "pseudo-labels.json"

    /// Writes `directory/data` (an MNIST-format directory: the labelled and the kept pseudo-labelled
    /// training images, and the test split of `data`) and `directory/pseudo-labels.json`, training the
    /// labeller into `directory/classifier`; returns the figures, or the earlier ones when the
    /// directory already holds them; nil when `shouldStop` ended the training. With `previous` (an
    /// earlier round's `data` directory) the labeller learns from that round's set, not the labelled
    /// images alone.
    public static func make(classifierRecipe: URL, data: URL, labelledIndices: [Int], steps: Int?, seed: UInt64,
                            threshold: Double, previous: URL? = nil, round: Int = 1, into directory: URL,
                            shouldStop: () -> Bool = { false },
                            observe: (TrainingEvent) -> Void = { _ in }) throws -> PseudoLabels? {
        let figures = directory.appendingPathComponent(fileName)
        if let saved = FileManager.default.contents(atPath: figures.path) {
            return try JSONDecoder().decode(PseudoLabels.self, from: saved)
        }
        guard (0...1).contains(threshold) else { throw DatasetError("--pseudo-label-threshold must lie in 0...1, got \(threshold)") }
        let (parsed, resolved) = try RecipeLoader.load(classifierRecipe)
        guard case .classifier(let config) = parsed.model else {
            throw RecipeError("\(classifierRecipe.path) is a \(parsed.model.family) recipe; pseudo-labels come from a classifier recipe")
        }
        let train = try ImageDataset.mnistFormat(directory: data, split: .train)
        let test = try ImageDataset.mnistFormat(directory: data, split: .test)
        let labelled = AugmentationEvaluation.subset(train, labelledIndices)
        let chosen = Set(labelledIndices)
        let others = (0..<train.count).filter { !chosen.contains($0) }
        let unlabelled = ImageDataset(shape: Shape([others.count] + train.imageShape.dimensions),
                                      pixels: AugmentationEvaluation.subset(train, others).pixels, labels: [])

        if FileManager.default.fileExists(atPath: directory.path) { try FileManager.default.removeItem(at: directory) }
        let trainer = ClassifierTrainer(recipe: parsed, config: config, recipeTable: resolved,
                                        steps: steps ?? parsed.resolvingEpochs(trainingCount: train.count).train.steps, seed: seed)
        let augment = parsed.augment.flatMap { $0.isEnabled ? $0 : nil } ?? .classical
        let teacherSet = try previous.map { try ImageDataset.mnistFormat(directory: $0, split: .train) } ?? labelled
        guard let task = try trainer.train(on: teacherSet, augment: augment, into: directory.appendingPathComponent("classifier"),
                                           shouldStop: shouldStop, observe: observe) else { return nil }
        let (labels, confidences) = predict(task, unlabelled)
        let keep = labels.indices.filter { Double(confidences[$0]) >= threshold }

        let size = train.imageShape.elementCount
        var pixels = labelled.pixels
        for i in keep { pixels += unlabelled.pixels[(i * size)..<((i + 1) * size)] }
        let output = directory.appendingPathComponent("data")
        try write(pixels: pixels, labels: labelled.labels + keep.map { labels[$0] }, imageShape: train.imageShape, to: output,
                  test: test)
        let result = PseudoLabels(labelled: labelled.count, unlabelled: unlabelled.count, kept: keep.count,
                                  keptPerClass: (0..<config.classCount).map { c in keep.filter { labels[$0] == c }.count },
                                  threshold: threshold, classifierTestAccuracy: task.score(on: test).accuracy,
                                  keptAccuracy: keep.isEmpty ? 0
                                      : Double(keep.filter { labels[$0] == train.labels[others[$0]] }.count) / Double(keep.count),
                                  round: round)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try AtomicFile.write(try encoder.encode(result), to: figures)
        return result
    }

    /// The most probable class of each image of `set` and its probability, in chunks that bound memory.
    static func predict(_ task: ClassificationTask, _ set: ImageDataset) -> (labels: [Int], confidences: [Float]) {
        var labels: [Int] = [], confidences: [Float] = []
        for start in stride(from: 0, to: set.count, by: 2048) {
            let rows = Array(start..<Swift.min(set.count, start + 2048))
            let probabilities = task.classifier.probabilities(set.batch(rows, range: 0...1))
            let classes = probabilities.shape[1]
            let values = probabilities.scalars
            for row in 0..<rows.count {
                let slice = values[(row * classes)..<((row + 1) * classes)]
                let best = slice.indices.max { slice[$0] < slice[$1] }!
                labels.append(best - row * classes)
                confidences.append(slice[best])
            }
        }
        return (labels, confidences)
    }

    /// An MNIST-format directory: the training images and labels, and `test` as the t10k split.
    static func write(pixels: [UInt8], labels: [Int], imageShape: Shape, to directory: URL, test: ImageDataset) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        func images(_ pixels: [UInt8], count: Int) -> IDXFile {
            let dims = imageShape.dimensions
            let shape = Shape(dims[0] == 1 ? [count, dims[1], dims[2]] : [count] + dims)
            return IDXFile(elementType: .uint8, shape: shape, values: pixels.map(Float.init))
        }
        try images(pixels, count: labels.count).write(to: directory.appendingPathComponent("train-images-idx3-ubyte"))
        try IDXFile(elementType: .uint8, shape: [labels.count], values: labels.map(Float.init))
            .write(to: directory.appendingPathComponent("train-labels-idx1-ubyte"))
        try images(test.pixels, count: test.count).write(to: directory.appendingPathComponent("t10k-images-idx3-ubyte"))
        try IDXFile(elementType: .uint8, shape: [test.count], values: test.labels.map(Float.init))
            .write(to: directory.appendingPathComponent("t10k-labels-idx1-ubyte"))
    }
}
